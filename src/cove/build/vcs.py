"""Git sources: ``git+https://``, ``git+ssh://``, ``git+file://`` with ``@branch``, ``@tag`` or
``@commit`` and ``#subdirectory=``, resolved to a commit and checked out into the cache once per
commit, or cloned for editing (``-e git+``). URLs reach git only after ``--``; refs after
``--end-of-options``, or refused when they start with ``-``: never as options."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cove.cache import VCS
from cove.errors import CoveError
from cove.http.urls import redact

BUCKET = VCS


class VcsError(CoveError):
    """A VCS URL is malformed, or git failed to fetch or check it out."""


@dataclass(frozen=True, slots=True)
class GitUrl:
    repo: str  # what git clones: https://host/repo.git, file:///path, ssh://...
    ref: str | None  # branch, tag or commit as written after @
    subdirectory: str | None


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


GIT_TIMEOUT = 600  # seconds: a clone of a large repository over a slow link


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=GIT_TIMEOUT
        )
    except FileNotFoundError:
        raise VcsError("git is not installed", hint="install git to use git+ URLs") from None
    except subprocess.TimeoutExpired:
        raise VcsError(
            f"git {args[0]} took more than {GIT_TIMEOUT} s and was stopped",
            hint="check the repository URL and your connection, then try again",
        ) from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        # git's reason is its first fatal:/error: line; what follows is advice
        reason = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), None)
        if reason is not None:
            message = reason.partition(": ")[2] or reason
        else:
            message = lines[-1] if lines else "no output"
        raise VcsError(
            f"git {args[0]} failed: {redact(message)}",
            hint="check the repository URL, the ref and your access to it",
        )
    return done.stdout.strip()


def _git_ok(*args: str, cwd: Path) -> bool:
    try:
        _git(*args, cwd=cwd)
    except VcsError:
        return False
    return True


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


def clone_for_editing(url: GitUrl, dest: Path) -> tuple[str, Callable[[], None]]:
    """A clone of ``url``'s repository at ``dest`` with its ref checked out, as pip makes for
    ``-e git+...``: a place to edit the project, whose origin and commit ``cove freeze`` reads.
    An existing clone of the same repository with a clean work tree is fetched and switched;
    anything else at ``dest`` is refused. Returns the commit and a callable that undoes this
    call (a new clone removed, an existing one put back where it was)."""
    if dest.exists():
        return _update(url, dest)
    made_parent = not dest.parent.exists()
    dest.parent.mkdir(parents=True, exist_ok=True)

    def undo() -> None:
        shutil.rmtree(dest, ignore_errors=True)
        if made_parent:
            with contextlib.suppress(OSError):
                dest.parent.rmdir()  # only when empty

    tmp = dest.with_name(f".{dest.name}.cove-{uuid.uuid4().hex}")
    try:
        _git("clone", "--quiet", "--", url.repo, str(tmp))
        commit = _switch(url.ref, tmp)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        undo()
        raise
    return commit, undo


def _update(url: GitUrl, dest: Path) -> tuple[str, Callable[[], None]]:
    if not (dest / ".git").exists():
        raise VcsError(
            f"{dest} exists and is not a git clone",
            hint="move it away, or choose another directory with --src",
        )
    origin = _git("config", "--get", "remote.origin.url", cwd=dest)
    if origin != url.repo:
        raise VcsError(
            f"{dest} is a clone of {redact(origin)}, not of {redact(url.repo)}",
            hint="move it away, or choose another directory with --src",
        )
    if _git("status", "--porcelain", "--untracked-files=no", cwd=dest):
        raise VcsError(
            f"{dest} has uncommitted changes",
            hint="commit or stash them first: cove does not overwrite work in a clone",
        )
    branch = (
        _git("symbolic-ref", "--quiet", "--short", "HEAD", cwd=dest)
        if _git_ok("symbolic-ref", "--quiet", "HEAD", cwd=dest)
        else None
    )
    before = _git("rev-parse", "HEAD", cwd=dest)

    def undo() -> None:
        with contextlib.suppress(VcsError):
            if branch is None:
                _git("checkout", "--quiet", "--detach", before, cwd=dest)
            else:
                _git("checkout", "--quiet", branch, "--", cwd=dest)
                _git("reset", "--quiet", "--keep", before, cwd=dest)

    try:
        _git("fetch", "--quiet", "--tags", "origin", cwd=dest)
        if url.ref is None and _git_ok("rev-parse", "--verify", "--quiet", "@{upstream}", cwd=dest):
            _git("merge", "--ff-only", "--quiet", "@{upstream}", cwd=dest)
        return _switch(url.ref, dest), undo
    except BaseException:
        undo()
        raise


def _switch(ref: str | None, tree: Path) -> str:
    """Check out ``ref`` in the clone ``tree``: a branch as a branch following origin's, a tag
    or commit detached; no ref keeps what is checked out. Returns the commit."""
    if ref is not None:
        if _git_ok("show-ref", "--verify", "--quiet", f"refs/remotes/origin/{ref}", cwd=tree):
            if _git_ok("show-ref", "--verify", "--quiet", f"refs/heads/{ref}", cwd=tree):
                _git("checkout", "--quiet", ref, "--", cwd=tree)
                _git("merge", "--ff-only", "--quiet", f"origin/{ref}", cwd=tree)
            else:
                _git("checkout", "--quiet", "-b", ref, "--track", f"origin/{ref}", cwd=tree)
        else:
            commit = _git("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}",
                          cwd=tree)  # fmt: skip
            _git("checkout", "--quiet", "--detach", commit, cwd=tree)
    return _git("rev-parse", "HEAD", cwd=tree)
