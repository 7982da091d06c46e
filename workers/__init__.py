"""Celery app and tasks. Tasks take ids, load state, call one service and are idempotent."""
