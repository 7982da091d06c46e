"""WSGI entry point for gunicorn: ``adapter.web.wsgi:app``. The only module that builds an app at import."""

import os

from adapter.web import create_app
from config import load_settings
from config.logging import configure_logging

settings = load_settings(os.environ)
configure_logging(settings.log_level, settings.log_format)
app = create_app(settings)
