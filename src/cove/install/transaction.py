"""All or nothing: distributions are removed by moving their files aside and new ones are linked
in; only when every step succeeded are the moved files deleted. Any failure, Ctrl-C included,
puts the environment back as it was. One transaction per environment at a time (a lock)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from cove.errors import VenvError
from cove.install.uninstall import owned_paths

if TYPE_CHECKING:
    from collections.abc import Sequence

    from filelock import BaseFileLock

    from cove.archive import UnpackPolicy
    from cove.install.scheme import Scheme
    from cove.install.wheel import InstalledDist, LinkMode


def environment_lock(env_root: Path) -> BaseFileLock:
    """The lock every cove process takes before changing ``env_root`` (kept outside the
    environment so it stays file for file what pip makes)."""
    from filelock import FileLock

    key = hashlib.sha256(os.path.realpath(env_root).encode("utf-8", "surrogateescape"))
    directory = Path(tempfile.gettempdir()) / "cove-locks"
    directory.mkdir(exist_ok=True)
    return FileLock(str(directory / f"{key.hexdigest()[:24]}.lock"), timeout=-1)


class Transaction:
    """Use as a context manager; call :meth:`commit` at the end of the ``with`` block."""

    def __init__(
        self,
        env_root: Path,
        cache_dir: Path,
        protected: tuple[Path, ...] = (),
        lock: BaseFileLock | None = None,
    ) -> None:
        """``protected`` directories (site-packages, bin) stay even when they become empty;
        ``lock`` is the environment's lock when the caller already holds it (it is reentrant)."""
        self.root = env_root
        self.cache_dir = cache_dir
        self._keep = {str(env_root)}
        for path in protected:
            while path != env_root and env_root in path.parents:
                self._keep.add(str(path))
                path = path.parent
        self._backup = env_root / f".cove-txn-{uuid.uuid4().hex[:12]}"
        self._moved: list[tuple[Path, Path]] = []  # (original, backup copy)
        self._added: list[InstalledDist] = []
        self._lock = lock if lock is not None else environment_lock(env_root)
        self._committed = False
        self._journal_lock = threading.Lock()  # install() may run in several threads at once

    def __enter__(self) -> Transaction:
        self._lock.acquire()
        try:
            recover(self.root, self._keep)
            self._backup.mkdir()
            self._added_log = open(self._backup / ADDED, "a", encoding="utf-8")
            self._moved_log = open(self._backup / MOVED, "a", encoding="utf-8")
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._added_log.close()
            self._moved_log.close()
            if not self._committed:
                self._rollback()
        finally:
            self._lock.release()

    def remove(self, dist_dir: Path) -> list[Path]:
        """Take a distribution's files out of the environment (kept aside until commit)."""
        paths = owned_paths(dist_dir, self.root)
        for path in paths:
            rel = os.path.relpath(path, self.root)
            aside = self._backup / rel
            aside.parent.mkdir(parents=True, exist_ok=True)
            self._moved_log.write(f"{path}\0{aside}\n")
            self._moved_log.flush()
            os.replace(path, aside)
            self._moved.append((path, aside))
        _prune({p.parent for p in paths}, self._keep_dirs())
        return paths

    def install(
        self,
        wheel: Path,
        scheme: Scheme,
        *,
        python: str,
        python_version: tuple[int, int],
        requested: bool,
        link_mode: LinkMode,
        extra_files: dict[str, bytes] | None = None,
        unpack: UnpackPolicy | None = None,
    ) -> InstalledDist:
        from cove.install.wheel import install_wheel

        result = install_wheel(
            wheel,
            scheme,
            python=python,
            python_version=python_version,
            cache_dir=self.cache_dir,
            requested=requested,
            link_mode=link_mode,
            env=self.root,
            extra_files=extra_files,
            journal=self._journal_add,
            unpack=unpack,
        )
        self._added.append(result)
        return result

    @property
    def added(self) -> tuple[InstalledDist, ...]:
        return tuple(self._added)

    def compiled(self, python: Path, cache_tag: str) -> None:
        """Compile the .py files of every distribution added so far with ``python`` (the
        environment's own interpreter, one process for all), as pip does, and list the bytecode
        in their RECORDs; it is journaled first, so a rollback or the next run removes it."""
        import subprocess

        from cove.install.wheel import record_more

        expected = {
            id(dist): [
                (src, _bytecode_path(src, cache_tag)) for src in dist.files if src.endswith(".py")
            ]
            for dist in self._added
        }
        sources = [src for pairs in expected.values() for src, _ in pairs]
        if not sources:
            return
        self._journal_add([pyc for pairs in expected.values() for _, pyc in pairs])
        # -E: PYTHONPYCACHEPREFIX must not send the bytecode elsewhere. A module that does not
        # compile is skipped, as pip skips it.
        subprocess.run(
            [str(python), "-E", "-s", "-c", _COMPILE],
            input="\n".join(sources),
            text=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        self._added = [
            record_more(
                dist,
                [pyc for _, pyc in expected[id(dist)] if os.path.exists(pyc)],
                self._journal_add,
            )
            for dist in self._added
        ]

    def _journal_add(self, paths: Sequence[str]) -> None:
        """Record paths about to be created, in one write: the next run deletes them if this
        process dies before it commits."""
        if not paths:
            return
        text = "".join(path + "\n" for path in paths)
        with self._journal_lock:
            self._added_log.write(text)
            self._added_log.flush()

    def commit(self) -> None:
        self._committed = True
        (self._backup / COMMITTED).touch()
        shutil.rmtree(self._backup, ignore_errors=True)

    def _keep_dirs(self) -> set[str]:
        return self._keep

    def _rollback(self) -> None:
        problems: list[str] = []
        for added in reversed(self._added):
            for path in reversed(added.files):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            _prune({Path(p).parent for p in added.files}, self._keep_dirs())
        for original, aside in reversed(self._moved):
            try:
                original.parent.mkdir(parents=True, exist_ok=True)
                os.replace(aside, original)
            except OSError as exc:
                problems.append(f"{original}: {exc.strerror}")
        if problems:
            raise VenvError(
                "could not restore every file after a failure: " + "; ".join(problems[:5]),
                hint=f"the removed files are kept in {self._backup}",
            )
        shutil.rmtree(self._backup, ignore_errors=True)


ADDED, MOVED, COMMITTED = "added.log", "moved.log", "COMMITTED"

_COMPILE = """\
import compileall, sys, warnings
warnings.filterwarnings("ignore")
for path in sys.stdin.read().splitlines():
    compileall.compile_file(path, force=True, quiet=2)
"""


def _bytecode_path(source: str, cache_tag: str) -> str:
    """``importlib.util.cache_from_source`` for the environment's interpreter (not this one)."""
    head, name = os.path.split(source)
    return os.path.join(head, "__pycache__", f"{name[:-3]}.{cache_tag}.pyc")


def recover(root: Path, keep: set[str]) -> list[Path]:
    """Undo what a killed cove process left half done in ``root`` (its journals say what), so
    every package is back to its old state; a committed leftover is only cleaned up."""
    undone = []
    for txn in sorted(root.glob(".cove-txn-*")):
        if not (txn / COMMITTED).exists():
            added = _read_lines(txn / ADDED)
            for path in reversed(added):  # files, then the directories made for them
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    os.unlink(path)
                if os.path.isdir(path) and not os.path.islink(path):
                    with contextlib.suppress(OSError):
                        os.rmdir(path)  # only when empty: another package may share it
            _prune({Path(p).parent for p in added}, keep)
            for line in reversed(_read_lines(txn / MOVED)):
                original, _, aside = line.partition("\0")
                if os.path.lexists(aside):
                    Path(original).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(aside, original)
        shutil.rmtree(txn, ignore_errors=True)
        undone.append(txn)
    return undone


def _read_lines(path: Path) -> list[str]:
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line]
    except OSError:
        return []


def _prune(dirs: set[Path], keep: set[str]) -> None:
    """Remove directories left empty, walking up until one still holds something."""
    for d in sorted(dirs, key=lambda p: len(p.parts), reverse=True):
        current = d
        while str(current) not in keep and len(current.parts) > 1:
            try:
                os.rmdir(current)
            except OSError:
                break
            current = current.parent
