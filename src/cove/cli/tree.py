"""``cove tree``: the environment's dependency tree (``--reverse NAME``: who needs it)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument

    parser.add_argument("--reverse", metavar="NAME", help="show what depends on NAME")
    parser.add_argument("--depth", type=int, metavar="N", help="stop N levels down")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_env_argument(parser)


def run(args: argparse.Namespace) -> int:
    import json

    from cove.cli import output
    from cove.cli.environment import target_environment
    from cove.errors import CoveError, UsageError
    from cove.inspect.installed import read_installed
    from cove.inspect.tree import forward, render, reverse

    if args.depth is not None and args.depth < 0:
        raise UsageError(f"--depth {args.depth} is negative", hint="give 0 or more")
    env = target_environment(args)
    dists, warnings = read_installed(env.site_dirs())
    for message in warnings:
        output.warn(message)
    markers = env.interpreter.markers
    if args.reverse:
        node = reverse(args.reverse, dists, markers, args.depth)
        if node is None:
            raise CoveError(
                f"{args.reverse} is not installed in {env.root}", hint="see `cove list`"
            )
        nodes = [node]
    else:
        nodes = forward(dists, markers, args.depth)
    if args.json:
        output.stdout(json.dumps([n.to_json() for n in nodes], indent=2) + "\n")
    else:
        output.stdout(render(nodes, reverse_mode=bool(args.reverse)))
    return 0
