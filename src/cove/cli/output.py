"""The one printer: messages, warnings and errors with their hint."""

from __future__ import annotations

import sys

from cove.errors import CoveError


def info(message: str) -> None:
    """A progress or summary line, on stderr so stdout stays machine-readable."""
    print(message, file=sys.stderr)


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def error(exc: CoveError) -> None:
    print(f"error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)


def stdout(text: str) -> None:
    """Machine-readable output (reports, freeze) goes to stdout, exactly as given."""
    sys.stdout.write(text)
    sys.stdout.flush()


def duration(seconds: float) -> str:
    """12ms under a second, 1.25s from there on."""
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.2f}s"


def confirm(question: str) -> bool:
    """Ask on the terminal; only Enter, y or yes say yes."""
    try:
        answer = input(f"{question} [Y/n] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("", "y", "yes")
