"""What every command needs: the settings, with a bad variable reported as a clear error."""

from __future__ import annotations

import os

import click

from config import Settings, SettingsError, load_settings


def load_cli_settings() -> Settings:
    """Settings for a command; a bad variable becomes a clear error, not a traceback."""
    try:
        return load_settings(os.environ)
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
