"""Test-only: interrupt cove at a named phase, so tests can kill it at every step of a change.

``COVE_TEST_PAUSE_AT=<phase>`` makes cove SIGKILL itself when it reaches ``<phase>``;
``COVE_TEST_PAUSE_AT=<phase>:pause`` prints ``cove: paused at <phase>`` on stderr and sleeps
until the test kills it. Nothing else reads the variable; unset, a phase costs one lookup.
"""

from __future__ import annotations

import os


def pause_at(phase: str) -> None:
    """Die or stop here when the test asked for ``phase``; otherwise do nothing."""
    wanted = os.environ.get("COVE_TEST_PAUSE_AT")
    if not wanted:
        return
    name, _, action = wanted.partition(":")
    if name != phase:
        return
    import signal
    import sys
    import time

    if action == "pause":
        sys.stderr.write(f"cove: paused at {phase}\n")
        sys.stderr.flush()
        while True:
            time.sleep(60)
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
