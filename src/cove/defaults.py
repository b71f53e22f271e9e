"""pip's built-in default index, read from the pip that cove can see (never hard-coded here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cove.cache import DEFAULT_INDEX
from cove.errors import CoveError

_PATTERN = re.compile(r"^PyPI\s*=\s*PackageIndex\(\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


def _pip_index_sources() -> list[Path]:
    """pip's models/index.py: from an importable pip (found, not imported), else none."""
    import importlib.util

    out = []
    spec = importlib.util.find_spec("pip")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            out.append(Path(location) / "_internal" / "models" / "index.py")
    return out


def _from_bundled_wheel() -> str | None:
    import sysconfig
    import zipfile

    bundled = Path(sysconfig.get_paths()["stdlib"]) / "ensurepip" / "_bundled"
    for wheel in sorted(bundled.glob("pip-*.whl"), reverse=True):
        try:
            with zipfile.ZipFile(wheel) as zf:
                return zf.read("pip/_internal/models/index.py").decode("utf-8")
        except (OSError, KeyError, zipfile.BadZipFile):
            continue
    return None


def default_index_url(cache_dir: Path | None) -> str:
    """``<pip's PyPI url>simple/``, cached by the source file's path and mtime."""
    for source in _pip_index_sources():
        try:
            stat = source.stat()
        except OSError:
            continue
        key = f"{source}:{stat.st_mtime_ns}"
        cache = cache_dir / DEFAULT_INDEX if cache_dir else None
        if cache is not None:
            try:
                data = json.loads(cache.read_text(encoding="utf-8"))
                if data.get("key") == key:
                    return str(data["url"])
            except (OSError, ValueError, KeyError):
                pass
        url = _parse(source.read_text(encoding="utf-8"))
        if url:
            if cache is not None:
                from cove.cache.files import store

                store(cache, json.dumps({"key": key, "url": url}).encode())
            return url
    text = _from_bundled_wheel()
    url = _parse(text) if text else None
    if url:
        return url
    raise CoveError(
        "no package index is configured and no pip was found to learn its default index from",
        hint="give one with --index-url URL (or PIP_INDEX_URL / COVE_INDEX_URL)",
    )


def _parse(text: str) -> str | None:
    match = _PATTERN.search(text)
    if not match:
        return None
    from urllib.parse import urljoin

    return urljoin(match.group(1), "simple") + "/"
