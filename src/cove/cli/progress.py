"""The download display on a terminal, drawn with rich: a bar per file being fetched (no more
than there are download workers), a total row, and one summary line left when all arrived.

Imported only when a display is shown, so commands that never download never load rich."""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Iterable

from rich.console import Console, RenderableType
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TransferSpeedColumn,
)
from rich.table import Column
from rich.text import Text

from cove.cli import output

TOTAL = "total"


class DownloadBoard:
    """Fed ``(label, bytes so far, total or None, finished)`` from the download worker threads.

    A file gets a bar on its first event and loses it when it finishes; beyond ``slots`` bars, a
    file waits hidden for a free one, so a hundred files never scroll. ``close`` clears the
    display; only a complete run leaves the summary line behind."""

    def __init__(
        self,
        total_files: int,
        *,
        slots: int = 8,
        verbose: int = 0,
        console: Console | None = None,
    ) -> None:
        self.total_files = total_files
        self.slots = max(1, slots)
        self.verbose = verbose
        self.done_files = 0  # finished, whether fetched or found in the cache
        self.fetched_files = 0  # finished with bytes on the wire
        self.sizes: dict[str, int] = {}  # label -> bytes so far
        self.shown: dict[str, TaskID] = {}  # label -> its visible bar
        self.waiting: deque[str] = deque()  # labels whose bars wait for a free slot
        self.hidden: dict[str, TaskID] = {}
        self.closed = False
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self.console = console or Console(file=sys.stderr)
        self.progress = _Progress(
            # On a narrow terminal the name and the bar give way; numbers never wrap.
            _Label(table_column=Column(max_width=32)),
            BarColumn(bar_width=28),
            _Amount(table_column=Column(no_wrap=True)),
            _Speed(table_column=Column(no_wrap=True)),
            console=self.console,
            transient=True,
            refresh_per_second=10,
            redirect_stdout=False,  # stdout may be a pipe (--report -): never draw into it
            redirect_stderr=True,  # a line printed to stderr meanwhile goes above the bars
        )
        self.total = self.progress.add_task(
            TOTAL, total=total_files, kind=TOTAL, files=total_files, size=0, rate=None
        )
        # A terminal that cannot move the cursor (TERM=dumb) gets only the summary.
        self.animated = self.console.is_interactive
        if self.animated:
            self.progress.start()

    def __call__(self, label: str, done: int, total: int | None, finished: bool) -> None:
        with self._lock:
            if self.closed:  # a worker still running after an error or Ctrl-C
                return
            if finished:
                self._finish(label, done)
            else:
                self._advance(label, done, total)
            size = sum(self.sizes.values())
            elapsed = time.monotonic() - self._started
            self.progress.update(
                self.total,
                completed=self.done_files,
                size=size,
                rate=size / elapsed if elapsed > 0 else None,
            )

    def _advance(self, label: str, done: int, total: int | None) -> None:
        task = self.shown.get(label)
        if task is None:
            task = self.hidden.get(label)
        if task is None:
            visible = len(self.shown) < self.slots
            task = self.progress.add_task(label, total=total, visible=visible, kind="file")
            if visible:
                self.shown[label] = task
            else:
                self.hidden[label] = task
                self.waiting.append(label)
        elif done < self.sizes.get(label, 0):
            self.progress.reset(task, total=total)  # a retry starts the file over
        self.sizes[label] = done
        self.progress.update(task, completed=done, total=total)

    def _finish(self, label: str, done: int) -> None:
        self.done_files += 1
        task = self.shown.pop(label, None)
        if task is None:
            task = self.hidden.pop(label, None)
            if task is not None:
                self.waiting.remove(label)
        if task is not None:
            self.progress.remove_task(task)
        while self.waiting and len(self.shown) < self.slots:
            nxt = self.waiting.popleft()
            self.shown[nxt] = self.hidden.pop(nxt)
            self.progress.update(self.shown[nxt], visible=True)
        if done:
            self.fetched_files += 1
            self.sizes[label] = done
            if self.verbose:  # printed above the bars, which are redrawn below it
                self.console.print(f"  downloaded {label} ({decimal(done)})", highlight=False)

    def close(self, completed: bool) -> None:
        """Clear the display and give the cursor back; say what arrived if all of it did."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if self.animated:
                self.progress.stop()
        if completed and self.fetched_files:
            n = self.fetched_files
            size = decimal(sum(self.sizes.values()))
            took = output.duration(time.monotonic() - self._started)
            output.info(f"Downloaded {n} file{'s' * (n != 1)} ({size}) in {took}")

    def visible_labels(self) -> list[str]:
        """The files that have a bar on screen now, in the order they got it."""
        with self._lock:
            return [t.description for t in self.progress.tasks if t.visible and _is_file(t)]


def _is_file(task: Task) -> bool:
    return bool(task.fields.get("kind") == "file")


class _Progress(Progress):
    """Bars of files first, the total row last, so the total stays on the bottom line."""

    def get_renderables(self) -> Iterable[RenderableType]:
        tasks = sorted(self.tasks, key=lambda t: not _is_file(t))
        yield self.make_tasks_table(tasks)


class _Label(ProgressColumn):
    def render(self, task: Task) -> Text:
        style = "" if _is_file(task) else "bold"
        return Text(task.description, style=style, no_wrap=True, overflow="ellipsis")


class _Amount(ProgressColumn):
    """Bytes of one file (of its size when known); files and bytes for the total row."""

    def __init__(self, table_column: Column) -> None:
        super().__init__(table_column)
        self._bytes = DownloadColumn()

    def render(self, task: Task) -> Text:
        if _is_file(task):
            return self._bytes.render(task)
        files = task.fields["files"]
        return Text(
            f"{int(task.completed)}/{files} files, {decimal(task.fields['size'])}",
            style="progress.download",
        )


class _Speed(ProgressColumn):
    """Each file's rate, and the rate of all of them together on the total row."""

    def __init__(self, table_column: Column) -> None:
        super().__init__(table_column)
        self._speed = TransferSpeedColumn()

    def render(self, task: Task) -> Text:
        if _is_file(task):
            return self._speed.render(task)
        rate = task.fields["rate"]
        return Text("" if not rate else f"{decimal(int(rate))}/s", style="progress.data.speed")
