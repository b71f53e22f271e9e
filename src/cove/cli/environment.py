"""The -p/--python option every inspecting command shares, and the environment it names."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cove.target import Environment


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
    from cove.target import find_environment, open_environment, open_system

    if args.system:  # only read: PEP 668 guards changes, not looking
        return open_system(args.python, default_cache_dir(), break_system_packages=True)
    root = find_environment(args.python, Path.cwd(), os.environ)
    return open_environment(root, default_cache_dir())
