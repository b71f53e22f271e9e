"""Downloaded artifacts (wheels, sdists), kept by sha256 so each file is fetched once for every
environment; entries appear by atomic rename, so readers never see a partial file."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

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


def remember_url(cache_dir: Path, url: str, sha256: str) -> None:
    """For links an index gives without a hash: which cached file a URL produced."""
    key = hashlib.sha256(url.encode()).hexdigest()
    path = cache_dir / BUCKET / "by-url" / f"{key}.json"
    store(path, json.dumps({"url": url, "sha256": sha256}).encode())


def recall_url(cache_dir: Path, url: str) -> str | None:
    key = hashlib.sha256(url.encode()).hexdigest()
    try:
        data = json.loads((cache_dir / BUCKET / "by-url" / f"{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return str(data["sha256"]) if data.get("url") == url else None
