"""The options every inspecting command shares: -p/--python and --system (the environment) and
-l/--local, --user and --path (which of its directories to read)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from cove.venv.environment import Environment


def add_env_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p", "--python", metavar="ENV", help="the environment (default: $VIRTUAL_ENV, else .venv)"
    )
    parser.add_argument(
        "--system",
        action="store_true",
        help="read the interpreter -p names (else python3 on PATH) itself, not a venv",
    )


def target_environment(args: argparse.Namespace) -> Environment:
    import os
    from pathlib import Path

    from cove.cache import default_cache_dir
    from cove.venv.discover import find_environment
    from cove.venv.environment import open_environment, open_system

    if args.system:  # only read: PEP 668 guards changes, not looking
        env = open_system(args.python, default_cache_dir(), break_system_packages=True)
    else:
        root = find_environment(args.python, Path.cwd(), os.environ)
        _finish_interrupted(root)
        env = open_environment(root, default_cache_dir())
    say_recovered(env)
    return env


def say_recovered(env: Environment) -> None:
    """Tell what opening the environment repaired after an interrupted `cove create`."""
    from cove.cli import output

    for note in env.recovered:
        output.warn(note)


def _finish_interrupted(root: Path) -> None:
    """A cove install killed in this environment is finished or undone before it is read."""
    # cove.install.transaction's TXN and DONE, spelt out: importing it costs a quick command
    if not any(name.startswith((".cove-txn-", ".cove-done-")) for name in _listdir(root)):
        return  # the usual case: one directory listing
    from cove.cli import output
    from cove.install.transaction import recover_abandoned

    found = recover_abandoned(root)
    message = found.describe(root) if found else None
    if message:
        output.warn(message)


def _listdir(path: Path) -> list[str]:
    import os

    try:
        return os.listdir(path)
    except OSError:
        return []


def add_scope_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-l", "--local", action="store_true",
        help="in a venv that includes the system's packages, leave those out",
    )  # fmt: skip
    parser.add_argument(
        "--user", action="store_true", help="only what is in the user site-packages"
    )
    parser.add_argument(
        "--path", action="append", default=[], metavar="DIR", help="only what DIR holds"
    )


def scope_dirs(args: argparse.Namespace, env: Environment) -> list[Path]:
    """The directories ``--path``, ``--user`` or ``--local`` choose, else all of ``sys.path``'s
    that hold distributions, as pip chooses them."""
    from pathlib import Path

    if args.path:
        if args.local or args.user:
            from cove.errors import UsageError

            raise UsageError(
                "--path cannot be combined with --user or --local", hint="use one of them"
            )
        return [Path(p).absolute() for p in args.path]
    dirs = env.site_dirs()
    if args.user:
        user = env.user_site()
        return [user] if user is not None and user in dirs else []
    if args.local and not env.system:  # an interpreter itself has nothing more global
        return [env.site_packages]
    return dirs
