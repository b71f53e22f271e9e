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


def _url_key(url: str) -> tuple[str, Path]:
    """The URL as recorded (credentials never reach the disk) and its record's name."""
    from cove.http.urls import split_auth

    plain = split_auth(url)[0]
    return plain, Path(BUCKET, "by-url", hashlib.sha256(plain.encode()).hexdigest() + ".json")


def remember_url(cache_dir: Path, url: str, record: UrlRecord) -> None:
    """For links given without a hash: which cached file a URL produced, with the server's
    validators, so the next run can revalidate instead of trusting it forever."""
    plain, rel = _url_key(url)
    store(cache_dir / rel, json.dumps({"url": plain, **record._asdict()}).encode())


def recall_url(cache_dir: Path, url: str) -> UrlRecord | None:
    plain, rel = _url_key(url)
    try:
        data = json.loads((cache_dir / rel).read_text("utf-8"))
        if data.get("url") != plain:
            return None
        return UrlRecord(str(data["sha256"]), data.get("etag"), data.get("last_modified"))
    except (OSError, ValueError, KeyError):
        return None
