"""``cove inspect``: the JSON report ``pip inspect`` writes, for tools that read it."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument

    add_env_argument(parser)
    parser.add_argument("-l", "--local", action="store_true")
    parser.add_argument("--path", action="append", default=[], metavar="DIR")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cove import __version__
    from cove.cli import output
    from cove.cli.environment import target_environment
    from cove.inspect.installed import read_installed
    from cove.inspect.listing import STDLIB_NAMES
    from cove.inspect.report import inspect_report

    env = target_environment(args)
    if args.path:
        dirs = [Path(p).absolute() for p in args.path]
    else:
        dirs = [env.site_packages] if args.local else env.site_dirs()
    dists, warnings = read_installed(dirs, sort=False)
    for message in warnings:
        output.warn(message)
    dists = [d for d in dists if d.canonical_name not in STDLIB_NAMES]
    output.stdout(inspect_report(dists, env.interpreter.markers, f"cove {__version__}"))
    return 0
