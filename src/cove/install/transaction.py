"""All or nothing: distributions are removed by moving their files aside and new ones are linked
in; only when every step succeeded are the moved files deleted. Every change is written to a
journal (fsynced) before it is made, and the one function that undoes a journal serves both a
failure (Ctrl-C, a full disk) and the next run after a kill. One transaction per environment at
a time (a lock on the environment's own directory)."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, NamedTuple, TextIO, TypeVar

from cove.errors import VenvError
from cove.faults import checkpoint
from cove.install.uninstall import owned_paths, recorded
from cove.venv.lock import EnvironmentLock, environment_lock

if TYPE_CHECKING:
    from cove.archive import UnpackPolicy
    from cove.cache.unpacked import UnpackedWheel
    from cove.install.wheel import InstalledDist, LinkMode, PreparedWheel
    from cove.venv.scheme import Scheme


_T = TypeVar("_T")
_R = TypeVar("_R")


class WheelInstall(NamedTuple):
    """One wheel of an install: where it goes, and what its .dist-info gets besides."""

    wheel: Path
    scheme: Scheme
    requested: bool
    extra_files: dict[str, bytes] | None = None
    unpacked: UnpackedWheel | None = None  # unpacked already (prepare/wheels.py does it)
    unpack: UnpackPolicy | None = None  # the limits it is unpacked within, when not yet


class SharedFile(NamedTuple):
    """A file more than one distribution ships: pip lets the last one overwrite it, and so does
    cove, keeping it while any of them is installed."""

    path: str  # as RECORD lists it
    owners: tuple[str, ...]  # the distributions that ship it
    installed: str  # whose copy is in the environment
    identical: bool


def shared_warnings(shared: Sequence[SharedFile]) -> list[str]:
    """One warning per group of distributions that ship the same files, naming the first."""
    groups: dict[tuple[tuple[str, ...], str, bool], list[str]] = {}
    for f in shared:
        groups.setdefault((f.owners, f.installed, f.identical), []).append(f.path)
    out = []
    for (owners, installed, identical), paths in groups.items():
        names = ", ".join(owners[:-1]) + " and " + owners[-1]
        more = f" (and {len(paths) - 1} more file{'s' * (len(paths) > 2)})" if paths[1:] else ""
        copies = "identical copies" if identical else f"different copies: {installed}'s is kept"
        out.append(
            f"{names} ship the same file {sorted(paths)[0]}{more} ({copies}); it stays installed "
            "until the last of them is uninstalled"
        )
    return out


class Recovery(NamedTuple):
    """What the next run found of killed ones: journals undone, or committed and finished."""

    undone: int
    finished: int
    files: int  # files removed or put back

    def describe(self, root: Path) -> str | None:
        """What to tell the user, if anything was found."""
        if self.undone:
            files = f"{self.files} file{'s' * (self.files != 1)}"
            return f"undid an interrupted install or uninstall in {root} ({files} put back)"
        if self.finished:
            return f"finished cleaning up after an interrupted install in {root}"
        return None


class Transaction:
    """Use as a context manager; call :meth:`commit` at the end of the ``with`` block."""

    def __init__(
        self,
        env_root: Path,
        cache_dir: Path,
        protected: tuple[Path, ...] = (),
        lock: EnvironmentLock | None = None,
    ) -> None:
        """``protected`` directories (site-packages, bin) stay even when they become empty;
        ``lock`` is the environment's lock when the caller already holds it (it is reentrant)."""
        import uuid  # a transaction's own: an install found satisfied makes none

        self.root = env_root
        self.cache_dir = cache_dir
        self._keep = {str(env_root)}
        for path in protected:
            while path != env_root and env_root in path.parents:
                self._keep.add(str(path))
                path = path.parent
        self._backup = env_root / f"{TXN}{uuid.uuid4().hex[:12]}"
        self._moved: list[tuple[Path, Path]] = []  # (original, backup copy)
        self._added: list[InstalledDist] = []
        self._shared: list[SharedFile] = []
        self._owners: dict[str, _Owners] = {}  # by site-packages directory
        self._lock = lock if lock is not None else environment_lock(env_root)
        self._committed = False
        self._journal_lock = threading.Lock()  # compiled() and installs may journal at once

    def __enter__(self) -> Transaction:
        self._lock.acquire()
        try:
            recover(self.root)
            self._backup.mkdir()
            self._added_log = open(self._backup / ADDED, "a", encoding="utf-8")
            self._moved_log = open(self._backup / MOVED, "a", encoding="utf-8")
            _fsync_dir(self._backup)
            _fsync_dir(self.root)  # the journal can be found after a crash
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

    def remove(self, *dist_dirs: Path) -> list[Path]:
        """Take distributions' files out of the environment (kept aside until commit), all
        journaled in one write. A file another installed distribution's RECORD also lists
        stays, so removing one of two distributions that ship it leaves the other whole (pip
        removes it); removing both removes it."""
        paths: list[Path] = []
        for dist_dir in dist_dirs:
            owners = self._owners_in(dist_dir.parent)
            paths += owned_paths(dist_dir, self.root, keep=owners.shared(dist_dir.name))
            owners.forget(dist_dir.name)
        moves = [(path, self._backup / os.path.relpath(path, self.root)) for path in paths]
        self._journal_moves(moves)
        half = len(moves) // 2
        for n, (path, aside) in enumerate(moves):
            if n == half:
                checkpoint("remove")
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, aside)
            self._moved.append((path, aside))
        _prune({p.parent for p in paths}, self._keep)
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
        (done,) = self.install_all(
            [WheelInstall(wheel, scheme, requested, extra_files, unpack=unpack)],
            python=python,
            python_version=python_version,
            link_mode=link_mode,
        )
        return done

    def install_all(
        self,
        wheels: Sequence[WheelInstall],
        *,
        python: str,
        python_version: tuple[int, int],
        link_mode: LinkMode,
        jobs: int = 1,
    ) -> tuple[InstalledDist, ...]:
        """Install ``wheels``: unpack and plan each, settle the files several of them ship
        (the first in ``wheels`` order keeps its copy, as pip's last installed does among
        packages of one depth) and those installed distributions own (the new copy replaces
        theirs, kept aside until commit), journal it all, then link (``jobs`` at a time, or
        half of a large plan in a forked child: ``install/forked.py``)."""
        from cove.cache.unpacked import unpack_wheel
        from cove.install.forked import can_fork, link_in_two
        from cove.install.wheel import created_paths, link_wheel, prepare_wheel

        def prepare(item: WheelInstall) -> PreparedWheel:
            return prepare_wheel(
                item.wheel, item.scheme, python=python, python_version=python_version,
                cache_dir=self.cache_dir, requested=item.requested, env=self.root,
                extra_files=item.extra_files,
                unpacked=item.unpacked or unpack_wheel(item.wheel, self.cache_dir, item.unpack),
            )  # fmt: skip

        # One thread: laying out is Python with few system calls (two threads on two cores
        # took 150 ms for the 99 wheels of bench_sync.py where one takes 95: the GIL).
        prepared = [prepare(item) for item in wheels]
        skips = self._settle(prepared)
        self._journal_add(
            [path for p, s in zip(prepared, skips, strict=True) for path in created_paths(p, s)]
        )
        sizes = [len(p.layout.placements) for p in prepared]

        def link(i: int) -> InstalledDist:
            return link_wheel(prepared[i], link_mode, skips[i])

        forked = link_in_two(sizes, link) if jobs > 1 and can_fork(sum(sizes)) else None
        done = forked if forked is not None else _parallel(link, range(len(prepared)), jobs)
        self._added += done
        return tuple(done)

    def _settle(self, prepared: Sequence[PreparedWheel]) -> list[set[str]]:
        """Which destinations each wheel leaves to another (``skips``); installed files in the
        way are moved aside; a file nothing installed owns is refused."""
        from cove.install.wheel import overwrite_error

        skips: list[set[str]] = [set() for _ in prepared]
        claimed: dict[str, int] = {}
        shared: dict[str, list[int]] = {}
        for i, p in enumerate(prepared):
            for dest in p.layout.dests():
                if claimed.setdefault(dest, i) != i:
                    skips[i].add(dest)
                    shared.setdefault(dest, [claimed[dest]]).append(i)
        displaced: list[tuple[str, int, dict[str, str]]] = []
        for i, p in enumerate(prepared):
            for dest in p.existing:
                if claimed[dest] != i:
                    continue  # an earlier wheel of this install settles it
                owners = self._owners_in(Path(p.layout.site)).of(dest)
                if not owners or os.path.isdir(dest):
                    raise overwrite_error(p.layout.wheel, dest)
                displaced.append((dest, i, owners))
        digests: dict[int, dict[str, str]] = {}

        def digest(i: int, dest: str) -> str:
            if i not in digests:
                digests[i] = prepared[i].layout.digests()
            return digests[i].get(dest, "")

        for dest, ids in shared.items():
            first = prepared[ids[0]].layout
            self._shared.append(
                SharedFile(
                    _relative(dest, first.site),
                    tuple(prepared[i].layout.name for i in ids),
                    first.name,
                    len({digest(i, dest) for i in ids}) == 1,
                )
            )
        for dest, i, owners in displaced:
            layout, mine = prepared[i].layout, digest(i, dest)
            self._shared.append(
                SharedFile(
                    _relative(dest, layout.site),
                    (*owners, layout.name),
                    layout.name,
                    bool(mine) and all(h == mine for h in owners.values()),
                )
            )
        moves = [(Path(d), self._backup / os.path.relpath(d, self.root)) for d, _, _ in displaced]
        self._journal_moves(moves)
        for path, aside in moves:
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, aside)
            self._moved.append((path, aside))
        return skips

    def _owners_in(self, site: Path) -> _Owners:
        key = os.path.normpath(site)
        if key not in self._owners:
            self._owners[key] = _Owners(site)
        return self._owners[key]

    @property
    def added(self) -> tuple[InstalledDist, ...]:
        return tuple(self._added)

    @property
    def shared(self) -> tuple[SharedFile, ...]:
        """The files this transaction's distributions share with each other or with installed
        ones, for a warning."""
        return tuple(self._shared)

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
        pycs = [pyc for pairs in expected.values() for _, pyc in pairs]
        new_dirs = {os.path.dirname(pyc) for pyc in pycs}
        self._journal_add([*sorted(d for d in new_dirs if not os.path.isdir(d)), *pycs])
        # -I: PYTHONPYCACHEPREFIX must not send the bytecode elsewhere; -S: nothing of the
        # environment runs (its .pth files, sitecustomize). A module that does not compile is
        # skipped, as pip skips it.
        subprocess.run(
            [str(python), "-I", "-S", "-c", _COMPILE],
            input="\n".join(sources),
            text=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        checkpoint("compile")
        self._added = [
            record_more(
                dist,
                [pyc for _, pyc in expected[id(dist)] if os.path.exists(pyc)],
                self._journal_add,
            )
            for dist in self._added
        ]

    def _journal_add(self, paths: Sequence[str]) -> None:
        """Record paths about to be created, in one write made durable before any of them is
        created: undoing the journal deletes them if this process fails or dies first."""
        if paths:
            _append(self._added_log, "".join(path + "\n" for path in paths), self._journal_lock)

    def _journal_moves(self, moves: Sequence[tuple[Path, Path]]) -> None:
        """Record files about to be moved aside (restored by an undo, deleted by commit)."""
        if moves:
            text = "".join(f"{path}\0{aside}\n" for path, aside in moves)
            _append(self._moved_log, text, self._journal_lock)

    def commit(self) -> None:
        """The commit point is one rename of the journal's directory: before it, the next run
        undoes everything; after it, only the old files kept aside are left to delete (so a
        kill while they are being deleted cannot make a half-deleted journal look undoable)."""
        checkpoint("commit")
        done = self.root / f"{DONE}{self._backup.name[len(TXN) :]}"
        os.replace(self._backup, done)
        self._committed = True
        checkpoint("committed")
        shutil.rmtree(done, ignore_errors=True)

    def _rollback(self) -> None:
        _files, problems = _undo(self._backup)
        if problems:
            raise VenvError(
                "could not restore every file after a failure: " + "; ".join(problems[:5]),
                hint=f"the removed files are kept in {self._backup}; the next cove command in "
                "this environment tries again",
            )
        shutil.rmtree(self._backup, ignore_errors=True)


ADDED, MOVED = "added.log", "moved.log"
TXN, DONE = ".cove-txn-", ".cove-done-"  # a journal's directory in the environment, committed
COMMITTED = "COMMITTED"  # in a .cove-txn- directory: how an earlier cove marked its commit

_COMPILE = """\
import compileall, sys, warnings
warnings.filterwarnings("ignore")
for path in sys.stdin.read().splitlines():
    compileall.compile_file(path, force=True, quiet=2)
"""


class _Owners:
    """Which installed distributions list each file in their RECORD (read on first need: only
    an uninstall, an upgrade or a file in the way asks)."""

    def __init__(self, site: Path) -> None:
        self.by_dist: dict[str, list[tuple[str, str]]] = {}
        self.by_path: dict[str, dict[str, str]] = {}  # path -> {dist-info name: hash}
        try:
            entries = sorted(os.scandir(site), key=lambda e: e.name)
        except OSError:
            entries = []
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")) or not entry.is_dir():
                continue
            try:
                rows = recorded(Path(entry.path))
            except (OSError, UnicodeDecodeError):
                rows = None
            if rows is None:
                continue
            self.by_dist[entry.name] = rows
            for path, digest in rows:
                self.by_path.setdefault(path, {})[entry.name] = digest

    def of(self, path: str) -> dict[str, str]:
        """{distribution name: its RECORD hash} for each installed one that lists ``path``."""
        return {_dist_name(d): h for d, h in self.by_path.get(path, {}).items()}

    def shared(self, dist: str) -> set[str]:
        """The files of ``dist`` that another installed distribution lists too."""
        return {p for p, _ in self.by_dist.get(dist, ()) if len(self.by_path.get(p, ())) > 1}

    def forget(self, dist: str) -> None:
        for path, _ in self.by_dist.pop(dist, ()):
            self.by_path.get(path, {}).pop(dist, None)


def _dist_name(dist_dir: str) -> str:
    """``ns_b`` of ``ns_b-1.0.dist-info`` (or of a legacy ``ns_b-1.0-py3.12.egg-info``)."""
    return dist_dir.partition("-")[0]


def _relative(path: str, site: str) -> str:
    return os.path.relpath(path, site).replace(os.sep, "/")


def _parallel(func: Callable[[_T], _R], items: Sequence[_T], jobs: int) -> list[_R]:
    """``func`` over ``items`` in order, ``jobs`` at a time (system calls release the GIL);
    the first failure is raised once every started call has ended."""
    if jobs <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(jobs, len(items))) as pool:
        futures = [pool.submit(func, item) for item in items]
    return [f.result() for f in futures]


