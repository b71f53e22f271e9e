"""The download board's own bookkeeping: bounded bars, waiting files, retries, cached files,
the summary, and events that arrive from worker threads after it was closed."""

from __future__ import annotations

import io
import threading

import pytest
from rich.console import Console

from cove.cli.progress import DownloadBoard


def board(files: int, *, slots: int = 8, verbose: int = 0) -> tuple[DownloadBoard, io.StringIO]:
    """A board that draws nothing by itself (not interactive); rows are rendered on demand."""
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    return DownloadBoard(files, slots=slots, verbose=verbose, console=console), out


def rows(b: DownloadBoard, width: int = 100) -> list[str]:
    """What the display would show now, one string per line."""
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(b.progress)
    return [line.rstrip() for line in out.getvalue().splitlines()]


def test_bars_are_bounded_and_waiting_files_take_freed_slots_in_order() -> None:
    b, _ = board(5, slots=2)
    for n in range(5):
        b(f"p{n} 1.0", 1000, 10_000, False)
    assert b.visible_labels() == ["p0 1.0", "p1 1.0"]
    b("p1 1.0", 10_000, None, True)
    assert b.visible_labels() == ["p0 1.0", "p2 1.0"]
    b("p4 1.0", 10_000, None, True)  # finished while still waiting: never shown
    b("p0 1.0", 10_000, None, True)
    assert b.visible_labels() == ["p2 1.0", "p3 1.0"]
    shown = rows(b)
    assert len(shown) == 3 and shown[-1].startswith("total")
    assert "3/5 files" in shown[-1]


def test_rows_show_sizes_known_and_unknown() -> None:
    b, _ = board(3)
    b("known 1.0", 300_000, 1_200_000, False)
    b("unknown 2.0", 500_000, None, False)
    known, unknown, total = rows(b)
    assert known.startswith("known 1.0") and "0.3/1.2 MB" in known
    assert unknown.startswith("unknown 2.0") and "500.0/? kB" in unknown
    assert total.startswith("total") and "0/3 files, 800.0 kB" in total


def test_on_a_narrow_terminal_names_give_way_and_numbers_stay_whole() -> None:
    b, _ = board(120)
    b("a-very-long-project-name-for-testing-widths 12.3.4.post1", 3_400_000, 120_000_000, False)
    b("six 1.16.0", 3_400, None, False)
    long, six, total = rows(b, width=50)  # one line per row: nothing wrapped
    assert long.startswith("a-very-") and "…" in long and "3.4/120.0 MB" in long
    assert "3.4/? kB" in six
    assert "0/120 files, 3.4 MB" in total


def test_a_retry_starts_the_file_over_and_the_total_follows() -> None:
    b, _ = board(1)
    b("x 1.0", 400_000, 1_000_000, False)
    b("x 1.0", 800_000, 1_000_000, False)
    b("x 1.0", 100_000, 1_000_000, False)
    (task,) = [t for t in b.progress.tasks if t.description == "x 1.0"]
    assert task.completed == 100_000
    assert task.speed is None  # the rate of the lost attempt is forgotten
    assert "0/1 files, 100.0 kB" in rows(b)[-1]


def test_cached_files_count_as_done_but_leave_no_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    b, _ = board(2)
    b("a 1.0", 0, 0, True)
    b("b 1.0", 0, 0, True)
    assert (b.done_files, b.fetched_files) == (2, 0)
    assert "2/2 files, 0 bytes" in rows(b)[-1]
    b.close(True)
    assert capsys.readouterr().err == ""


def test_summary_only_when_every_file_arrived(capsys: pytest.CaptureFixture[str]) -> None:
    b, _ = board(3)
    b("a 1.0", 1_000_000, None, True)
    b("b 1.0", 500_000, None, True)
    b("c 1.0", 0, 0, True)
    b.close(True)
    err = capsys.readouterr().err
    assert err.startswith("Downloaded 2 files (1.5 MB) in ") and err.count("\n") == 1

    b, _ = board(2)
    b("a 1.0", 1_000_000, None, True)
    b.close(False)
    assert capsys.readouterr().err == ""


def test_events_after_close_are_ignored() -> None:
    b, _ = board(2)
    b("a 1.0", 10, 100, False)
    b.close(False)
    b("a 1.0", 100, None, True)
    b("b 1.0", 50, 100, False)
    b.close(True)  # once closed, stays closed
    assert (b.done_files, b.visible_labels()) == (0, ["a 1.0"])


def test_verbose_prints_a_line_per_fetched_file() -> None:
    b, out = board(2, verbose=1)
    b("a 1.0", 2_000_000, None, True)
    b("b 1.0", 0, 0, True)  # from the cache: nothing downloaded, nothing to say
    assert out.getvalue() == "  downloaded a 1.0 (2.0 MB)\n"


def test_events_from_many_threads_add_up() -> None:
    b, _ = board(40, slots=4)

    def worker(first: int) -> None:
        for n in range(first, 40, 8):
            for done in range(0, 100_001, 10_000):
                b(f"p{n} 1.0", done, 100_000, False)
                assert len(b.visible_labels()) <= 4
            b(f"p{n} 1.0", 100_000, None, True)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (b.done_files, b.fetched_files) == (40, 40)
    assert b.visible_labels() == [] and not b.waiting and not b.hidden
    assert rows(b) == [rows(b)[0]] and "40/40 files, 4.0 MB" in rows(b)[0]


def test_on_a_terminal_close_clears_the_display_and_shows_the_cursor() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, force_interactive=True)
    b = DownloadBoard(1, console=console)
    b("a 1.0", 10, 100, False)
    assert b.progress.live.is_started
    b.close(False)
    assert not b.progress.live.is_started
    written = out.getvalue()
    assert written.startswith("\x1b[?25l")  # hidden while drawing
    shown = written.rindex("\x1b[?25h")
    assert "\x1b[2K" in written[shown:]  # ...then the drawn rows are erased
    assert "total" not in written[shown:]


def test_a_terminal_that_cannot_move_the_cursor_gets_no_bars() -> None:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, force_interactive=False)
    b = DownloadBoard(1, console=console)
    b("a 1.0", 10, 100, False)
    b.close(False)
    assert out.getvalue() == ""
