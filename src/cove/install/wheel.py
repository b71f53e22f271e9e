"""The one wheel installer: link a wheel's files from the unpacked cache into a scheme, write its
scripts, INSTALLER, REQUESTED and RECORD, file for file what pip installs (without bytecode).
In stages, so a transaction can settle files several wheels ship and journal everything before
the first change: the layout (``plan_layout``: where each file goes, what is written, RECORD's
rows; pure but for reading the cache entry), what lies in its way (``prepare_wheel``), then the
writes (``link_wheel``: directories, links, generated files, RECORD last)."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import csv
import errno
import io
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from cove.archive import UnpackPolicy
from cove.cache.unpacked import (
    EntryChanged,
    UnpackedFile,
    UnpackedWheel,
    record_hash,
    unpack_wheel,
)
from cove.errors import WheelError
from cove.faults import checkpoint
from cove.headers import read_headers
from cove.install.scripts import launcher, parse_entry_points, shebang, versioned_pip_names
from cove.venv.scheme import Scheme

LinkMode = Literal["hardlink", "copy", "symlink", "clone"]
_FICLONE = 0x40049409  # Linux ioctl: share the source's blocks copy-on-write (btrfs, xfs)
_DATA_KEYS = ("purelib", "platlib", "headers", "scripts", "data")


class InstalledDist(NamedTuple):
    name: str
    version: str
    dist_info: Path
    files: tuple[str, ...]
    link_fallback: bool  # hardlinks were impossible, files were copied
    executable_pth: tuple[str, ...] = ()  # its .pth files that run code when Python starts


class _Placement(NamedTuple):
    source: UnpackedFile
    dest: str  # absolute, normalized; plain strings keep the per-file loop cheap
    parent: str  # dest's directory
    record: str  # dest as RECORD lists it, relative to site-packages
    stamp: int | None  # the source's mtime as unpacked, checked just before it is linked


def record_more(
    dist: InstalledDist, paths: Sequence[str], journal: Callable[[Sequence[str]], None]
) -> InstalledDist:
    """List files made for ``dist`` after it was installed (its compiled bytecode) in its
    RECORD, as pip lists bytecode: no hash or size (the interpreter may rewrite it), in pip's
    order; ``journal`` hears of the temporary file before it is created."""
    if not paths:
        return dist
    site = str(dist.dist_info.parent)
    record = dist.dist_info / "RECORD"
    with open(record, encoding="utf-8", newline="") as f:
        rows = [(r[0], r[1], r[2]) for r in csv.reader(f) if len(r) == 3]
    rows += [(_record_path(path, site), "", "") for path in paths]
    text = _record_text(sorted(rows))
    tmp = f"{record}.cove-new"
    journal([tmp])
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    os.replace(tmp, record)
    return dist._replace(files=dist.files + tuple(paths))


def _dist_info_dir(files: tuple[UnpackedFile, ...], wheel: Path) -> str:
    tops = {
        f.path.split("/", 1)[0] for f in files if f.path.split("/", 1)[0].endswith(".dist-info")
    }
    if len(tops) != 1:
        raise WheelError(
            f"{wheel.name} must have exactly one .dist-info directory, found {len(tops)}",
            hint="rebuild the wheel",
        )
    return tops.pop()


def _placements(
    unpacked: UnpackedWheel, scheme: Scheme, root: str, wheel: Path, env: Path
) -> tuple[list[_Placement], list[_Placement]]:
    """Where each file goes (``root``: the site-packages directory the wheel's root lies in),
    as the files linked and the scripts rewritten, with the stamps the link checks (when the
    entry was unpacked with ``defer_check``); every check happens here, before anything
    is written. Runs once per file of every wheel (15,000 for jupyterlab), so plain member
    paths are joined as strings and only those with a dot segment go through normpath."""
    targets = _data_targets(scheme)
    env_prefix = _normal(env) + os.sep
    links: list[_Placement] = []
    scripts: list[_Placement] = []
    stamps = unpacked.stamps
    for n, f in enumerate(unpacked.files):
        top, _, rest = f.path.partition("/")
        if top.endswith(".data") and rest:
            key, _, member = rest.partition("/")
            if key not in targets or not member:
                raise _unknown_data(wheel, key, f.path)
            base, out = targets[key], scripts if key == "scripts" else links
        elif f.path.endswith(".dist-info/RECORD") and f.path.count("/") == 1:
            continue  # written anew (``WheelLayout.record_rows``)
        else:
            base, member, out = root, f.path, links
        if "/." in "/" + member or os.sep != "/":  # ., .. or a hidden name: let normpath judge
            dest = os.path.normpath(os.path.join(base, member))
            record = _record_path(dest, root)
        else:
            dest = f"{base}/{member}"
            record = member if base is root else _record_path(dest, root)
        if not dest.startswith(env_prefix):
            raise WheelError(
                f"{wheel.name} would write outside the environment: {f.path}",
                hint="the wheel is malformed or malicious; nothing was installed",
            )
        stamp = stamps[n] if stamps else None
        out.append(_Placement(f, dest, dest.rpartition(os.sep)[0], record, stamp))
    return links, scripts


def _data_targets(scheme: Scheme) -> dict[str, str]:
    """Where each directory of a wheel's .data goes, normalized, in the order errors name them."""
    return {key: _normal(getattr(scheme, key)) for key in _DATA_KEYS}


def _unknown_data(wheel: Path, key: str, path: str) -> WheelError:
    return WheelError(
        f"{wheel.name} has an unknown .data directory {key!r} ({path})",
        hint=f"a wheel's .data may only hold {', '.join(_DATA_KEYS)}",
    )


def _normal(path: "str | os.PathLike[str]") -> str:
    return os.path.normpath(os.path.abspath(path))


def _place(src: str, dest: str, mode: LinkMode) -> bool:
    """Link (or copy) one file; returns True when a hardlink had to fall back to a copy.
    An existing ``dest`` raises FileExistsError in every mode."""
    if mode == "hardlink":
        try:
            os.link(src, dest)
            return False
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            mode = "copy"
            fallback = True
    else:
        fallback = False
    if mode == "symlink":
        os.symlink(src, dest)
        return False
    if mode == "clone":
        return _clone(src, dest)
    if os.path.lexists(dest):
        raise FileExistsError(errno.EEXIST, "exists", dest)
    import shutil  # only when copying (it loads bz2 and lzma)

    shutil.copy2(src, dest)
    return fallback


def _clone(src: str, dest: str) -> bool:
    """A copy-on-write clone where the filesystem offers one, else a plain copy (returns True
    when it had to copy)."""
    import fcntl
    import shutil

    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with open(src, "rb") as source:
            try:
                fcntl.ioctl(fd, _FICLONE, source.fileno())
                cloned = True
            except OSError:
                cloned = False
        if not cloned:
            with open(dest, "wb") as out, open(src, "rb") as source:
                shutil.copyfileobj(source, out)
    finally:
        os.close(fd)
    shutil.copystat(src, dest)
    return not cloned


def _record_path(path: str, site: str) -> str:
    """RECORD's path: relative to site-packages (``../../../bin/pip`` for what lies outside)."""
    prefix = site + os.sep
    if path.startswith(prefix):
        return path[len(prefix) :].replace(os.sep, "/")
    return os.path.relpath(path, site).replace(os.sep, "/")


class Generated(NamedTuple):
    """A file written rather than linked: a launcher, a script with its shebang rewritten,
    INSTALLER, REQUESTED, direct_url.json."""

    dest: str
    data: bytes
    mode: int


class WheelLayout(NamedTuple):
    """Where one wheel's files go and what is written besides (``plan_layout``), worked out from
    the unpacked wheel alone: the environment is neither read nor written."""

    wheel: Path
    name: str
    version: str
    site: str  # the site-packages directory RECORD's paths are relative to
    info_dir: str
    src_root: str  # the unpacked entry in the cache
    placements: list[_Placement]  # the files linked from ``src_root``
    generated: list[Generated]
    executable_pth: tuple[str, ...]  # its .pth files that run code when Python starts

    @property
    def record(self) -> str:
        return os.path.join(self.info_dir, "RECORD")

    def dests(self) -> list[str]:
        """Every file this install creates, RECORD last."""
        return [*(p.dest for p in self.placements), *(g.dest for g in self.generated), self.record]

    def digests(self) -> dict[str, str]:
        """RECORD's hash of each file (RECORD itself has none), to tell identical copies."""
        out = {p.dest: p.source.hash for p in self.placements}
        out.update((g.dest, record_hash(g.data)) for g in self.generated)
        return out

    def record_rows(self) -> list[tuple[str, str, str]]:
        """RECORD's rows, sorted as pip sorts them: every file, shared ones too, and RECORD."""
        rows = [(p.record, p.source.hash, str(p.source.size)) for p in self.placements]
        rows += [(_record_path(g.dest, self.site), record_hash(g.data), str(len(g.data)))
                 for g in self.generated]  # fmt: skip
        rows.append((_record_path(self.record, self.site), "", ""))
        return sorted(rows)


class PreparedWheel(NamedTuple):
    """One wheel's layout and what lies in its way, nothing written yet (``prepare_wheel``);
    ``link_wheel`` then only creates what it says."""

    layout: WheelLayout
    new_dirs: list[str]  # directories that do not exist yet, parents first
    existing: list[str]  # destinations that exist already (in directories that exist)


def overwrite_error(wheel: Path, dest: str) -> WheelError:
    return WheelError(
        f"{wheel.name} would overwrite {dest}, which no installed distribution lists in its "
        "RECORD (a leftover, or a file of someone's own)",
        hint="move it out of the way (pip would overwrite it without asking), then install again",
    )


def plan_layout(
    wheel: Path,
    unpacked: UnpackedWheel,
    scheme: Scheme,
    env: Path,
    *,
    python: str,
    python_version: tuple[int, int],
    info_files: Sequence[tuple[str, bytes]] = (),
) -> WheelLayout:
    """Lay ``unpacked`` out in ``scheme`` within ``env``: each member's destination, and the
    files written instead of linked (scripts with ``python`` in their shebang, launchers with
    versioned names for ``python_version``, ``info_files`` into the .dist-info directory by
    name). Reads only the cache entry; writes nothing."""
    dist_info = _dist_info_dir(unpacked.files, wheel)
    info_src = unpacked.root / dist_info
    meta = read_headers((info_src / "WHEEL").read_text(encoding="utf-8"))
    root_is_purelib = (meta.get("Root-Is-Purelib") or "true").strip().lower() == "true"
    site = _normal(scheme.purelib if root_is_purelib else scheme.platlib)
    links, scripts = _placements(unpacked, scheme, site, wheel, env)
    launchers = _launchers(info_src / "entry_points.txt", wheel, scheme, python, python_version)
    metadata = read_headers((info_src / "METADATA").read_text(encoding="utf-8"))
    info_dir = os.path.join(site, dist_info)
    generated = [
        *_rewritten(scripts, str(unpacked.root), python),
        *launchers,
        *(Generated(os.path.join(info_dir, name), data, 0o644) for name, data in info_files),
    ]
    return WheelLayout(
        wheel, metadata.get("Name", ""), metadata.get("Version", ""), site, info_dir,
        str(unpacked.root), links, generated, unpacked.executable_pth,
    )  # fmt: skip


def _rewritten(scripts: list[_Placement], src_root: str, python: str) -> list[Generated]:
    """The wheel's scripts, a ``#!python`` first line replaced by ``python``'s shebang."""
    out = []
    for p in scripts:
        with open(f"{src_root}/{p.source.path}", "rb") as f:
            data = f.read()
        if data.startswith(b"#!python"):
            _first, _, rest = data.partition(b"\n")
            data = shebang(python).encode() + rest
        # pip keeps the mode the wheel gives: a script is executable only if packed so.
        out.append(Generated(p.dest, data, 0o755 if p.source.executable else 0o644))
    return out


def _launchers(
    entry_points: Path, wheel: Path, scheme: Scheme, python: str, python_version: tuple[int, int]
) -> list[Generated]:
    """A launcher for each console and GUI entry point (pip's get versioned names)."""
    if not entry_points.exists():
        return []
    entries = parse_entry_points(entry_points.read_text(encoding="utf-8"), wheel.name)
    return [Generated(os.path.join(scheme.scripts, ep.name), launcher(ep, python), 0o755)
            for ep in versioned_pip_names(entries, python_version)]  # fmt: skip


def dist_info_files(
    installer: str, requested: bool, extra_files: Mapping[str, bytes] | None
) -> list[tuple[str, bytes]]:
    """What an install adds to a wheel's .dist-info: INSTALLER, REQUESTED when it was asked for
    by name, and ``extra_files`` (direct_url.json)."""
    out = [("INSTALLER", f"{installer}\n".encode())]
    if requested:
        out.append(("REQUESTED", b""))
    return [*out, *(extra_files or {}).items()]


def prepare_wheel(
    wheel: Path,
    scheme: Scheme,
    *,
    python: str,
    python_version: tuple[int, int],
    cache_dir: Path,
    installer: str = "cove",
    requested: bool = True,
    env: Path | None = None,
    extra_files: Mapping[str, bytes] | None = None,
    unpacked: UnpackedWheel | None = None,
) -> PreparedWheel:
    """Unpack ``wheel`` into the cache (once; ``unpacked`` when that was done already), lay it
    out (``plan_layout``) and find what is in its way. Writes nothing in the environment."""
    layout = plan_layout(
        wheel, unpacked or unpack_wheel(wheel, cache_dir), scheme, env or scheme.data,
        python=python, python_version=python_version,
        info_files=dist_info_files(installer, requested, extra_files),
    )  # fmt: skip
    parents = [*(p.parent for p in layout.placements),
               *(os.path.dirname(g.dest) for g in layout.generated), layout.info_dir]  # fmt: skip
    new_dirs, fresh = _missing_dirs(parents)
    # Only a file headed for a directory that is already there can be in the way.
    existing = [
        dest
        for dest, parent in zip(layout.dests(), parents, strict=True)
        if parent not in fresh and os.path.lexists(dest)
    ]
    return PreparedWheel(layout, new_dirs, existing)


def _missing_dirs(parents: list[str]) -> tuple[list[str], set[str]]:
    """The directories of ``parents`` that do not exist yet, with theirs, parents first (nothing
    can be in their way), and the same as a set."""
    new_dirs: list[str] = []
    fresh: set[str] = set()
    known: set[str] = set()
    for d in dict.fromkeys(parents):
        missing = []
        while d not in known and d not in fresh and not os.path.isdir(d):
            missing.append(d)
            d = os.path.dirname(d)
        if d not in fresh:
            known.add(d)
        new_dirs += reversed(missing)
        fresh.update(missing)
    return new_dirs, fresh


def link_wheel(
    prepared: PreparedWheel, link_mode: LinkMode = "hardlink", shared: Collection[str] = ()
) -> InstalledDist:
    """Create what ``prepared`` says: directories, links from the cache, written files, RECORD.
    ``shared`` destinations belong to another distribution of the same install, which creates
    them; this one only lists them in its RECORD, as pip lists a file two wheels ship. The
    caller journals ``prepared``'s paths first and undoes them on failure (nothing is cleaned
    up here). Any destination that exists raises a WheelError."""
    layout = prepared.layout
    _make_dirs(prepared.new_dirs)
    written, fallback = _link_files(layout, link_mode, shared)
    written += _write_generated(layout, shared)
    written.append(layout.record)
    _write_record(layout.record, layout.record_rows())
    return InstalledDist(
        layout.name,
        layout.version,
        Path(layout.info_dir),
        tuple(written),
        fallback,
        layout.executable_pth,
    )


def _make_dirs(new_dirs: list[str]) -> None:
    for d in new_dirs:
        try:
            os.mkdir(d)
        except FileExistsError:
            if not os.path.isdir(d):
                raise
            # another wheel installing in parallel made it first; it is not ours to remove


def _link_files(
    layout: WheelLayout, link_mode: LinkMode, shared: Collection[str]
) -> tuple[list[str], bool]:
    """Link (or copy) the placements not in ``shared`` from the cache, a kill point halfway;
    the paths made, and whether a hardlink had to fall back to a copy. The hot loop of an
    install: one ``_place`` per file, after a stat of its source against its stamp (the cache's
    tamper check, done here so that each linking process checks its own half); EntryChanged
    for a source that changed."""
    src_root, placements = layout.src_root, layout.placements
    written: list[str] = []
    fallback = False
    half = len(placements) // 2
    for n, batch in enumerate((placements[:half], placements[half:])):
        if n:
            checkpoint("link")
        for p in batch:
            if shared and p.dest in shared:
                continue
            src = f"{src_root}/{p.source.path}"  # a safe member path (checked on unpacking)
            if p.stamp is not None:
                try:
                    st = os.stat(src)
                except OSError:
                    raise EntryChanged(layout.wheel.name, p.source.path) from None
                if st.st_size != p.source.size or st.st_mtime_ns != p.stamp:
                    raise EntryChanged(layout.wheel.name, p.source.path)
            try:
                fallback = _place(src, p.dest, link_mode) or fallback
            except FileExistsError:
                raise overwrite_error(layout.wheel, p.dest) from None
            written.append(p.dest)
    return written, fallback


def _write_generated(layout: WheelLayout, shared: Collection[str]) -> list[str]:
    """Write the generated files not in ``shared`` with their modes; the paths made."""
    written: list[str] = []
    for g in layout.generated:
        if shared and g.dest in shared:
            continue
        try:
            with open(g.dest, "xb") as f:
                f.write(g.data)
        except FileExistsError:
            raise overwrite_error(layout.wheel, g.dest) from None
        written.append(g.dest)
        os.chmod(g.dest, g.mode)
    return written


def _write_record(record: str, rows: list[tuple[str, str, str]]) -> None:
    """Write RECORD as a new file (a kill point with half of it written)."""
    text = _record_text(rows)
    with open(record, "x", encoding="utf-8", newline="") as out:
        out.write(text[: len(text) // 2])
        out.flush()
        checkpoint("record")  # killed with half a RECORD written
        out.write(text[len(text) // 2 :])


def _record_text(rows: list[tuple[str, str, str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def created_paths(prepared: PreparedWheel, shared: Collection[str] = ()) -> list[str]:
    """What ``link_wheel`` may create, for the journal: new directories (parents first), then
    files."""
    return [*prepared.new_dirs, *(d for d in prepared.layout.dests() if d not in shared)]


def install_wheel(
    wheel: Path,
    scheme: Scheme,
    *,
    python: str,
    python_version: tuple[int, int],
    cache_dir: Path,
    installer: str = "cove",
    requested: bool = True,
    link_mode: LinkMode = "hardlink",
    env: Path | None = None,
    extra_files: Mapping[str, bytes] | None = None,
    unpack: UnpackPolicy | None = None,
) -> InstalledDist:
    """Install ``wheel`` into ``scheme`` on its own (a transaction installs several with
    ``prepare_wheel`` and ``link_wheel``); scripts get ``python`` (of ``python_version``) in
    their shebang and versioned names (pip3.12).

    ``env`` bounds where files may go (default: the scheme's data root). ``extra_files`` are
    written into the .dist-info directory (direct_url.json). Nothing may be in the way; on any
    error every file and directory this call made is removed again.
    """
    prepared = prepare_wheel(
        wheel, scheme, python=python, python_version=python_version, cache_dir=cache_dir,
        installer=installer, requested=requested, env=env, extra_files=extra_files,
        unpacked=unpack_wheel(wheel, cache_dir, unpack),
    )  # fmt: skip
    if prepared.existing:
        raise overwrite_error(wheel, prepared.existing[0])
    try:
        return link_wheel(prepared, link_mode)
    except BaseException:
        from cove.install.transaction import remove_created

        remove_created(created_paths(prepared))
        raise
