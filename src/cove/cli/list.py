"""``cove list``: installed packages as ``pip list`` shows them."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument

    add_env_argument(parser)
    parser.add_argument("--format", choices=["columns", "freeze", "json"], default="columns")
    parser.add_argument("--not-required", action="store_true", help="only what nothing needs")
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME")
    parser.add_argument("-e", "--editable", action="store_true", help="only editable installs")
    parser.add_argument("--exclude-editable", action="store_true")
    parser.add_argument("-l", "--local", action="store_true")
    parser.add_argument("--path", action="append", default=[], metavar="DIR")
    parser.add_argument("-v", "--verbose", action="store_true", help="add location, installer")
    parser.add_argument("-o", "--outdated", action="store_true")
    parser.add_argument("-u", "--uptodate", action="store_true")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from packaging.utils import canonicalize_name

    from cove.cli import output
    from cove.cli.environment import target_environment
    from cove.errors import CoveError, UsageError
    from cove.inspect.installed import read_installed
    from cove.inspect.listing import STDLIB_NAMES, list_text, not_required

    if args.outdated and args.uptodate:
        raise UsageError("--outdated and --uptodate cannot be combined", hint="pick one")
    if args.outdated or args.uptodate:
        raise CoveError(
            "--outdated and --uptodate are not built yet",
            hint="compare with the index by hand for now: cove install --dry-run -U NAME",
        )
    env = target_environment(args)
    if args.path:
        dirs = [Path(p).absolute() for p in args.path]
    else:
        dirs = [env.site_packages] if args.local else env.site_dirs()
    dists, warnings = read_installed(dirs)
    for message in warnings:
        output.warn(message)
    skip = STDLIB_NAMES | {canonicalize_name(n) for n in args.exclude}
    dists = [d for d in dists if d.canonical_name not in skip]
    if args.editable:
        dists = [d for d in dists if d.editable_location()]
    elif args.exclude_editable:
        dists = [d for d in dists if not d.editable_location()]
    if args.not_required:
        dists = not_required(dists, env.interpreter.markers)
    output.stdout(list_text(dists, args.format, args.verbose))
    return 0
