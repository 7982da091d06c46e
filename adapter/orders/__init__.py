"""Everything about orders (docs/architecture.md, "Orders").

Pure rules: ``errors``, ``quote``, ``money``, ``delivery_terms``, ``terms_io``, ``states``, ``records``,
``messages``, ``igm``. Flows with a session: ``inbound`` (the one dispatcher), ``flows``, ``after_sale``,
``seller``, ``changes``, ``snapshots``, ``store``, ``connectors``, ``policy``.
"""
