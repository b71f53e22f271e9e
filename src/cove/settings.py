"""Settings merged from flags and COVE_* variables into one frozen object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_cache_dir() -> Path:
    """cove's cache root: $COVE_CACHE_DIR, else the platform's user cache directory."""
    env = os.environ.get("COVE_CACHE_DIR")
    if env:
        return Path(env).expanduser().absolute()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cove", appauthor=False))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a command needs to know about where cove keeps its state."""

    cache_dir: Path
    no_cache: bool = False

    @classmethod
    def from_environ(cls, *, no_cache: bool = False) -> Settings:
        return cls(cache_dir=default_cache_dir(), no_cache=no_cache)
