"""A resolution written down as a lock: which scopes need each package (its marker), who asks
for it (``# via``), which files of a release are recorded, and local paths against the lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version

from cove.errors import LockError
from cove.index.evaluate import Release
from cove.index.models import Link, make_link
from cove.lock.compose import (
    FileFacts,
    Resolved,
    Root,
    lock_files,
    make_pins,
    make_pylock,
    needed_by,
    scope_marker,
)
from cove.lock.pylock import dumps, loads
from cove.resolve.source import Candidate, DirectReference
from tests.support.memory import MARKERS

SHA = "c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a"


def link(filename: str, **kw: object) -> Link:
    made = make_link(filename, f"http://127.0.0.1/files/{filename}", **kw)  # type: ignore[arg-type]
    assert made is not None
    return made


def candidate(name: str, version: str, *files: str) -> Candidate:
    links = tuple(link(f, hashes={"sha256": SHA}, size=10) for f in files)
    v = Version(version)
    return Candidate(NormalizedName(name), v, Release(v, links))


def test_scopes_follow_the_dependencies_and_their_extras() -> None:
    chosen = {NormalizedName(n): candidate(n, "1.0", f"{n.replace('-', '_')}-1.0-py3-none-any.whl")
              for n in ("app", "lib", "speed", "pytest", "winonly", "asyncio-x")}  # fmt: skip
    requires = {
        NormalizedName("app"): [Requirement("lib"), Requirement('speed; extra == "fast"'),
                                Requirement('winonly; sys_platform == "win32"')],
        NormalizedName("pytest"): [Requirement("lib[async]")],
        NormalizedName("lib"): [Requirement('asyncio-x; extra == "async"')],
    }  # fmt: skip
    roots = [Root(Requirement("app"), via="-r requirements.in"),
             Root(Requirement("app[fast]"), "extra:fast", "pyproject.toml"),
             Root(Requirement("pytest"), "group:test", "pyproject.toml")]  # fmt: skip
    needs = needed_by(roots, chosen, requires, MARKERS)
    assert needs[NormalizedName("app")] == (
        frozenset({"", "extra:fast"}),
        ("-r requirements.in", "pyproject.toml"),
    )
    assert needs[NormalizedName("lib")] == (
        frozenset({"", "extra:fast", "group:test"}),
        ("app", "pytest"),
    )
    assert needs[NormalizedName("speed")] == (frozenset({"extra:fast"}), ("app",))
    assert needs[NormalizedName("asyncio-x")] == (frozenset({"group:test"}), ("lib",))
    assert scope_marker(needs[NormalizedName("lib")][0]) is None
    assert str(scope_marker(frozenset({"extra:fast", "group:test"}))) == (
        '"fast" in extras or "test" in dependency_groups'
    )


def test_every_fitting_wheel_and_one_sdist_each_name_once() -> None:
    files = ["util-2.0-py3-none-any.whl", "util-2.0.tar.gz", "util-2.0-py3-none-any.whl",
             "util-2.0.zip", "util-2.0-py2.py3-none-any.whl"]  # fmt: skip
    c = candidate("util", "2.0", *files)
    assert [f.filename for f in lock_files(c)] == [
        "util-2.0-py3-none-any.whl", "util-2.0.tar.gz", "util-2.0-py2.py3-none-any.whl"
    ]  # fmt: skip


def test_files_without_an_index_hash_take_the_callers(tmp_path: Path) -> None:
    bare = link("lib-1.0-py3-none-any.whl")
    local = make_link(
        "app-1.0-py3-none-any.whl", (tmp_path / "w" / "app-1.0-py3-none-any.whl").as_uri()
    )
    assert local is not None
    resolved = [Resolved(Candidate(NormalizedName(c.project), c.version, Release(c.version, (c,))),
                         required_by=("app",) if c is bare else ())
                for c in (bare, local)]  # fmt: skip
    facts = {bare.url: FileFacts("1" * 64, 5), local.url: FileFacts("2" * 64, 6)}
    text = dumps(make_pylock(resolved, facts, lock_dir=tmp_path))
    assert 'path = "w/app-1.0-py3-none-any.whl", size = 6, hashes = { sha256 = "2222' in text
    assert 'url = "http://127.0.0.1/files/lib-1.0-py3-none-any.whl", size = 5' in text
    assert loads(text, "pylock.toml").lock.created_by == "cove"
    pins = make_pins(resolved, facts)
    assert [(p.name, p.hashes, p.required_by) for p in pins] == [
        ("lib", (f"sha256:{'1' * 64}",), ("app",)), ("app", (f"sha256:{'2' * 64}",), ()),
    ]  # fmt: skip
    with pytest.raises(LockError, match="no sha256"):
        make_pylock(resolved, {}, lock_dir=tmp_path)


def test_a_directory_outside_the_lock_is_refused(tmp_path: Path) -> None:
    wheel = link("mine-1.0-py3-none-any.whl")
    outside = DirectReference((tmp_path / "elsewhere").as_uri(), wheel, directory=True)
    inside = DirectReference((tmp_path / "project" / "src").as_uri(), wheel, directory=True)

    def make(origin: DirectReference) -> list[Resolved]:
        return [Resolved(Candidate(NormalizedName("mine"), Version("1.0"), origin))]

    lock = make_pylock(make(inside), {}, lock_dir=tmp_path / "project")
    assert lock.packages[0].directory is not None and lock.packages[0].directory.path == "src"
    assert lock.packages[0].version is None
    with pytest.raises(LockError, match="is outside") as info:
        make_pylock(make(outside), {}, lock_dir=tmp_path / "project")
    assert info.value.hint
