"""Test-only fault injection: ``COVE_TEST_KILL_AT=NAME`` makes the process kill itself (SIGKILL,
no cleanup of any kind) at the first ``checkpoint(NAME)``, so tests can prove that a command
killed at that moment loses nothing. Unset, a checkpoint costs one string comparison.

Names in use: install (install/): download, unpack, remove, link, record, compile, commit,
committed. Nothing outside the tests sets the variable."""

from __future__ import annotations

import os

# Read once, at import: the variable names where to die and never changes during a run.
_KILL_AT = os.environ.get("COVE_TEST_KILL_AT") or None


def checkpoint(name: str) -> None:
    """Die here if the tests asked for it (see the module's docstring)."""
    if name == _KILL_AT:
        import signal

        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        os._exit(137)  # where there is no SIGKILL (Windows), the nearest thing
