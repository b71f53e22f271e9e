"""The CoveError family: what went wrong, the input that caused it, and a hint. Never prints."""

from __future__ import annotations


class CoveError(Exception):
    """A failure the user can act on; the CLI prints it without a traceback, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CoveError):
    """The command line itself is wrong; exit code 2."""

    exit_code = 2


class InterpreterError(CoveError):
    """An interpreter was not found, is too old, or is broken."""


class VenvError(CoveError):
    """An environment cannot be created, found or changed."""


class WheelError(CoveError):
    """A wheel is malformed or unsafe to install."""


class LockError(CoveError):
    """A lock file cannot be read, written or used for the target environment."""


class CommandError(CoveError):
    """A command to run in an environment is missing (exit 127) or cannot be run (exit 126):
    the codes a shell, ``env`` and ``nohup`` use, so scripts can tell them from the command's."""

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int = 127) -> None:
        super().__init__(message, hint)
        self.exit_code = exit_code
