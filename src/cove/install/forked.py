"""Half of a large link plan carried out by a forked child process: linking is short system
calls between lines of Python, and two threads hand the GIL to each other where two processes
do not (the large set's 15,232 links: about 160 ms on one or two threads, 105 ms from two
processes, bench/RESULTS.md). Only on Linux, with two cores or more, and only while this process
has no other thread (a fork copies none of them, and a lock one of them held would stay held in
the child). The child inherits the environment lock's descriptor, so the lock lasts until both
processes are done; it sends back what it made, or the error it met, and nothing else. The
caller has journaled every path first, so a failure on either side is undone as any other."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cove.cache.unpacked import EntryChanged
from cove.errors import CoveError, WheelError

if TYPE_CHECKING:
    from cove.install.wheel import InstalledDist

# Below this many files the fork costs about what it saves. The tests lower it (test-only).
_MIN_FILES = int(os.environ.get("COVE_TEST_FORK_LINK_MIN") or 4000)


def can_fork(files: int) -> bool:
    return (
        sys.platform == "linux"
        and files >= _MIN_FILES
        and (os.cpu_count() or 1) >= 2
        and threading.active_count() == 1
    )


def link_in_two(
    sizes: Sequence[int], link: Callable[[int], InstalledDist]
) -> list[InstalledDist] | None:
    """``link(i)`` for every item (``sizes``: its files), about half the files in a forked child;
    the results in order, or None (nothing done) when no process could be started. A failure on
    either side is raised once neither process links any more (the child is stopped when this
    side fails)."""
    mine, theirs = _halves(sizes)
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory or process left for a child: the caller links on its own
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: never returns
        os.close(read)
        _child(write, theirs, link)
    os.close(write)
    done: dict[int, InstalledDist] = {}
    pipe = os.fdopen(read, "rb")
    try:
        for i in mine:
            done[i] = link(i)
        data = pipe.read()
    except BaseException:  # a failure here, or Ctrl-C: the child stops before anything is undone
        import signal

        os.kill(pid, signal.SIGKILL)  # its paths are journaled: the caller's undo removes them
        os.waitpid(pid, 0)
        raise
    finally:
        pipe.close()
    _, status = os.waitpid(pid, 0)
    done.update(_results(data, status))
    return [done[i] for i in range(len(sizes))]


def _halves(sizes: Sequence[int]) -> tuple[list[int], list[int]]:
    """Two lists of indexes with about as many files each, the largest items placed first."""
    halves: tuple[list[int], list[int]] = ([], [])
    totals = [0, 0]
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        side = 0 if totals[0] <= totals[1] else 1
        halves[side].append(i)
        totals[side] += sizes[i]
    return halves[0], halves[1]


def _child(fd: int, work: list[int], link: Callable[[int], InstalledDist]) -> None:
    payload: dict[str, object]
    try:
        payload = {"done": [[i, _encoded(link(i))] for i in work]}
    except EntryChanged as exc:  # the caller repairs the entry and links again
        payload = {"changed": [exc.wheel, exc.path]}
    except WheelError as exc:
        payload = {"wheel": [exc.message, exc.hint]}
    except OSError as exc:
        payload = {"os": [exc.errno, exc.strerror, exc.filename]}
    except BaseException as exc:  # reported to the parent, which raises it
        payload = {"other": repr(exc)}
    data = json.dumps(payload).encode()
    code = 0
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError:  # the parent is gone
        code = 1
    os._exit(code)  # no teardown: nothing of the parent's (buffers, atexit) runs twice


def _encoded(dist: InstalledDist) -> list[object]:
    return [dist.name, dist.version, str(dist.dist_info), list(dist.files), dist.link_fallback,
            list(dist.executable_pth)]  # fmt: skip


def _results(data: bytes, status: int) -> dict[int, InstalledDist]:
    from cove.install.wheel import InstalledDist

    if not os.WIFEXITED(status) or not data:
        how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"status {status}"
        raise CoveError(
            f"the process linking half of the files ended without finishing ({how})",
            hint="nothing was installed; try again",
        )
    payload = json.loads(data)
    if "changed" in payload:
        raise EntryChanged(*payload["changed"])
    if "wheel" in payload:
        raise WheelError(*payload["wheel"])
    if "os" in payload:
        raise OSError(*payload["os"])
    if "other" in payload:
        raise CoveError(
            f"the process linking half of the files failed: {payload['other']}",
            hint="nothing was installed; try again",
        )
    return {
        int(i): InstalledDist(name, version, Path(info), tuple(files), bool(fallback), tuple(pth))
        for i, (name, version, info, files, fallback, pth) in payload["done"]
    }
