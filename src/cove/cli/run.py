"""``cove run [-p ENV] CMD ARGS...``: run a command with an environment active, nothing sourced.

On POSIX cove becomes the command (exec): its exit status, and a signal that ends it, reach the
caller as if the command had been run directly (a shell shows 128+N for signal N). A command
that is not found exits 127 and one that cannot be run 126, as in a shell; cove's own errors
(no environment) exit 1 and usage errors 2.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (as cli/main.py)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

Words = tuple["str | None", str, list[str]]  # the environment named, the command, its arguments

# The signals Python ignores at startup; an exec'd command would inherit that (`yes | head`
# would then fail with EPIPE instead of ending quietly), so they are reset as subprocess does.
_IGNORED_BY_PYTHON = ("SIGPIPE", "SIGXFZ", "SIGXFSZ")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    import argparse

    parser.add_argument(
        "-p", "--python", metavar="ENV", help="the environment (default: $VIRTUAL_ENV, else .venv)"
    )
    parser.add_argument("command", metavar="CMD", help="python, a console script or any program")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="passed as given")


def quick_parse(argv: Sequence[str]) -> Words | None:
    """The arguments without building a parser (argparse costs a few ms of a command that
    should add almost nothing to the one it runs); None when only the parser can answer: help,
    or a usage mistake."""
    parsed = _scan(argv)
    return None if isinstance(parsed, str) else parsed


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """``quick_parse``, with the parser's help and usage errors where it cannot answer."""
    parsed = _scan(argv)
    if parsed == "help":
        parser.print_help()
        raise SystemExit(0)
    if isinstance(parsed, str):
        parser.error(parsed)
    import argparse

    python, command, words = parsed
    return argparse.Namespace(python=python, command=command, args=words)


def _scan(argv: Sequence[str]) -> Words | str:
    """cove's options come before the command; every word from the command on is passed
    verbatim (argparse would take a ``--`` out of them). A str: "help", or what is wrong."""
    python = None
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            i += 1
            break
        if word in ("-h", "--help"):
            return "help"
        if word in ("-p", "--python"):
            if i + 1 >= len(argv):
                return f"argument -p/--python: expected one argument after {word}"
            python, i = argv[i + 1], i + 2
        elif word.startswith("--python="):
            python, i = word.partition("=")[2], i + 1
        elif word.startswith("-p") and len(word) > 2:
            python, i = word[2:], i + 1
        elif word.startswith("-") and word != "-":
            return f"unrecognized argument before the command: {word}"
        else:
            break
    if i >= len(argv):
        return "the following arguments are required: CMD"
    return python, argv[i], list(argv[i + 1 :])


def run(args: argparse.Namespace) -> int:
    return execute(args.python, args.command, args.args)


def execute(python: str | None, command: str, words: list[str]) -> int:
    """Become ``command`` with ``words`` (on Windows: run it and return its status)."""
    from cove.errors import CommandError
    from cove.venv.active import activated_environ, environment_prompt, which
    from cove.venv.discover import find_root, read_pyvenv_cfg

    root = find_root(python, os.getcwd(), os.environ)
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    prompt = environment_prompt(read_pyvenv_cfg(root), root)
    environ = activated_environ(root, bin_dir, prompt, os.environ)
    found = which(command, environ["PATH"])
    if found is None:
        if os.path.exists(command):
            raise CommandError(
                f"{command} is not an executable file",
                hint=f"make it executable (chmod +x {command}), or run it with its interpreter "
                f"(cove run python {command})",
                exit_code=126,
            )
        raise CommandError(
            f"command {command!r} not found in {os.path.join(root, bin_dir)} or on PATH",
            hint=f"install the package that provides it (cove install -p {root} NAME), "
            "or check the name",
        )
    argv = [command, *words]
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    if os.name == "nt":  # no exec there: run it and pass its status on
        import subprocess

        return subprocess.call([found, *words], env=environ)
    # _signal is the C module under signal (which adds enums: importing enum costs 5 ms here);
    # it has no type stubs, hence __import__.
    _signal = __import__("_signal")

    for name in _IGNORED_BY_PYTHON:
        if hasattr(_signal, name):
            _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
    try:
        os.execve(found, argv, environ)
    except OSError as exc:
        raise CommandError(
            f"cannot run {found}: {exc.strerror}",
            hint="check that it is a program for this system (a script needs a #! line)",
            exit_code=126,
        ) from None
