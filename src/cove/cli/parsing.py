"""The command line's parsers (argparse): the top-level one, and one command's alone."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType

from cove import __version__

# command name -> (module under cove.cli, one-line help). Modules are imported only when run.
COMMANDS: dict[str, tuple[str, str]] = {
    "create": ("create", "create a virtual environment"),
    "activate": ("activate", "print the command that activates an environment in this shell"),
    "shell": ("shell", "start a subshell with an environment active"),
    "run": ("run", "run a command with an environment active, without activating it"),
    "status": ("status", "show the environment, its python and pip, and whether it is healthy"),
    "python": ("python", "find and list Python interpreters"),
    "install": ("install", "install packages into an environment"),
    "uninstall": ("uninstall", "remove packages from an environment"),
    "lock": (
        "lock",
        "resolve requirements into a lock file (pylock.toml), installing nothing",
    ),
    "export": ("export", "print the locked requirements with hashes, as pip-compile writes them"),
    "sync": ("sync", "make an environment exactly what a lock file names, removing the rest"),
    "freeze": ("freeze", "print installed packages in requirements format, as pip freeze"),
    "list": ("list", "list installed packages, as pip list"),
    "show": ("show", "show details of installed packages, as pip show"),
    "check": ("check", "check installed packages have compatible dependencies, as pip check"),
    "tree": ("tree", "show the dependency tree of an environment"),
    "inspect": ("inspect", "print a JSON report of installed packages, as pip inspect"),
    "cache": ("cache", "show where cove's cache is and what it holds, or empty it"),
}


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: $COLUMNS, else the terminal's width, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter with the width found without shutil: argparse imports shutil (and
    with it bz2 and lzma) for every argument added, a few ms of every command's startup."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _description(help_: str) -> str:
    return help_[0].upper() + help_[1:] + "."


def _top_parser() -> tuple[
    argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]
]:
    parser = argparse.ArgumentParser(
        prog="cove",
        description="Create, activate and fill Python virtual environments.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cove {__version__}")
    return parser, parser.add_subparsers(dest="command", metavar="COMMAND")


def _command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of one command, built alone: the usual case, ``cove NAME ...``, needs no other
    command's parser (building all twelve is a measurable share of a quick command's startup)."""
    help_ = COMMANDS[name][1]
    return argparse.ArgumentParser(
        prog=f"cove {name}", description=_description(help_), formatter_class=_HelpFormatter
    )


def parse(args_list: list[str]) -> tuple[ModuleType, argparse.Namespace] | None:
    """The command's module and its parsed arguments; None when no command was named."""
    if args_list and args_list[0] in COMMANDS:
        name = args_list[0]
        parser = _command_parser(name)
        module = importlib.import_module(f"cove.cli.{COMMANDS[name][0]}")
        module.add_arguments(parser)
        # A command that passes words on verbatim (run) reads its own argv.
        own = getattr(module, "parse_args", None)
        return module, own(parser, args_list[1:]) if own else parser.parse_args(args_list[1:])
    # `cove`, `cove --help`, `cove --version`, a mistyped command: the full parser names every
    # command; a command named after options still gets its own arguments.
    parser, sub = _top_parser()
    subparsers = {
        name: sub.add_parser(name, help=help_, description=_description(help_))
        for name, (_, help_) in COMMANDS.items()
    }
    word = next((a for a in args_list if not a.startswith("-")), None)
    found = None
    if word in COMMANDS:
        found = importlib.import_module(f"cove.cli.{COMMANDS[word][0]}")
        found.add_arguments(subparsers[word])
    args = parser.parse_args(args_list)
    if found is None:
        parser.print_help(sys.stderr)
        return None
    return found, args
