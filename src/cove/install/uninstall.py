"""Which files belong to an installed distribution, as pip decides it from RECORD (or a legacy
installed-files.txt), including the bytecode Python wrote beside each module."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from cove.errors import CoveError


class UninstallError(CoveError):
    """A distribution cannot be removed safely."""


def owned_paths(dist_dir: Path, env_root: Path) -> list[Path]:
    """Every file the distribution at ``dist_dir`` owns inside ``env_root``, the metadata
    directory's own files included. Paths outside the environment are never returned."""
    location = dist_dir.parent
    names: list[str] = []
    record = dist_dir / "RECORD"
    legacy = dist_dir / "installed-files.txt"
    if record.is_file():
        with open(record, encoding="utf-8", newline="") as f:
            names = [row[0] for row in csv.reader(f) if row]
        base = location
    elif legacy.is_file():
        names = [line for line in legacy.read_text(encoding="utf-8").splitlines() if line]
        base = dist_dir
    else:
        raise UninstallError(
            f"cannot uninstall {dist_dir.name}: it has no RECORD file, so cove cannot tell "
            "which files belong to it",
            hint="reinstall it first (cove install --force-reinstall NAME), then uninstall",
        )
    root = os.path.abspath(env_root) + os.sep
    out: set[str] = set()
    for name in names:
        path = os.path.normpath(os.path.join(base, name))
        if not path.startswith(root):
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
