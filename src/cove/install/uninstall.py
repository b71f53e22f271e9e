"""Which files belong to an installed distribution, as pip decides it from RECORD (or a legacy
installed-files.txt), including the bytecode Python wrote beside each module."""

from __future__ import annotations

import csv
import os
from collections.abc import Collection
from pathlib import Path

from cove.errors import CoveError


class UninstallError(CoveError):
    """A distribution cannot be removed safely."""


def recorded(dist_dir: Path) -> list[tuple[str, str]] | None:
    """(absolute normalized path, hash) for every file the distribution's RECORD (or legacy
    installed-files.txt, which has no hashes) lists; None when it has neither."""
    record = dist_dir / "RECORD"
    legacy = dist_dir / "installed-files.txt"
    try:
        with open(record, encoding="utf-8", newline="") as f:
            rows = [(row[0], row[1] if len(row) > 1 else "") for row in csv.reader(f) if row]
        base = str(dist_dir.parent)
    except FileNotFoundError:
        try:
            text = legacy.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        rows = [(line, "") for line in text.splitlines() if line]
        base = str(dist_dir)
    return [(os.path.normpath(os.path.join(base, name)), digest) for name, digest in rows]


def owned_paths(dist_dir: Path, env_root: Path, keep: Collection[str] = ()) -> list[Path]:
    """Every file the distribution at ``dist_dir`` owns inside ``env_root``, the metadata
    directory's own files included. Paths outside the environment are never returned, nor
    those in ``keep`` (files another distribution also lists) or their bytecode."""
    rows = recorded(dist_dir)
    if rows is None:
        raise UninstallError(
            f"cannot uninstall {dist_dir.name}: it has no RECORD file, so cove cannot tell "
            "which files belong to it",
            hint="reinstall it first (cove install --force-reinstall NAME), then uninstall",
        )
    root = os.path.abspath(env_root) + os.sep
    out: set[str] = set()
    for path, _digest in rows:
        if not path.startswith(root) or path in keep:
            continue
        out.add(path)
        if path.endswith(".py"):
            head, tail = os.path.split(path)
            stem = tail[:-3]
            out.add(path + "c")
            cache = os.path.join(head, "__pycache__")
            if os.path.isdir(cache):
                out.update(
                    os.path.join(cache, n)
                    for n in os.listdir(cache)
                    if n.startswith(stem + ".") and n.endswith(".pyc")
                )
    for dirpath, _dirs, files in os.walk(dist_dir):
        out.update(os.path.join(dirpath, f) for f in files)
    return sorted(Path(p) for p in out if os.path.lexists(p))
