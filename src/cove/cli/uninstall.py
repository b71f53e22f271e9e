"""``cove uninstall``: remove distributions and everything their RECORD lists, all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="projects to remove")
    parser.add_argument(
        "-r", "--requirement", action="append", default=[], metavar="FILE",
        help="remove the projects a requirements file names",
    )  # fmt: skip
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--dry-run", action="store_true", help="print what would be removed")
    from cove.cli.install import add_target_arguments

    add_target_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from cove.cli import output
    from cove.cli.install import target_of
    from cove.cli.reporter import Reporter
    from cove.operations.uninstall import UninstallCommand, uninstall_command

    cmd = UninstallCommand(
        target=target_of(args),
        names=tuple(args.names),
        requirement_files=tuple(args.requirement),
        no_cache=args.no_cache,
        dry_run=args.dry_run,
    )

    def confirm(listing: str, root: Path) -> bool:
        return output.confirm(f"Remove {listing} from {root}?")

    ask = None if args.yes or not sys.stdin.isatty() else confirm
    plan = uninstall_command(cmd, Reporter(args.quiet, args.verbose), ask)
    return 0 if plan.remove else 1  # nothing named was installed, or the answer was no
