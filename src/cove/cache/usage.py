"""What the cache holds, and emptying it. Its buckets are the names in ``cove.cache.BUCKETS``,
in any version (``interpreters-v4`` is an older cove's); nothing else under the cache root is
counted or removed, so a mistaken COVE_CACHE_DIR cannot cost anyone their files."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from cove.cache import BUCKETS

_VERSION = re.compile(r"-v[0-9]+(?=(\.json)?$)")
_KNOWN = {_VERSION.sub("-v#", name) for name in BUCKETS}


@dataclass(frozen=True, slots=True)
class Usage:
    name: str
    files: int
    size: int  # bytes, as the files' sizes add up (hardlinked files count in full)


def buckets(cache_dir: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(cache_dir))
    except FileNotFoundError:
        return []
    return [cache_dir / name for name in names if _VERSION.sub("-v#", name) in _KNOWN]


def usage(cache_dir: Path) -> list[Usage]:
    return [_measure(bucket) for bucket in buckets(cache_dir)]


def clean(cache_dir: Path) -> Usage:
    """Remove every bucket. Each is first renamed aside, so a cove process reading the cache
    meanwhile finds an entry whole or not at all; files already linked into environments stay
    (a hardlink keeps its data)."""
    files = size = 0
    for bucket in buckets(cache_dir):
        measured = _measure(bucket)
        aside = cache_dir / f".trash-{bucket.name}-{os.getpid()}-{os.urandom(4).hex()}"
        os.replace(bucket, aside)
        if aside.is_dir():
            shutil.rmtree(aside)
        else:
            aside.unlink()
        files, size = files + measured.files, size + measured.size
    return Usage("total", files, size)


def _measure(bucket: Path) -> Usage:
    if not bucket.is_dir():
        return Usage(bucket.name, 1, bucket.lstat().st_size)
    files = size = 0
    for root, _dirs, names in os.walk(bucket):
        for name in names:
            files += 1
            size += os.lstat(os.path.join(root, name)).st_size
    return Usage(bucket.name, files, size)
