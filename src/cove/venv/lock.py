"""The lock every cove process takes before changing an environment (an install, an uninstall,
a create that replaces it)."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from filelock import BaseFileLock


class EnvironmentLock:
    """The lock every cove process takes before changing an environment: ``flock`` on the
    environment's directory itself. So it needs no file of its own (the environment stays file
    for file what pip makes, and no lock file is left behind), every process agrees on it
    whatever its user, TMPDIR or cache directory, and the kernel lets go of it when a process
    dies. Where a directory cannot be locked (no fcntl, or NFS, which locks only files open for
    writing) a hidden ``.cove.lock`` file in the environment is locked instead: the one place
    all users of an environment share. Reentrant within a process; ``waiting`` is called once
    when another process holds it."""

    def __init__(self, root: Path, waiting: Callable[[], None] | None = None) -> None:
        self.root = root
        self._waiting = waiting
        self._depth = 0
        self._fd: int | None = None
        self._file: BaseFileLock | None = None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock (waiting for it, unless ``blocking`` is false); whether it is held."""
        if self._depth == 0:
            held = self._lock_directory(blocking)
            if held is None:
                held = self._lock_file(blocking)
            if not held:
                return False
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth:
            return
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
        if self._file is not None:
            self._file.release()
            self._file = None

    def __enter__(self) -> EnvironmentLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _wait(self) -> None:
        if self._waiting is not None:
            self._waiting()
            self._waiting = None

    def _lock_directory(self, blocking: bool) -> bool | None:
        """Held, busy (only when not ``blocking``), or None: directories cannot be locked."""
        try:
            import fcntl
        except ImportError:  # Windows
            return None
        flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC
        while True:
            fd = os.open(self.root, flags)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not blocking:
                        os.close(fd)
                        return False
                    self._wait()
                    fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EBADF, errno.ENOLCK, errno.EINVAL, errno.ENOTSUP):
                    return None
                raise
            # Held; but if the directory was swapped meanwhile (create --clear), the lock is on
            # one nobody else will look at: take the new one's.
            if os.path.samestat(os.fstat(fd), os.stat(self.root)):
                self._fd = fd
                return True
            os.close(fd)

    def _lock_file(self, blocking: bool) -> bool:
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / ".cove.lock"), timeout=-1, thread_local=False)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            if not blocking:
                return False
            self._wait()
            lock.acquire()
        self._file = lock
        return True


def environment_lock(env_root: Path, waiting: Callable[[], None] | None = None) -> EnvironmentLock:
    return EnvironmentLock(env_root, waiting)
