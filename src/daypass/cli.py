"""The `daypass` console script: Django's management commands with daypass settings."""

import os
import sys
from pathlib import Path


def ensure_sqlite_folder() -> None:
    """Create the folder of the SQLite file (./data by default): SQLite will not create it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and str(database["NAME"]) != ":memory:":
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daypass.settings")
    from django.core.management import execute_from_command_line

    ensure_sqlite_folder()
    execute_from_command_line(["daypass", *sys.argv[1:]])


if __name__ == "__main__":
    main()
