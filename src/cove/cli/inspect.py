"""``cove inspect``: the JSON report ``pip inspect`` writes, for tools that read it."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument, add_scope_arguments

    add_env_argument(parser)
    add_scope_arguments(parser)


def run(args: argparse.Namespace) -> int:

    from cove import __version__
    from cove.cli import output
    from cove.cli.environment import scope_dirs, target_environment
    from cove.inspect.installed import read_installed
    from cove.inspect.listing import STDLIB_NAMES
    from cove.inspect.report import inspect_report

    env = target_environment(args)
    dists, warnings = read_installed(scope_dirs(args, env), sort=False)
    for message in warnings:
        output.warn(message)
    dists = [d for d in dists if d.canonical_name not in STDLIB_NAMES]
    output.stdout(inspect_report(dists, env.interpreter.markers, f"cove {__version__}"))
    return 0
