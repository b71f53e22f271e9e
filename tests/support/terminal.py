"""Run a command on a real pseudo-terminal and replay what it wrote on a small screen model, so
tests can assert on what a person would see at the end, not only on the bytes on the way."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

CSI = re.compile(r"\x1b\[([?0-9;]*)([A-Za-z])")
ANSI = re.compile(r"\x1b\[[?0-9;]*[A-Za-z]|\x1b\][^\x07]*\x07")


@dataclass
class Screen:
    """The lines, the cursor and its visibility after a stream of text and the few control
    sequences a progress display uses (cursor up/down, erase line, show/hide cursor, colours).
    Lines that scrolled off the top are kept: the screen is as tall as it needs to be."""

    lines: list[str] = field(default_factory=lambda: [""])
    row: int = 0
    col: int = 0
    cursor_visible: bool = True
    unknown: list[str] = field(default_factory=list)  # sequences this model does not handle

    def feed(self, text: str) -> None:
        pos = 0
        while pos < len(text):
            match = CSI.match(text, pos)
            if match:
                self._control(match.group(1), match.group(2))
                pos = match.end()
                continue
            ch = text[pos]
            pos += 1
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self.row += 1
                self.col = 0
                while len(self.lines) <= self.row:
                    self.lines.append("")
            elif ch == "\x1b":
                self.unknown.append(text[pos - 1 : pos + 8])
            elif ch >= " ":
                line = self.lines[self.row].ljust(self.col)
                self.lines[self.row] = line[: self.col] + ch + line[self.col + 1 :]
                self.col += 1

    def _control(self, args: str, op: str) -> None:
        n = int(args) if args.isdigit() else 1
        if op == "m":
            return
        if op == "A":
            self.row = max(0, self.row - n)
        elif op == "B":
            self.row += n
            while len(self.lines) <= self.row:
                self.lines.append("")
        elif op == "K" and args in ("2", ""):
            self.lines[self.row] = "" if args == "2" else self.lines[self.row][: self.col]
        elif op == "G":
            self.col = n - 1
        elif op in ("h", "l") and args == "?25":
            self.cursor_visible = op == "h"
        else:
            self.unknown.append(f"ESC[{args}{op}")

    def text(self) -> list[str]:
        """The visible lines, trailing blanks dropped."""
        out = [line.rstrip() for line in self.lines]
        while out and not out[-1]:
            out.pop()
        return out


@dataclass
class TerminalRun:
    returncode: int
    raw: str  # everything written, control sequences included

    @property
    def plain(self) -> str:
        """The stream with control sequences removed (every frame ever drawn, in order)."""
        return ANSI.sub("", self.raw)

    def screen(self) -> Screen:
        screen = Screen()
        screen.feed(self.raw)
        return screen


def run_on_terminal(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    columns: int = 100,
    rows: int = 30,
    timeout: float = 120,
    interrupt_when: Callable[[str], bool] | None = None,
) -> TerminalRun:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal of a fixed size and read all it
    writes; send SIGINT (Ctrl-C) once ``interrupt_when`` says yes to the output so far."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**env, "COLUMNS": str(columns), "LINES": str(rows), "TERM": "xterm-256color"}
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CI"):
        env.pop(name, None)
    proc = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env,
        # A test run started in the background inherits SIGINT ignored, and Python then never
        # raises KeyboardInterrupt: give the child Ctrl-C's default, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    os.close(slave)
    data = bytearray()
    interrupted = False
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{argv} still running after {timeout}s:\n{data.decode()}")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer of the terminal has closed it
                break
            if not chunk:
                break
            data += chunk
            if interrupt_when and not interrupted and interrupt_when(data.decode(errors="replace")):
                proc.send_signal(signal.SIGINT)
                interrupted = True
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return TerminalRun(code, data.decode(errors="replace"))
