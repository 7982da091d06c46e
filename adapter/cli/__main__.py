"""``python -m adapter.cli``."""

from adapter.cli.main import main

main()
