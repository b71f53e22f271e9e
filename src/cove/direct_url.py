"""PEP 610 ``direct_url.json``: what the installer writes for a distribution installed from a
direct reference, and how the inspect commands read it back; the one module for the format."""

from __future__ import annotations

import json

DirectUrl = dict[str, object]


def for_vcs(
    repo: str, commit: str, requested_revision: str | None, subdirectory: str | None
) -> DirectUrl:
    """A git checkout, as pip records it: the commit, and the ref that was asked for."""
    vcs_info: dict[str, object] = {"commit_id": commit, "vcs": "git"}
    if requested_revision:
        vcs_info["requested_revision"] = requested_revision
    info: DirectUrl = {"url": repo, "vcs_info": vcs_info}
    if subdirectory:
        info["subdirectory"] = subdirectory
    return info


def for_directory(url: str, editable: bool) -> DirectUrl:
    return {"dir_info": {"editable": True} if editable else {}, "url": url}


def for_archive(url: str, sha256: str | None) -> DirectUrl:
    archive: dict[str, object] = {}
    if sha256:
        archive = {"hash": f"sha256={sha256}", "hashes": {"sha256": sha256}}
    return {"archive_info": archive, "url": url}


def dumps(info: DirectUrl) -> bytes:
    """The file's bytes, as pip writes them (sorted keys, no spaces beyond json's defaults)."""
    return json.dumps(info, sort_keys=True).encode()


def loads(text: str) -> DirectUrl | None:
    """The parsed file, or None when it is not a PEP 610 object with a url."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("url"), str) else None


def editable_location(info: DirectUrl | None) -> str | None:
    """Where an editable install's source lives (``dir_info.editable`` with a file:// url)."""
    dir_info = info.get("dir_info") if info else None
    if info is None or not isinstance(dir_info, dict) or not dir_info.get("editable"):
        return None
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(str(info["url"])).path)


def same_source(installed: DirectUrl | None, wanted: DirectUrl | None) -> bool:
    """Whether a distribution installed with the record ``installed`` (None: from an index) is
    what an install from ``wanted`` would give: the same git commit, the same archive hash, or
    the same directory installed in development mode (a tree installed whole may have changed
    since, and nothing pins it, so it never counts as the same)."""
    if installed is None or wanted is None:
        return installed is None and wanted is None

    def plain(url: object) -> str:
        return str(url).removeprefix("git+").rstrip("/")

    for key in ("vcs_info", "archive_info", "dir_info"):
        mine, theirs = installed.get(key), wanted.get(key)
        if not isinstance(theirs, dict):
            continue
        if not isinstance(mine, dict):
            return False
        if key == "vcs_info":
            return (
                plain(installed["url"]) == plain(wanted["url"])
                and mine.get("commit_id") == theirs.get("commit_id")
                and installed.get("subdirectory") == wanted.get("subdirectory")
            )
        if key == "archive_info":
            have, want = mine.get("hashes"), theirs.get("hashes")
            sha = want.get("sha256") if isinstance(want, dict) else None
            return bool(sha) and isinstance(have, dict) and have.get("sha256") == sha
        return (
            plain(installed["url"]) == plain(wanted["url"])
            and mine.get("editable") is True
            and theirs.get("editable") is True
        )
    return False
