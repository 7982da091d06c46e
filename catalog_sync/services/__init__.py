"""Catalogue services: the pure core joined with the database and the outbox.

``catalogue`` (imports, versions, item edits, previews), ``answer`` (on_search answers to searches), ``sync``
(running a sync job), ``push`` (pushes to subscribed buyer apps), ``sources`` (fetching a catalogue from its URL)
and ``progress``. Each takes a session and never commits: the task or view owns the transaction.
"""
