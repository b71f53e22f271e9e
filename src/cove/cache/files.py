"""Cache files appear whole or not at all: written to a temporary name beside them, renamed."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.
    ``mode`` is before the umask: cache files are private (0600); a file the user keeps (a
    lock file) gets 0o666, so the umask makes it what any other file of theirs would be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own without tempfile, whose import costs a new environment 4 ms.
    tmp = os.path.join(path.parent, f".tmp-{os.getpid()}-{os.urandom(6).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def store(path: Path, data: bytes) -> None:
    """``write_atomic`` for what is only an optimisation: an unwritable cache is not an error."""
    with contextlib.suppress(OSError):
        write_atomic(path, data)
