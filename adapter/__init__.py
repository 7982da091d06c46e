"""ONDC seller adapter for ODOP artisan cooperatives.

Core subpackages (``protocol``, ``store``, ``orders``, ``delivery``) import neither Flask nor Celery;
``adapter.web`` and ``adapter.cli`` sit on top of everything.
"""
