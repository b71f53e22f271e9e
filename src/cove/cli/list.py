"""``cove list``: installed packages as ``pip list`` shows them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.version import Version

    from cove.inspect.installed import InstalledDistribution
    from cove.venv.environment import Environment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument, add_scope_arguments

    add_env_argument(parser)
    parser.add_argument("--format", choices=["columns", "freeze", "json"], default="columns")
    parser.add_argument("--not-required", action="store_true", help="only what nothing needs")
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME")
    parser.add_argument("-e", "--editable", action="store_true", help="only editable installs")
    parser.add_argument("--exclude-editable", action="store_true")
    add_scope_arguments(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="add location, installer")
    parser.add_argument(
        "-o", "--outdated", action="store_true", help="only what has a newer release"
    )
    parser.add_argument("-u", "--uptodate", action="store_true", help="only what is the newest")
    parser.add_argument("--pre", action="store_true", help="count pre-releases as newer")
    parser.add_argument("--isolated", action="store_true")
    parser.add_argument("--no-cache", action="store_true")
    from cove.cli.install import add_index_arguments

    add_index_arguments(parser)


def run(args: argparse.Namespace) -> int:

    from cove.cli import output
    from cove.cli.environment import scope_dirs, target_environment
    from cove.errors import UsageError
    from cove.inspect.installed import read_installed
    from cove.inspect.listing import STDLIB_NAMES, list_text, not_required
    from cove.names import canonical

    if args.outdated and args.uptodate:
        raise UsageError("--outdated and --uptodate cannot be combined", hint="pick one")
    if args.outdated and args.format == "freeze":
        raise UsageError(
            "--format freeze cannot be used with --outdated", hint="use columns or json"
        )
    env = target_environment(args)
    dists, warnings = read_installed(scope_dirs(args, env))
    for message in warnings:
        output.warn(message)
    skip = STDLIB_NAMES | {canonical(n) for n in args.exclude}
    dists = [d for d in dists if d.canonical_name not in skip]
    if args.editable:
        dists = [d for d in dists if d.editable_location()]
    elif args.exclude_editable:
        dists = [d for d in dists if not d.editable_location()]
    if args.not_required:
        dists = not_required(dists, env.interpreter.markers)
    latest = None
    if args.outdated or args.uptodate:
        latest = _latest(args, env, dists)
        kept = []
        for d in dists:
            if d.canonical_name not in latest:
                continue
            newest, installed = latest[d.canonical_name][0], _version(d.version)
            if (newest > installed) if args.outdated else (newest == installed):
                kept.append(d)
        dists = kept
    # pip shows the Latest and Type columns for --outdated only.
    output.stdout(list_text(dists, args.format, args.verbose, latest if args.outdated else None))
    return 0


def _version(text: str) -> Version:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return Version("0")


def _latest(
    args: argparse.Namespace, env: Environment, dists: list[InstalledDistribution]
) -> dict[str, tuple[Version, str]]:
    """Newest release and its file kind per project, from the configured indexes in parallel."""
    import os
    import tempfile
    from pathlib import Path

    from cove.cache import default_cache_dir
    from cove.cli import output
    from cove.cli.install import settings_flags
    from cove.operations.wiring import make_source
    from cove.settings import load_install_settings

    flags = settings_flags(args)
    settings = load_install_settings(flags, dict(os.environ), env.root, args.isolated)
    base_cache_dir = default_cache_dir()
    with tempfile.TemporaryDirectory(prefix="cove-nocache-") as scratch:
        cache_dir = Path(scratch) if settings.no_cache else base_cache_dir
        source = make_source(env, settings, None, cache_dir, output.warn)
        try:
            source.prefetch(d.canonical_name for d in dists)
            out: dict[str, tuple[Version, str]] = {}
            for d in dists:
                found = source.latest(d.canonical_name, pre=args.pre)
                if found is not None:
                    out[d.canonical_name] = found
            return out
        finally:
            source.close()
