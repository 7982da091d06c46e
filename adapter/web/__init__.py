"""The Flask app: network webhooks, the operator REST API, health and metrics.

``create_app`` does no work at import time; ``adapter.web.wsgi`` is the only module that builds an app
from the environment.
"""

from adapter.web.app import create_app

__all__ = ["create_app"]
