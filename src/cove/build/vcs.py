"""Git sources: ``git+https://``, ``git+ssh://``, ``git+file://`` with ``@branch``, ``@tag`` or
``@commit`` and ``#subdirectory=``, resolved to a commit and checked out into the cache once per
commit. Refs and URLs reach git only after ``--`` / ``--end-of-options``: never as options."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cove.errors import CoveError
from cove.http.urls import redact

BUCKET = "vcs-v1"


class VcsError(CoveError):
    """A VCS URL is malformed, or git failed to fetch or check it out."""


@dataclass(frozen=True, slots=True)
class GitUrl:
    repo: str  # what git clones: https://host/repo.git, file:///path, ssh://...
    ref: str | None  # branch, tag or commit as written after @
    subdirectory: str | None


def is_vcs_url(url: str) -> bool:
    return url.startswith("git+")


def parse_git_url(url: str) -> GitUrl:
    if not url.startswith("git+"):
        raise VcsError(f"{redact(url)} is not a git URL", hint="write git+https://host/repo.git")
    parts = urlsplit(url[4:])
    if parts.scheme not in ("https", "http", "ssh", "file", "git"):
        raise VcsError(
            f"unsupported git URL scheme {parts.scheme!r} in {redact(url)}",
            hint="use git+https://, git+ssh:// or git+file://",
        )
    path, ref = parts.path, None
    if "@" in path:
        path, _, ref = path.rpartition("@")
    subdirectory = None
    for piece in parts.fragment.split("&"):
        key, _, value = piece.partition("=")
        if key == "subdirectory" and value:
            subdirectory = value
    if ref is not None and (not ref or ref.startswith("-")):
        raise VcsError(
            f"invalid git ref {ref!r} in {redact(url)}", hint="name a branch, tag or commit"
        )
    if subdirectory and (subdirectory.startswith("/") or ".." in Path(subdirectory).parts):
        raise VcsError(
            f"subdirectory {subdirectory!r} in {redact(url)} leaves the repository",
            hint="give a path inside the repository",
        )
    repo = urlunsplit(parts._replace(path=path, fragment="", query=parts.query))
    return GitUrl(repo, ref, subdirectory)


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
        )
    except FileNotFoundError:
        raise VcsError("git is not installed", hint="install git to use git+ URLs") from None
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise VcsError(
            f"git {args[0]} failed: {redact(message[0])}",
            hint="check the repository URL, the ref and your access to it",
        )
    return done.stdout.strip()


def checkout(url: GitUrl, cache_dir: Path) -> tuple[str, Path]:
    """The commit ``url`` names and a checkout of it in the cache (made once per commit)."""
    key = hashlib.sha256(url.repo.encode()).hexdigest()[:32]
    root = cache_dir / BUCKET / key
    mirror = root / "mirror.git"
    from filelock import FileLock

    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root / ".lock")):
        if not mirror.is_dir():
            tmp = root / f".mirror-{uuid.uuid4().hex}"
            try:
                _git("clone", "--mirror", "--quiet", "--", url.repo, str(tmp))
                os.replace(tmp, mirror)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        ref = url.ref or "HEAD"
        try:
            commit = _git("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}",
                          cwd=mirror)  # fmt: skip
        except VcsError:
            _git("remote", "update", "--prune", cwd=mirror)  # the ref may be new upstream
            commit = _git("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}",
                          cwd=mirror)  # fmt: skip
        tree = root / commit
        if not tree.is_dir():
            tmp = root / f".tree-{uuid.uuid4().hex}"
            try:
                _git("clone", "--quiet", "--shared", "--no-checkout", "--", str(mirror), str(tmp))
                _git("checkout", "--quiet", "--detach", commit, cwd=tmp)
                os.replace(tmp, tree)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return commit, tree
