"""cove's on-disk cache: versioned buckets, append-only, atomic renames, a lock per entry."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """cove's cache root: $COVE_CACHE_DIR, else the platform's user cache directory."""
    env = os.environ.get("COVE_CACHE_DIR")
    if env:
        return Path(env).expanduser().absolute()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cove", appauthor=False))
