"""``cove python list`` and ``cove python find``: the interpreters cove can see."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="python_command", metavar="SUBCOMMAND", required=True)
    lister = sub.add_parser("list", help="list the interpreters found on PATH and in pyenv")
    lister.add_argument("--json", action="store_true", help="print a JSON list")
    finder = sub.add_parser("find", help="print the path of the interpreter a request picks")
    finder.add_argument("request", nargs="?", help="a version, a name or a path")


def run(args: argparse.Namespace) -> int:
    from cove.cache import default_cache_dir
    from cove.python.discovery import find_interpreter, find_interpreters

    cache_dir = default_cache_dir()
    if args.python_command == "find":
        print(find_interpreter(args.request, cache_dir).executable)
        return 0
    found = sorted(
        find_interpreters(cache_dir), key=lambda i: (i.implementation, i.version), reverse=True
    )
    if args.json:
        import json

        rows = [
            {
                "implementation": i.implementation,
                "version": i.version_string,
                "path": i.executable,
                "real_path": i.real_executable,
                "in_venv": i.in_venv,
            }
            for i in found
        ]
        print(json.dumps(rows, indent=2))
        return 0
    for i in found:
        print(f"{i.implementation}-{i.version_string:<10} {i.executable}")
    return 0
