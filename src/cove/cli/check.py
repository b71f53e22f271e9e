"""``cove check``: pip check's findings and exit status, plus projects installed twice."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument

    add_env_argument(parser)


def run(args: argparse.Namespace) -> int:
    from cove.cli import output
    from cove.cli.environment import target_environment
    from cove.inspect.installed import duplicates, read_installed
    from cove.inspect.listing import check_lines

    env = target_environment(args)
    dists, warnings = read_installed(env.site_dirs(), sort=False)
    for message in warnings:
        output.warn(message)
    lines, problems = check_lines(dists, env.interpreter.markers)
    for name, copies in sorted(duplicates(env.site_dirs()).items()):
        where = ", ".join(f"{d.normalized_version} in {d.location}" for d in copies)
        lines.append(f"{name} is installed {len(copies)} times ({where}); the first one is used.")
    if lines or problems:
        output.stdout("".join(line + "\n" for line in lines))
        return 1
    output.stdout("No broken requirements found.\n")
    return 0
