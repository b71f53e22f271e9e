"""The download display of `cove install`: bars on a real pseudo-terminal, nothing on a pipe,
and a terminal left clean (no bars, cursor shown) after success, an error or Ctrl-C."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cove
from tests.integration.test_install import PY, SITE, make_env
from tests.support.index import Index, IndexServer, ServerOptions
from tests.support.terminal import ANSI, TerminalRun, run_on_terminal

pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")

NAMES = ("alpha", "beta", "gamma")
BAR = ("━", "╸", "╺")  # what rich draws bars with on a UTF-8 terminal
SIZE = 1_200_000  # stored uncompressed in the wheel: about 1.2 MB on the wire each


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test downloads: the same wheels cached by an earlier test would not be fetched."""
    monkeypatch.setenv("COVE_CACHE_DIR", str(tmp_path / "cache"))


def big_wheels(index: Index) -> None:
    for name in NAMES:
        files = {f"{name}/__init__.py": b"", f"{name}/blob.bin": b"\0" * SIZE}
        index.add(name, "1.0", files=files)


def slow(delay: float = 0.03) -> ServerOptions:
    """About 20 pieces per wheel: each download lasts long enough for bars to be drawn."""
    return ServerOptions(wheel_chunk_delay=delay)


def cove_on_terminal(*args: str, **kw: object) -> TerminalRun:
    return run_on_terminal([sys.executable, "-m", "cove", *args], dict(os.environ), **kw)  # type: ignore[arg-type]


def assert_clean(run: TerminalRun) -> list[str]:
    """The final screen: no bar and no total row left over, and the cursor visible again."""
    screen = run.screen()
    lines = screen.text()
    assert screen.cursor_visible, run.raw
    assert "\x1b[?25l" in run.raw  # the display did hide it, so showing it again was needed
    assert not any(ch in line for line in lines for ch in BAR), lines
    assert not any(line.startswith("total") for line in lines), lines
    assert not screen.unknown, screen.unknown
    return lines


def test_bars_per_file_and_a_total_on_a_terminal(tmp_path: Path, index: Index) -> None:
    big_wheels(index)
    env = make_env(tmp_path)
    with IndexServer(index, slow()) as server:
        run = cove_on_terminal("install", "-p", str(env), "-i", server.url, *NAMES)
    assert run.returncode == 0, run.plain
    frames = run.plain
    for name in NAMES:  # a row of its own: name, a bar, bytes of the known size
        row = re.search(rf"{name} 1\.0 +[━╸╺]+ +[\d.]+/1\.2 MB +", frames)
        assert row, (name, frames)
    assert re.search(r"total +[━╸╺]+ +[0-2]/3 files, [\d.]+ (bytes|kB|MB)", frames), frames
    lines = assert_clean(run)
    assert re.fullmatch(r"Downloaded 3 files \(3\.6 MB\) in [\d.]+m?s", lines[1]), lines
    assert lines[0].startswith("Resolved 3 packages") and lines[2].startswith("Installed 3")
    assert lines[3:] == [" + alpha==1.0", " + beta==1.0", " + gamma==1.0"]
    for name in NAMES:
        assert (env / SITE / name / "blob.bin").stat().st_size == SIZE


def test_verbose_lines_go_above_the_bars(tmp_path: Path, index: Index) -> None:
    big_wheels(index)
    env = make_env(tmp_path)
    with IndexServer(index, slow()) as server:
        run = cove_on_terminal("install", "-v", "-p", str(env), "-i", server.url, *NAMES)
    assert run.returncode == 0, run.plain
    lines = assert_clean(run)
    assert lines[0].startswith("Resolved 3 packages")
    assert sorted(lines[1:4]) == [f"  downloaded {n} 1.0 (1.2 MB)" for n in NAMES]
    assert lines[4].startswith("Downloaded 3 files")


def test_quiet_on_a_terminal_draws_nothing(tmp_path: Path, index: Index) -> None:
    big_wheels(index)
    env = make_env(tmp_path)
    with IndexServer(index, slow(0.01)) as server:
        run = cove_on_terminal("install", "-q", "-p", str(env), "-i", server.url, *NAMES)
    assert run.returncode == 0, run.plain
    assert run.raw == ""
    assert (env / SITE / "alpha" / "blob.bin").exists()


def test_no_progress_on_a_pipe(
    tmp_path: Path, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rich would draw even on a pipe when told a terminal is there; cove must not ask it to.
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    big_wheels(index)
    env = make_env(tmp_path)
    with IndexServer(index, slow(0.01)) as server:
        proc = run_cove("install", "-p", str(env), "-i", server.url, *NAMES)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("Resolved 3 packages") and lines[1].startswith("Installed 3")
    assert lines[2:] == [" + alpha==1.0", " + beta==1.0", " + gamma==1.0"]
    assert proc.stdout == ""


def test_an_error_during_downloads_clears_the_bars(tmp_path: Path, index: Index) -> None:
    big_wheels(index)
    wheel = index.root / "files" / "beta-1.0-py3-none-any.whl"
    index.tamper(wheel, wheel.read_bytes()[:-1] + b"!")
    env = make_env(tmp_path)
    before = sorted(p.name for p in (env / SITE).iterdir())
    with IndexServer(index, slow()) as server:
        run = cove_on_terminal("install", "-p", str(env), "-i", server.url, *NAMES)
    assert run.returncode == 1, run.plain
    assert re.search(r"beta 1\.0 +[━╸╺]+", run.plain), run.plain  # bars were up when it failed
    lines = assert_clean(run)
    assert any(line.startswith("error: beta-1.0-py3-none-any.whl") for line in lines), lines
    assert not any(line.startswith("Downloaded") for line in lines), lines
    assert sorted(p.name for p in (env / SITE).iterdir()) == before


def test_ctrl_c_during_downloads_clears_the_bars(tmp_path: Path, index: Index) -> None:
    big_wheels(index)
    env = make_env(tmp_path)
    before = sorted(p.name for p in (env / SITE).iterdir())

    def bars_up(text: str) -> bool:  # some bytes of a file have arrived, not all
        return re.search(r" 1\.0 +[━╸╺]+ +0\.[1-9]/1\.2 MB", ANSI.sub("", text)) is not None

    with IndexServer(index, slow(0.25)) as server:  # slow enough for a loaded machine
        run = cove_on_terminal(
            "install", "-p", str(env), "-i", server.url, *NAMES, interrupt_when=bars_up
        )
    assert run.returncode == 130, run.plain
    lines = assert_clean(run)
    assert lines[-1] == "cove: interrupted", lines
    assert not any(line.startswith(("Downloaded", "Installed")) for line in lines), lines
    assert sorted(p.name for p in (env / SITE).iterdir()) == before
    # the downloads under way were stopped, not run to their end, and left no partial file
    cached = [p.name for p in (tmp_path / "cache").rglob("*.whl")]
    assert cached == [], cached
    incoming = tmp_path / "cache" / "artifacts-v1" / "incoming"
    assert not incoming.exists() or list(incoming.iterdir()) == []
