"""``cove sync FILE``: make an environment exactly what a lock (pylock.toml) or a hashed
requirements file names, removing the rest, all or nothing."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", metavar="FILE",
        help="pylock.toml (or pylock.NAME.toml), or a requirements file pinning everything "
        "with --hash (as cove lock --format requirements writes it)",
    )  # fmt: skip
    parser.add_argument(
        "--extra", action="append", default=[], metavar="NAME",
        help="also install what the lock's extra NAME needs",
    )  # fmt: skip
    parser.add_argument(
        "--group", action="append", default=None, metavar="NAME",
        help="install the lock's dependency group NAME (repeat for more; default: the lock's "
        "default-groups)",
    )  # fmt: skip
    parser.add_argument(
        "--exact", action="store_true",
        help="remove pip, setuptools and wheel too when the file does not name them",
    )  # fmt: skip
    from cove.cli.install import (
        add_build_arguments,
        add_change_arguments,
        add_index_arguments,
        add_target_arguments,
    )

    add_change_arguments(parser)
    add_build_arguments(parser)
    add_index_arguments(parser)
    add_target_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from cove.cli.install import settings_flags, target_of
    from cove.cli.reporter import Reporter
    from cove.operations.sync import SyncCommand, sync_command
    from cove.operations.wiring import BuildOptions

    cmd = SyncCommand(
        target=target_of(args),
        file=args.file,
        flags=settings_flags(args),
        extras=tuple(args.extra),
        groups=None if args.group is None else tuple(args.group),
        exact=args.exact,
        dry_run=args.dry_run,
        build=BuildOptions(isolation=not args.no_build_isolation, allowed=not args.no_build),
    )
    sync_command(cmd, Reporter(args.quiet, args.verbose))
    return 0
