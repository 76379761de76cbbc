"""``analog-deploy``: one command, one subcommand per journey. Errors print one line and exit
non-zero; ``--debug`` shows the traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import (
    convert_command,
    demo_command,
    evaluate_command,
    export_command,
    info_command,
    presets_command,
    run_command,
)

_SUBCOMMANDS = (
    demo_command, convert_command, evaluate_command, export_command, run_command, info_command, presets_command,
)

# What users get wrong (files, factories, configs, shapes): reported in one line.
_USER_ERRORS = (OSError, ValueError, TypeError, KeyError, RuntimeError, ImportError)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="analog-deploy",
        description="Take trained PyTorch models to analog in-memory-computing hardware: simulate, export, run.",
    )
    main.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    subcommands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _SUBCOMMANDS:
        module.add_parser(subcommands)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.handler(args)
    except _USER_ERRORS as error:
        if args.debug:
            raise
        text = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())  # one line
        print(f"analog-deploy {args.command}: error: {text}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
