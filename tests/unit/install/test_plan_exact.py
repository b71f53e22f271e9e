"""Installing exactly a set of pins: what is kept (same version, same PEP 610 record), what is
installed, what is removed (replaced, and with sync everything unnamed but what is kept)."""

from __future__ import annotations

from pathlib import Path

from packaging.utils import NormalizedName
from packaging.version import Version

from cove import direct_url
from cove.inspect.installed import InstalledDistribution
from cove.install.plan import Pinned, plan_exact


def dist(
    tmp_path: Path, name: str, version: str, record: dict[str, object] | None = None
) -> InstalledDistribution:
    path = tmp_path / f"{name}-{version}.dist-info"
    path.mkdir()
    if record is not None:
        (path / "direct_url.json").write_bytes(direct_url.dumps(record))
    return InstalledDistribution(name, version, path)


def test_kept_installed_and_removed(tmp_path: Path) -> None:
    git = direct_url.for_vcs("https://h.example/r.git", "a" * 40, "main", None)
    tree = direct_url.for_directory("file:///src/mine", True)
    installed = {NormalizedName(d.name): d for d in [
        dist(tmp_path, "same", "1.0"), dist(tmp_path, "older", "0.9"),
        dist(tmp_path, "viagit", "2.0", git), dist(tmp_path, "mine", "0.1", tree),
        dist(tmp_path, "fromurl", "1.0", direct_url.for_archive("file:///x.whl", "b" * 64)),
        dist(tmp_path, "stray", "1.0"), dist(tmp_path, "pip", "24.0"),
    ]}  # fmt: skip
    wanted = [
        Pinned(NormalizedName("same"), Version("1.0")),
        Pinned(NormalizedName("older"), Version("1.0")),
        Pinned(NormalizedName("viagit"), None, direct_url=git),
        Pinned(NormalizedName("mine"), None, direct_url=tree, editable=True),
        Pinned(NormalizedName("fromurl"), Version("1.0")),  # now from an index: reinstalled
        Pinned(NormalizedName("new"), Version("1.0")),
    ]
    todo, keep, remove = plan_exact(wanted, installed, True, {NormalizedName("pip")})
    assert [p.name for p in todo] == ["fromurl", "new", "older"]
    assert [c.name for c in keep] == ["mine", "same", "viagit"]
    assert [d.name for d in remove] == ["fromurl", "older", "stray"]
    todo, keep, remove = plan_exact(wanted, installed, False)
    assert [d.name for d in remove] == ["fromurl", "older"]  # install -r: the rest stays


def test_same_source() -> None:
    git = direct_url.for_vcs("https://h.example/r.git", "a" * 40, "main", "sub")
    assert direct_url.same_source(git, direct_url.for_vcs("git+https://h.example/r.git",
                                                          "a" * 40, None, "sub"))  # fmt: skip
    assert not direct_url.same_source(git, direct_url.for_vcs("https://h.example/r.git",
                                                              "b" * 40, "main", "sub"))  # fmt: skip
    whole = direct_url.for_directory("file:///src", False)
    assert not direct_url.same_source(whole, whole)  # a tree installed whole may have changed
    archive = direct_url.for_archive("https://h.example/a.tar.gz", "c" * 64)
    assert direct_url.same_source(archive, direct_url.for_archive("file:///a.tar.gz", "c" * 64))
    assert not direct_url.same_source(archive, None) and direct_url.same_source(None, None)
