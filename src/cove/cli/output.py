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


class DownloadBoard:
    """Progress of parallel downloads on a terminal: a line per finished file and one total line
    (files done, bytes so far, the file being fetched) rewritten in place."""

    def __init__(self, total_files: int) -> None:
        import threading

        self.total_files = total_files
        self.done_files = 0
        self.bytes: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, label: str, done: int, total: int | None, finished: bool) -> None:
        with self.lock:
            self.bytes[label] = done
            if finished:
                self.done_files += 1
            if finished and done:
                print(f"\r\033[K  downloaded {label} ({_size(done)})", file=sys.stderr)
            share = f" ({done * 100 // total}% of {label})" if total and not finished else ""
            line = (
                f"  {self.done_files}/{self.total_files} files, "
                f"{_size(sum(self.bytes.values()))}{share}"
            )
            print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        print("\r\033[K", end="", file=sys.stderr, flush=True)


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
