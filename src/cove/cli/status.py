"""``cove status [-p ENV] [--json]``: the environment, the python and pip the shell runs now, and
whether the environment is healthy, each problem with its fix. Exit 0 when healthy, else 1."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cove.inspect.status import Command, Status


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p", "--python", metavar="ENV", help="the environment (default: $VIRTUAL_ENV, else .venv)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print it as JSON (keys as the README lists them)"
    )


def run(args: argparse.Namespace) -> int:
    import os

    from cove.cache import default_cache_dir
    from cove.cli import output
    from cove.inspect.status import environment_status, status_json

    status = environment_status(args.python, os.getcwd(), os.environ, default_cache_dir())
    if args.json:
        import json

        output.stdout(json.dumps(status_json(status), indent=2) + "\n")
    else:
        output.stdout(status_text(status))
    return 0 if status.healthy else 1


def status_text(status: Status) -> str:
    root = status.environment
    lines = []
    if root is None:
        lines.append("environment:   none found")
    else:
        if status.active is None:
            state = "not active"
        elif status.active == root:
            state = "active"
        else:
            state = f"not active; $VIRTUAL_ENV is {status.active}"
        lines.append(f"environment:   {root} ({state})")
    lines.append(f"python:        {_command(status.python, root)}")
    lines.append(f"pip:           {_command(status.pip, root)}")
    if status.interpreter is not None:
        made = f"made with Python {status.version}" if status.version else "version unknown"
        base = status.base_executable or status.home
        lines.append(
            f"interpreter:   {status.interpreter} -> {status.interpreter_target} ({made}"
            + (f", base {base})" if base else ")")
        )
    if status.site_packages is not None:
        count = status.distributions
        plural = "" if count == 1 else "s"
        lines.append(f"site-packages: {status.site_packages} ({count} distribution{plural})")
    if status.healthy:
        lines.append("healthy:       yes")
    else:
        lines.append(f"healthy:       no, {len(status.problems)} problem(s):")
        for problem in status.problems:
            lines.append(f"  - {problem.message}")
            lines.append(f"    hint: {problem.hint}")
    if root is not None and status.python.path is not None and not status.python.in_environment:
        lines.append(
            f"(to use the environment's python: `. {root}/bin/activate`, or `cove run python`)"
        )
    return "".join(line + "\n" for line in lines)


def _command(command: Command, root: str | None) -> str:
    if command.path is None:
        return "not found on PATH"
    text = command.path
    if command.resolved and command.resolved != command.path:
        text += f" -> {command.resolved}"
    if root is not None:
        text += " (the environment's)" if command.in_environment else " (not the environment's)"
    return text
