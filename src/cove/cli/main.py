"""Entry point: parse argv, import only the command that runs, turn CoveError into exit codes."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from cove import __version__

# command name -> (module under cove.cli, one-line help). Modules are imported only when run.
COMMANDS: dict[str, tuple[str, str]] = {
    "create": ("create", "create a virtual environment"),
    "activate": ("activate", "print the command that activates an environment in this shell"),
    "shell": ("shell", "start a subshell with an environment active"),
    "python": ("python", "find and list Python interpreters"),
    "install": ("install", "install packages into an environment"),
    "uninstall": ("uninstall", "remove packages from an environment"),
    "freeze": ("freeze", "print installed packages in requirements format, as pip freeze"),
    "list": ("list", "list installed packages, as pip list"),
    "show": ("show", "show details of installed packages, as pip show"),
    "check": ("check", "check installed packages have compatible dependencies, as pip check"),
    "tree": ("tree", "show the dependency tree of an environment"),
    "inspect": ("inspect", "print a JSON report of installed packages, as pip inspect"),
}


def _build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="cove",
        description="Create, activate and fill Python virtual environments.",
    )
    parser.add_argument("--version", action="version", version=f"cove {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers = {
        name: sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
        for name, (_, help_) in COMMANDS.items()
    }
    return parser, subparsers


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser, subparsers = _build_parser()
    # Find the command word cheaply so only its module is imported to add its arguments.
    name = next((a for a in args_list if not a.startswith("-")), None)
    module = None
    if name in COMMANDS:
        module = importlib.import_module(f"cove.cli.{COMMANDS[name][0]}")
        module.add_arguments(subparsers[name])
    args = parser.parse_args(args_list)
    if module is None:
        parser.print_help(sys.stderr)
        return 2
    from cove.errors import CoveError

    try:
        result: int = module.run(args)
    except CoveError as exc:
        from cove.cli import output

        output.error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cove: interrupted", file=sys.stderr)
        return 130
    return result


if __name__ == "__main__":
    raise SystemExit(main())
