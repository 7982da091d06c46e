"""Pure catalogue core: ingest, validate, map to ONDC on_search, diff and search.

Nothing in this package does I/O beyond parsing the bytes it is given: no Flask, no Celery,
no HTTP and no database. Time and ids are always passed in.

Modules: ``model`` (dataclasses), ``errors`` (exception tree), ``ingest`` (CSV/XLSX/JSON to raw rows),
``categories`` (ONDC category ids, domains and spreadsheet columns), ``validate`` (raw rows to items),
``profile`` (cooperative profile), ``mapping`` (catalogue to on_search), ``diff`` (change sets and
incremental on_search) and ``search`` (search intents and filtering).
"""