def _append(log: TextIO, text: str, lock: threading.Lock) -> None:
    with lock:
        log.write(text)
        log.flush()
        os.fsync(log.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # Windows cannot open a directory; its metadata writes are ordered anyway
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _bytecode_path(source: str, cache_tag: str) -> str:
    """``importlib.util.cache_from_source`` for the environment's interpreter (not this one)."""
    head, name = os.path.split(source)
    return os.path.join(head, "__pycache__", f"{name[:-3]}.{cache_tag}.pyc")


def recover(root: Path) -> Recovery:
    """Finish or undo what killed cove processes left in ``root`` (their journals say what):
    a committed one only had its leftovers to delete; any other is undone, so every
    distribution is back to its old state. Call it holding the environment's lock."""
    undone = finished = files = 0
    for leftover in sorted(root.glob(f"{DONE}*")):
        shutil.rmtree(leftover, ignore_errors=True)
        finished += 1
    for txn in sorted(root.glob(f"{TXN}*")):
        if (txn / COMMITTED).exists():
            finished += 1
        else:
            count, problems = _undo(txn)
            if problems:
                raise VenvError(
                    f"could not undo an interrupted change to {root}: " + "; ".join(problems[:5]),
                    hint=f"the files it had moved aside are in {txn}",
                )
            undone, files = undone + 1, files + count
        shutil.rmtree(txn, ignore_errors=True)
    return Recovery(undone, finished, files)


def recover_abandoned(root: Path) -> Recovery | None:
    """``recover`` for commands that only read an environment (call it when a ``.cove-txn-*``
    or ``.cove-done-*`` directory is there), so they never show a half-done state: only when
    no live cove process holds the lock (that one is at work, not killed); an environment this
    user cannot change is left as it is."""
    lock = EnvironmentLock(root)
    try:
        if not lock.acquire(blocking=False):
            return None
    except OSError:
        return None
    try:
        return recover(root)
    except (OSError, VenvError):
        return None
    finally:
        lock.release()


def _undo(txn: Path) -> tuple[int, list[str]]:
    """Put back what one journal says was changed: delete what was (or was about to be)
    created, then move back what was moved aside. Returns how many files it touched and what it
    could not put back."""
    count = remove_created(_read_lines(txn / ADDED))
    problems: list[str] = []
    for line in reversed(_read_lines(txn / MOVED)):
        original, _, aside = line.partition("\0")
        if not os.path.lexists(aside):
            continue  # journaled, never moved
        try:
            os.makedirs(os.path.dirname(original), exist_ok=True)
            os.replace(aside, original)
            count += 1
        except OSError as exc:
            problems.append(f"{original}: {exc.strerror}")
    return count, problems


def remove_created(paths: Sequence[str]) -> int:
    """Delete journaled paths, last first: files (whole or partly written), then the directories
    made for them, each only if empty (a directory may be shared). Returns the files deleted."""
    count = 0
    for path in reversed(paths):
        if os.path.isdir(path) and not os.path.islink(path):
            with contextlib.suppress(OSError):
                os.rmdir(path)
            continue
        try:
            os.unlink(path)
            count += 1
        except FileNotFoundError:
            pass
    return count


def _read_lines(path: Path) -> list[str]:
    """A journal's whole lines: one cut short by a kill mid-write names nothing that was made."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return [line for line in text[: text.rfind("\n") + 1].splitlines() if line]


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
