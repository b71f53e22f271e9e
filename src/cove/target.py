"""Find the environment a command acts on: -p/--python, else $VIRTUAL_ENV, else .venv upward."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cove.errors import VenvError


def _env_root(path: Path) -> Path | None:
    """The environment a directory or one of its interpreters belongs to."""
    for candidate in (path, path.parent.parent):
        if (candidate / "pyvenv.cfg").is_file():
            return candidate
    return None


def find_environment(explicit: str | None, cwd: Path, environ: Mapping[str, str]) -> Path:
    """The environment's root directory, absolute."""
    if explicit:
        path = (cwd / explicit).absolute()
        root = _env_root(path)
        if root is None:
            raise VenvError(
                f"{explicit} is not a virtual environment (no pyvenv.cfg)",
                hint="give an environment directory or its bin/python, or make one: cove create",
            )
        return root
    active = environ.get("VIRTUAL_ENV")
    if active:
        root = _env_root(Path(active))
        if root is not None:
            return root
    for directory in (cwd, *cwd.parents):
        if (directory / ".venv" / "pyvenv.cfg").is_file():
            return directory / ".venv"
    raise VenvError(
        f"no virtual environment found: $VIRTUAL_ENV is not set and there is no .venv in {cwd} "
        "or its parents",
        hint="create one with `cove create`, or name one with -p PATH",
    )
