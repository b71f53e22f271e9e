"""Hostile wheels and sdists through the CLI, as files and from an index on 127.0.0.1: each is
refused with exit 1 and a message naming the file and the reason (no traceback), nothing lands
outside the environment or the cache (the canary directory beside them stays empty), the
environment is unchanged, and the cache keeps no partial entry."""

from __future__ import annotations

import os
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cove.cache import UNPACKED
from tests.conftest import pyenv_python, run_cove
from tests.integration.test_freeze import pip
from tests.support.dists import build_sdist
from tests.support.hostile import (
    Member,
    path_max_escape,
    polyglot,
    project_entries,
    raw_zip,
    tar_bytes,
    wheel_members,
    write_wheel,
)
from tests.support.index import Index, IndexServer

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
WHEEL = "hostile-1.0-py3-none-any.whl"


@dataclass
class Target:
    root: Path
    env: Path
    cache: Path
    canary: Path
    tmp: Path  # TMPDIR of every cove run: where sdists are unpacked

    def environ(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "COVE_CACHE_DIR": str(self.cache), "TMPDIR": str(self.tmp), **extra}

    def install(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return run_cove("install", "-p", str(self.env), *args, env=self.environ(**extra))


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    root = tmp_path_factory.mktemp("hostile")
    t = Target(root, root / "env", root / "cache", root / "canary", root / "tmp")
    t.canary.mkdir()
    t.tmp.mkdir()
    run_cove("create", "-q", "-p", str(PY), str(t.env), env=t.environ(), check=True)
    yield t


def snapshot(env: Path) -> dict[str, bytes]:
    return {
        p.relative_to(env).as_posix(): b"" if p.is_dir() else p.read_bytes()
        for p in sorted(env.rglob("*"))
        if "__pycache__" not in p.parts
    }


def partial_entries(cache: Path) -> list[str]:
    """What an install that failed must not leave: temporary directories anywhere in the cache,
    unpacked entries without their manifest, downloads not yet verified."""
    found = [p.relative_to(cache).as_posix() for p in cache.rglob(".tmp*")]
    bucket = cache / UNPACKED
    if bucket.is_dir():
        found += [
            p.name
            for p in bucket.iterdir()
            if p.is_dir() and len(p.name) == 64 and not (p / ".cove-manifest.json").exists()
        ]
    incoming = cache / "artifacts-v1" / "incoming"
    if incoming.is_dir():
        found += [p.name for p in incoming.iterdir()]
    return found


def refused(t: Target, proc: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    for text in expected:
        assert text in proc.stderr, proc.stderr
    assert "hint:" in proc.stderr
    assert list(t.canary.iterdir()) == []
    assert partial_entries(t.cache) == []


def members(files: dict[str, bytes] | None = None, **kw: object) -> list[Member]:
    return [Member(n, d) for n, d in wheel_members(files=files, **kw).items()]  # type: ignore[arg-type]


def _changed(name: str, **changes: object) -> list[Member]:
    out = members()
    for m in out:
        if m.name == name:
            for key, value in changes.items():
                setattr(m, key, value)
    return out


MOD = "hostile/__init__.py"
SECOND_END = b"PK\x05\x06" + bytes(16) + b"\x00\x00"
ZIP_CASES = {
    "local name differs": (raw_zip(_changed(MOD, local_name=b"hostile/__init__.pz")),
                           "the local header names another file"),
    "local crc differs": (raw_zip(_changed(MOD, local_crc=1)), "CRC or sizes differ"),
    "local size differs": (raw_zip(_changed(MOD, local_compressed_size=2)), "CRC or sizes differ"),
    "local method differs": (raw_zip(_changed(MOD, local_method=0)), "compression method differs"),
    "hidden local entry": (
        raw_zip([*members()[:1], Member("hostile/x.py", b"x", in_central=False), *members()[1:]]),
        "follows bytes no entry owns",
    ),
    "data after the end": (raw_zip(members()) + b"more", "data follows the end of central"),
    "two end records": (raw_zip(members(), comment=SECOND_END), "two end of central directory"),
    "nul in a name": (raw_zip([*members(), Member("hostile/a\0.py", b"")]), "unsafe member path"),
    "backslash": (raw_zip([*members(), Member("hostile\\b.py", b"")]), "unsafe member path"),
    "drive letter": (raw_zip([*members(), Member("C:/x.py", b"")]), "unsafe member path"),
    "empty name": (raw_zip([*members(), Member("", b"")]), "unsafe member path"),
    "not utf-8": (
        raw_zip([*members(), Member(b"hostile/\xff.py", b"", flags=0x800)]),
        "is not valid UTF-8",
    ),
    "duplicate": (raw_zip([*members(), Member(MOD, b"EVIL = 1\n")]), "appears twice"),
    "record lists a missing file": (
        raw_zip(members(record=f"{MOD},sha256=x,1\nhostile/gone.py,sha256=x,1\n")),
        "pip would install this wheel; cove refuses it because its RECORD lists 'hostile/gone.py'",
    ),
    "record omits a file": (
        raw_zip([*members(), Member("hostile/extra.py", b"")]),
        "its RECORD does not list 'hostile/extra.py'",
    ),
    "record with ..": (
        raw_zip(members(record="../../bin/evil,sha256=x,1\n")),
        "its RECORD lists the unsafe path '../../bin/evil'",
    ),
    "dist-info named for another project": (
        raw_zip(members(dist_info="other-1.0.dist-info")),
        "its other-1.0.dist-info directory is not named for hostile 1.0",
    ),
    "a compression bomb": (
        raw_zip(members({MOD: b"", "hostile/zeros": bytes(80 << 20)})),
        "more than 100 times its own",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ZIP_CASES))
def test_hostile_wheel_files_are_refused(case: str, target: Target) -> None:
    data, reason = ZIP_CASES[case]
    folder = target.root / "wheels" / case.replace(" ", "-")
    folder.mkdir(parents=True)
    wheel = folder / WHEEL
    wheel.write_bytes(data)
    before = snapshot(target.env)
    proc = target.install(str(wheel))
    refused(target, proc, WHEEL, reason)
    assert snapshot(target.env) == before


def test_pip_installs_a_wheel_whose_record_lies_and_cove_does_not(
    target: Target, tmp_path: Path
) -> None:
    record = wheel_members()["hostile-1.0.dist-info/RECORD"].decode()
    digest = record.split(",")[1]
    lying = members(record=record.replace(digest, "sha256=" + "A" * 43, 1))
    wheel = tmp_path / WHEEL
    wheel.write_bytes(raw_zip(lying))
    before = snapshot(target.env)
    proc = target.install(str(wheel))
    refused(target, proc, "does not match the hash in its RECORD", "pip would install this")
    assert snapshot(target.env) == before
    other = tmp_path / "pip-env"
    run_cove("create", "-q", "-p", str(PY), str(other), env=target.environ(), check=True)
    assert pip(other, "install", "-q", "--no-deps", str(wheel)).returncode == 0


def test_limits_are_settings_named_in_the_refusal(target: Target, tmp_path: Path) -> None:
    wheel = write_wheel(tmp_path, wheel_members(files={f"hostile/m{i}.py": b"" for i in range(30)}))
    before = snapshot(target.env)
    many = target.install(str(wheel), COVE_ARCHIVE_MAX_FILES="10")
    refused(target, many, WHEEL, "it has more than 10 members", "COVE_ARCHIVE_MAX_FILES")
    big = target.install(str(wheel), COVE_ARCHIVE_MAX_SIZE="1K")
    refused(target, big, "unpacks to more than 1,024 bytes", "COVE_ARCHIVE_MAX_SIZE")
    bad = target.install(str(wheel), COVE_ARCHIVE_MAX_SIZE="lots")
    assert bad.returncode == 1 and "archive-max-size='lots' is not a positive number" in bad.stderr
    assert snapshot(target.env) == before


def test_the_same_wheel_from_an_index_is_refused_and_leaves_no_partial_entry(
    target: Target, tmp_path: Path
) -> None:
    index = Index(tmp_path / "index")
    folder = tmp_path / "made"
    folder.mkdir()
    wheel = folder / WHEEL
    wheel.write_bytes(raw_zip(_changed(MOD, local_crc=7)))
    index.add_file(wheel)
    before = snapshot(target.env)
    with IndexServer(index) as server:
        proc = target.install("-i", server.url, "hostile")
    refused(target, proc, WHEEL, "CRC or sizes differ")
    assert snapshot(target.env) == before


def test_executable_pth_is_installed_with_a_warning_or_refused_by_setting(
    target: Target, tmp_path: Path
) -> None:
    files = {MOD: b"", "zz_hostile.pth": b"import os; os.environ['HOSTILE'] = 'ran'\n"}
    wheel = write_wheel(tmp_path, wheel_members(files=files))
    before = snapshot(target.env)
    no = target.install(str(wheel), COVE_REFUSE_EXECUTABLE_PTH="1")
    refused(target, no, WHEEL, "zz_hostile.pth, a .pth file that runs code")
    assert snapshot(target.env) == before
    config = tmp_path / "cove.toml"
    config.write_text("[install]\nrefuse-executable-pth = true\n")
    again = target.install(str(wheel), COVE_CONFIG_FILE=str(config))
    refused(target, again, "refuse-executable-pth is set")
    yes = target.install(str(wheel))
    assert yes.returncode == 0, yes.stderr
    assert "warning: hostile 1.0 installed zz_hostile.pth, a .pth file that runs code" in yes.stderr
    run_cove("uninstall", "-p", str(target.env), "-y", "hostile", env=target.environ(), check=True)


def test_an_sdist_cannot_write_outside_through_a_path_max_symlink_chain(
    target: Target, tmp_path: Path
) -> None:
    # The unpack directory is TMPDIR/cove-sdist-XXXXXXXX/src; three levels up is target.root.
    unpack_dir = f"{target.tmp}/cove-sdist-XXXXXXXX/src"
    sdist = tmp_path / "evil-1.0.tar.gz"
    sdist.write_bytes(tar_bytes(path_max_escape(unpack_dir, "canary/pwned", up=3)))
    before = snapshot(target.env)
    proc = target.install(str(sdist))
    refused(target, proc, "evil-1.0.tar.gz has an unsafe member")
    assert snapshot(target.env) == before
    assert [p.name for p in target.tmp.iterdir() if p.name.startswith("cove-sdist")] == []


def test_a_tar_zip_polyglot_sdist_is_refused_whatever_was_built_before(
    target: Target, tmp_path: Path
) -> None:
    tar = build_sdist(tmp_path / "made", "poly", "1.0").read_bytes()  # builds offline
    buf = tmp_path / "zip-side.zip"
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("poly-1.0/poly.py", "__version__ = 'from the zip'\n")
    both = polyglot(tar, buf.read_bytes())
    before = snapshot(target.env)
    as_tar = tmp_path / "poly-1.0.tar.gz"
    as_tar.write_bytes(both)
    proc = target.install(str(as_tar))
    refused(target, proc, "poly-1.0.tar.gz", "data follows the compressed stream")
    as_zip = tmp_path / "poly-1.0.zip"
    as_zip.write_bytes(both)
    proc = target.install(str(as_zip))
    refused(target, proc, "poly-1.0.zip is named as a zip archive but is a gzip-compressed tar")
    assert snapshot(target.env) == before


def test_sdist_limits_and_special_members_through_the_cli(target: Target, tmp_path: Path) -> None:
    import tarfile

    from tests.support.hostile import TarEntry

    many = tmp_path / "many-1.0.tar.gz"
    many.write_bytes(tar_bytes(project_entries("many-1.0", {f"f{i}": b"" for i in range(40)})))
    fifo = tmp_path / "fifo-1.0.tar.gz"
    fifo.write_bytes(
        tar_bytes([*project_entries("fifo-1.0"), TarEntry("fifo-1.0/p", type=tarfile.FIFOTYPE)])
    )
    before = snapshot(target.env)
    proc = target.install(str(many), COVE_ARCHIVE_MAX_FILES="20")
    refused(target, proc, "many-1.0.tar.gz is refused: it has more than 20 members")
    proc = target.install(str(fifo))
    refused(target, proc, "fifo-1.0.tar.gz", "'fifo-1.0/p': the member is a device or FIFO")
    assert snapshot(target.env) == before
