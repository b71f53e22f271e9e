"""Put a new environment in the place of an old one all at once, and repair what a killed swap
left behind.

The new environment is built in a hidden sibling, ``.NAME.cove-new-TAG``. It then trades
places with the old one in one ``renameat2(RENAME_EXCHANGE)`` where the kernel has it (Linux
3.15+), so the path never stops holding a whole environment; elsewhere two renames move the old
one aside to ``.NAME.cove-old-TAG`` first. Whatever survives a kill is one of those siblings,
and ``recover`` (run by the next command that opens the environment) finishes or undoes the
swap from their names alone. The process doing a swap holds an ``flock`` on both directories,
so a concurrent command never takes a live one for a leftover.
"""

# Annotations are evaluated (no __future__ import): create imports this, and NamedTuple compiles
# string ones, a millisecond or two of its start-up.

import contextlib
import os
import sys
from pathlib import Path
from typing import NamedTuple

from cove.errors import VenvError
from cove.faults import checkpoint

NEW = "cove-new"
OLD = "cove-old"
_TAG = frozenset("0123456789abcdef")


class Leftover(NamedTuple):
    path: Path
    kind: str  # NEW or OLD
    tag: str


def sibling(path: Path, kind: str, tag: str) -> Path:
    """The hidden directory beside ``path`` that a swap with ``tag`` uses."""
    return path.parent / f".{path.name}.{kind}-{tag}"


def leftovers(path: Path) -> list[Leftover]:
    """The swap directories beside ``path``, in name order (real directories only). Run by
    every command that opens an environment: one scandir, nothing imported."""
    prefix = f".{path.name}."
    found = []
    try:
        with os.scandir(path.parent) as entries:
            for entry in entries:
                if not entry.name.startswith(prefix):
                    continue
                kind, _, tag = entry.name[len(prefix) :].rpartition("-")
                if (
                    kind in (NEW, OLD)
                    and len(tag) == 8
                    and _TAG.issuperset(tag)
                    and entry.is_dir(follow_symlinks=False)
                ):
                    found.append(Leftover(Path(entry.path), kind, tag))
    except OSError:
        return []
    return sorted(found)


def restorable(path: Path) -> bool:
    """Whether ``path`` is missing only because a swap into it was interrupted."""
    return not os.path.lexists(path) and any(lo.kind == OLD for lo in leftovers(path))


def hold(directory: Path, stack: contextlib.ExitStack) -> None:
    """Lock ``directory`` for this process until ``stack`` closes; refuse if another has it."""
    if not _try_hold(directory, stack):
        raise VenvError(
            f"{directory} is being changed by another cove process",
            hint="wait for it to finish, then try again",
        )


def _try_hold(directory: Path, stack: contextlib.ExitStack) -> bool:
    try:
        import fcntl
    except ImportError:  # no flock (Windows): nothing to take, nothing to wait for
        return True
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    stack.callback(os.close, fd)  # closing the descriptor releases the lock
    return True


def replace(staging: Path, path: Path, tag: str, *, existing: bool, exchange: bool = True) -> None:
    """Move the complete environment ``staging`` to ``path`` and delete what was there. An
    error leaves both as they were; ``exchange=False`` takes the two renames, as on systems
    without RENAME_EXCHANGE."""
    if not existing:
        if os.name == "nt" and path.is_dir():
            path.rmdir()  # an empty directory; POSIX rename replaces it by itself
        os.rename(staging, path)
        return
    import shutil

    if exchange and _exchange(staging, path):
        checkpoint("swap-exchanged")
        shutil.rmtree(staging, ignore_errors=True)  # the old environment, under the new's name
        return
    aside = sibling(path, OLD, tag)
    os.rename(path, aside)
    checkpoint("swap-aside")
    try:
        os.rename(staging, path)
    except BaseException:
        os.rename(aside, path)
        raise
    checkpoint("swap-done")
    shutil.rmtree(aside, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step; False where the system cannot (then nothing happened)."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)  # glibc 2.28+
    if renameat2 is None:
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM):
        return False  # an old kernel, or a filesystem that cannot exchange
    raise OSError(err, os.strerror(err), str(b))


def recover(path: Path) -> list[str]:
    """Finish or undo a swap into ``path`` that was killed, and remove its leftovers; returns
    what was done, one sentence each (nothing when there was nothing to do)."""
    found = leftovers(path)
    if not found:
        return []
    import shutil

    notes = []
    with contextlib.ExitStack() as stack:
        free = [lo for lo in found if _try_hold(lo.path, stack)]
        if not os.path.lexists(path):
            for old in (lo for lo in free if lo.kind == OLD):
                new = sibling(path, NEW, old.tag)
                # The old environment is moved aside only once the new one is complete.
                if any(lo.path == new for lo in free) and (new / "pyvenv.cfg").is_file():
                    os.rename(new, path)
                    notes.append(f"finished an interrupted `cove create`: {path} is the new one")
                else:
                    os.rename(old.path, path)
                    notes.append(f"restored {path} after an interrupted `cove create`")
                break
        for lo in free:
            if os.path.lexists(lo.path):
                shutil.rmtree(lo.path, ignore_errors=True)
                notes.append(f"removed {lo.path}, left behind by an interrupted `cove create`")
    return notes
