"""``cove show NAME...``: the fields ``pip show`` prints, in its order."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument

    parser.add_argument("names", nargs="+", metavar="NAME")
    parser.add_argument("-f", "--files", action="store_true", help="list the installed files")
    add_env_argument(parser)


def run(args: argparse.Namespace) -> int:
    from cove.cli import output
    from cove.cli.environment import target_environment
    from cove.inspect.installed import read_installed
    from cove.inspect.listing import show_text

    env = target_environment(args)
    dists, _ = read_installed(env.site_dirs())
    text, missing = show_text(args.names, dists, env.interpreter.markers, args.files)
    if missing:
        output.warn(f"Package(s) not found: {', '.join(missing)}")
    output.stdout(text)
    return 0 if text else 1
