"""Downloaded artifacts (wheels, sdists), kept by sha256 so each file is fetched once for every
environment; entries appear by atomic rename, so readers never see a partial file."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

from cove.cache import ARTIFACTS
from cove.cache.files import store

BUCKET = ARTIFACTS


def artifact_path(cache_dir: Path, sha256: str, filename: str) -> Path:
    return cache_dir / BUCKET / sha256[:2] / sha256 / filename


def find_artifact(cache_dir: Path, sha256: str, filename: str) -> Path | None:
    path = artifact_path(cache_dir, sha256, filename)
    return path if path.is_file() else None


def store_artifact(cache_dir: Path, downloaded: Path, sha256: str, filename: str) -> Path:
    """Move a verified download into the cache (same filesystem: ``downloaded`` lies in it)."""
    path = artifact_path(cache_dir, sha256, filename)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(downloaded, path)
    return path


def download_dir(cache_dir: Path) -> Path:
    """Where downloads land before they are verified; inside the cache so the move is a rename."""
    return cache_dir / BUCKET / "incoming"


class UrlRecord(NamedTuple):
    """What a URL without a hash produced last time, and how to ask whether it changed."""

    sha256: str
    etag: str | None = None
    last_modified: str | None = None


def _record_path(cache_dir: Path, url: str) -> Path:
    return cache_dir / BUCKET / "by-url" / (hashlib.sha256(url.encode()).hexdigest() + ".json")


def remember_url(cache_dir: Path, url: str, record: UrlRecord) -> None:
    """For links given without a hash: which cached file a URL produced, with the server's
    validators, so the next run can revalidate instead of trusting it forever. ``url`` carries
    no credentials (the caller strips them: a secret never reaches the disk)."""
    store(_record_path(cache_dir, url), json.dumps({"url": url, **record._asdict()}).encode())


def recall_url(cache_dir: Path, url: str) -> UrlRecord | None:
    try:
        data = json.loads(_record_path(cache_dir, url).read_text("utf-8"))
        if data.get("url") != url:
            return None
        return UrlRecord(str(data["sha256"]), data.get("etag"), data.get("last_modified"))
    except (OSError, ValueError, KeyError):
        return None
