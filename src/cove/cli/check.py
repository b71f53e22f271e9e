"""``cove check``: pip check's findings and exit status, plus projects installed twice."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument

    add_env_argument(parser)


def run(args: argparse.Namespace) -> int:
    from cove.cli import output
    from cove.cli.environment import target_environment
    from cove.inspect.installed import read_installed
    from cove.inspect.listing import check_lines, duplicate_lines

    env = target_environment(args)
    dists, warnings = read_installed(env.site_dirs(), sort=False)
    for message in warnings:
        output.warn(message)
    lines, problems = check_lines(dists, env.interpreter.markers)
    lines += duplicate_lines(env.site_dirs())
    if lines or problems:
        output.stdout("".join(line + "\n" for line in lines))
        return 1
    output.stdout("No broken requirements found.\n")
    return 0
