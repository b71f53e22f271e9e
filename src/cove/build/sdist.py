"""Unpack a source distribution safely: it is untrusted input, so members that would land
outside the target, links that point outside it, and device files are refused."""

from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path

from cove.errors import CoveError


class SdistError(CoveError):
    """A source distribution is malformed or unsafe to unpack."""


def _inside(root: str, name: str) -> bool:
    target = os.path.realpath(os.path.join(root, name))
    return target == root or target.startswith(root + os.sep)


def unpack_sdist(archive: Path, dest: Path) -> Path:
    """Extract ``archive`` into ``dest`` and return the project directory inside it."""
    dest.mkdir(parents=True, exist_ok=True)
    root = os.path.realpath(dest)
    name = archive.name
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():
                    if not _inside(root, member):
                        raise SdistError(
                            f"{name} has a member outside the archive: {member!r}",
                            hint="the file is malformed or malicious; nothing was built",
                        )
                zf.extractall(dest)
        else:
            with tarfile.open(archive) as tf:
                members = tf.getmembers()
                for m in members:
                    bad = (
                        not _inside(root, m.name)
                        or m.isdev()
                        or ((m.issym() or m.islnk()) and not _inside(
                            root, os.path.join(os.path.dirname(m.name), m.linkname)
                            if m.issym() else m.linkname))
                    )  # fmt: skip
                    if bad:
                        raise SdistError(
                            f"{name} has an unsafe member: {m.name!r}",
                            hint="the file is malformed or malicious; nothing was built",
                        )
                if hasattr(tarfile, "data_filter"):  # 3.11.4+: the standard library checks too
                    tf.extractall(dest, members=members, filter="data")
                else:
                    tf.extractall(dest, members=members)
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
        if isinstance(exc, SdistError):
            raise
        raise SdistError(
            f"cannot unpack {name}: {exc}", hint="the file is broken; pin another version"
        ) from None
    entries = [p for p in dest.iterdir()]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest
