"""Test-only fault injection, so tests can prove that a command killed at any step loses
nothing: ``COVE_TEST_KILL_AT=NAME`` makes the process kill itself (SIGKILL, no cleanup of any
kind) at the first ``checkpoint(NAME)``; ``COVE_TEST_KILL_AT=NAME:pause`` prints
``cove: paused at NAME`` on stderr there and sleeps until the test kills it. Nothing outside
the tests sets the variable; unset, a checkpoint costs one string comparison.

Names in use: install (install/, prepare/): download, unpack, remove, link, record, compile,
commit, committed; create (venv/): create-staging, create-copied, create-linked,
create-seeding, create-built and the swap's steps (venv/swap.py)."""

from __future__ import annotations

import os

# Read once, at import: the variable names where to stop and never changes during a run.
_NAME, _, _ACTION = (os.environ.get("COVE_TEST_KILL_AT") or "").partition(":")


def checkpoint(name: str) -> None:
    """Die (or pause) here if the tests asked for it (see the module's docstring)."""
    if name != _NAME:
        return
    import signal

    if _ACTION == "pause":
        import sys
        import time

        sys.stderr.write(f"cove: paused at {name}\n")
        sys.stderr.flush()
        while True:
            time.sleep(60)
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
    os._exit(137)  # where there is no SIGKILL (Windows), the nearest thing
