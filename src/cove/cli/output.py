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


def download_progress(label: str, done: int, total: int | None, finished: bool) -> None:
    """One line per file on a terminal, rewritten in place while it downloads."""
    if finished:
        print(f"\r\033[K  downloaded {label} ({_size(done)})", file=sys.stderr)
        return
    share = f" {done * 100 // total:3d}%" if total else ""
    print(f"\r\033[K  {label} {_size(done)}{share}", end="", file=sys.stderr, flush=True)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f"{n:.1f} GiB"


def confirm(question: str) -> bool:
    """Ask on the terminal; only Enter, y or yes say yes."""
    try:
        answer = input(f"{question} [Y/n] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("", "y", "yes")
