"""Settings: read once from the environment into one frozen, typed object.

``load_settings(os.environ)`` is the only place that reads environment variables. Every variable is
documented in ``docs/configuration.md``. A bad value raises :class:`SettingsError`, which names every
offending variable and what it expected, so the service fails at start-up rather than at first use.
"""

from config.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
