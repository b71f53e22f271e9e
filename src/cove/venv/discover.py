"""Find the environment a command acts on: -p/--python, else $VIRTUAL_ENV, else .venv upward;
and read its pyvenv.cfg. Written over plain strings and os.path so that ``cove run``, which
should add next to nothing to the command it runs, starts without importing pathlib."""

from __future__ import annotations

import os

from cove.errors import VenvError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (as cli/main.py)
if TYPE_CHECKING:  # collections.abc costs cove run 4 ms: it imports collections
    from collections.abc import Mapping
    from pathlib import Path


def _lexical(path: str) -> str:
    """``str(PurePath(path))``: empty and ``.`` parts dropped, ``..`` kept (a symlink's parent
    is not the directory before it)."""
    drive, rest = os.path.splitdrive(path)
    separators = (os.sep, os.altsep) if os.altsep else (os.sep,)
    root = os.sep if rest.startswith(separators) else ""
    for sep in separators[1:]:
        rest = rest.replace(sep, os.sep)
    parts = [p for p in rest.split(os.sep) if p not in ("", ".")]
    return drive + root + os.sep.join(parts) or "."


def _env_root(path: str) -> str | None:
    """The environment a directory or one of its interpreters belongs to."""
    for candidate in (path, os.path.dirname(os.path.dirname(path))):
        if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
            return candidate
    return None


def _interrupted(candidates: list[str]) -> str | None:
    """The first candidate that is missing only because a ``cove create --clear`` was killed
    mid-swap (``open_environment`` puts it back); looked for only once nothing else matched,
    so the usual path imports nothing more."""
    from pathlib import Path

    from cove.venv.swap import restorable

    return next((c for c in candidates if restorable(Path(c))), None)


def find_root(explicit: str | None, cwd: str, environ: Mapping[str, str]) -> str:
    """The environment's root directory, absolute (``cwd`` is)."""
    if explicit:
        path = _lexical(os.path.join(cwd, explicit))
        root = _env_root(path) or _interrupted([path, os.path.dirname(os.path.dirname(path))])
        if root is None:
            raise VenvError(
                f"{explicit} is not a virtual environment (no pyvenv.cfg)",
                hint="give an environment directory or its bin/python, or make one: cove create "
                "(to install into an interpreter itself, add --system)",
            )
        return root
    active = environ.get("VIRTUAL_ENV")
    if active:
        root = _env_root(_lexical(active)) or _interrupted([_lexical(active)])
        if root is not None:
            return root
    directory = _lexical(cwd)
    upward = []
    while True:
        if os.path.isfile(os.path.join(directory, ".venv", "pyvenv.cfg")):
            return os.path.join(directory, ".venv")
        upward.append(os.path.join(directory, ".venv"))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    root = _interrupted(upward)
    if root is not None:
        return root
    raise VenvError(
        f"no virtual environment found: $VIRTUAL_ENV is not set and there is no .venv in {cwd} "
        "or its parents",
        hint="create one with `cove create`, or name one with -p PATH",
    )


def find_environment(explicit: str | None, cwd: Path, environ: Mapping[str, str]) -> Path:
    """``find_root`` as a Path."""
    from pathlib import Path

    return Path(find_root(explicit, os.fspath(cwd), environ))


def read_pyvenv_cfg(root: str | os.PathLike[str]) -> dict[str, str]:
    """pyvenv.cfg as venv's site.py reads it: ``key = value`` lines, keys lower-cased."""
    out: dict[str, str] = {}
    path = os.path.join(root, "pyvenv.cfg")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise VenvError(
            f"cannot read {path}: {reason}",
            hint="recreate the environment with `cove create --clear`",
        ) from None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip()
    return out
