"""Everything about catalogues: spreadsheets in, ONDC catalogues out.

The modules at the top of the package are the pure core: nothing in them does I/O beyond parsing the bytes it is
given (no Flask, Celery, HTTP, database or outbox; an import-linter contract keeps it so), and time and ids are
always passed in. ``model`` (dataclasses), ``errors`` (exception tree), ``ingest`` (CSV/XLSX/JSON to raw rows),
``categories`` (ONDC category ids, domains and spreadsheet columns), ``validate`` (raw rows to items), ``profile``
(cooperative profile), ``on_search`` (a catalogue as on_search bodies), ``on_search_items`` (one item as ONDC
JSON), ``diff`` (change sets and incremental on_search) and ``search_intent`` (search intents and filtering).

``catalog_sync.services`` joins the core with storage and the outbox: imports and versions, search answers,
syncs, pushes, sources and progress.
"""
