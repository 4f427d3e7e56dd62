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
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
