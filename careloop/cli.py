"""`careloop` console script: the Django management commands under one short name.

`careloop serve`, `careloop worker`, `careloop demo`, `careloop import …`, `careloop migrate` and
every other management command (`careloop help` lists them).
"""

import os
import sys

ALIASES = {"worker": "run_huey"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "careloop"
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    from django.db import DatabaseError

    try:
        execute_from_command_line(args)
    except DatabaseError as exc:
        if not _missing_table(exc):
            raise
        # A new user's first command on a database that was never migrated.
        sys.stderr.write(
            f"数据库还没有初始化(缺少数据表):请先运行 careloop migrate。\n"
            f"The database is not set up yet (missing tables): run `careloop migrate` first.\n"
            f"({exc})\n"
        )
        raise SystemExit(1) from None


def _missing_table(exc: Exception) -> bool:
    text = str(exc)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


if __name__ == "__main__":
    main()
