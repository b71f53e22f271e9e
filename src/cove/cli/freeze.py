"""``cove freeze``: the bytes ``pip freeze`` prints for the same environment."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.environment import add_env_argument, add_scope_arguments

    add_env_argument(parser)
    parser.add_argument("--all", action="store_true", help="also list pip (and setuptools, wheel)")
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="NAME", help="leave a package out"
    )
    parser.add_argument("--exclude-editable", action="store_true")
    add_scope_arguments(parser)
    parser.add_argument(
        "-r", "--requirement", action="append", default=[], metavar="FILE",
        help="keep this file's order and comments, then add the rest",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cove.cli import output
    from cove.cli.environment import scope_dirs, target_environment
    from cove.inspect.freeze import freeze_lines
    from cove.inspect.installed import read_installed

    env = target_environment(args)
    dists, warnings = read_installed(scope_dirs(args, env))
    for message in warnings:
        output.warn(message)
    version = (env.interpreter.version[0], env.interpreter.version[1])
    if args.requirement:
        from cove.errors import CoveError
        from cove.inspect.freeze import freeze_with_requirements

        files = [Path(f) for f in args.requirement]
        for f in files:
            if not f.is_file():
                raise CoveError(f"cannot read requirements file {f}", hint="check the path")
        lines, notes = freeze_with_requirements(
            dists,
            files,
            python_version=version,
            show_all=args.all,
            exclude=args.exclude,
            exclude_editable=args.exclude_editable,
        )
        for message in notes:
            output.warn(message)
    else:
        lines = freeze_lines(
            dists,
            python_version=version,
            show_all=args.all,
            exclude=args.exclude,
            exclude_editable=args.exclude_editable,
        )
    output.stdout("".join(line + "\n" for line in lines))
    return 0
