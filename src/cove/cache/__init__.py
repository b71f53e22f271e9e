"""cove's on-disk cache: versioned buckets, append-only, atomic renames, a lock per entry."""

from __future__ import annotations

import os
from pathlib import Path

# Every bucket under the cache root, by the module that fills it. A format change bumps the
# version, so an old cove and a new one never read each other's entries; `cove cache clean`
# removes these names (any version) and nothing else.
ARTIFACTS = "artifacts-v1"  # cache/artifacts.py: downloads, by sha256
UNPACKED = "unpacked-v2"  # cache/unpacked.py: wheels unpacked once (checked), linked from here
PAGES = "http-v1"  # http/client.py: index pages, revalidated
PARSED = "parsed-v1"  # index/parsed.py: the Links parsed from a page, by its sha256 and target
METADATA = "metadata-v1"  # prepare/metadata.py: by PEP 658 file's or (wheels/) wheel's sha256
INTERPRETERS = "interpreters-v6"  # python/probe.py: what each interpreter's probe reported
BUILT = "built-v1"  # build/builder.py: wheels built from sdists, trees and commits
VCS = "vcs-v1"  # build/vcs.py: git mirrors and checkouts
DEFAULT_INDEX = "default-index-v1.json"  # defaults.py: the index pip would use
BUCKETS = (ARTIFACTS, UNPACKED, PAGES, PARSED, METADATA, INTERPRETERS, BUILT, VCS, DEFAULT_INDEX)


def default_cache_dir() -> Path:
    """cove's cache root: $COVE_CACHE_DIR, else the platform's user cache directory."""
    env = os.environ.get("COVE_CACHE_DIR")
    if env:
        return Path(env).expanduser().absolute()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cove", appauthor=False))
