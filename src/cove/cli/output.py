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
