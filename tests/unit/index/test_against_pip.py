"""Cross-check: for the same file index, cove's best link is the file pip itself picks (pip run
with --dry-run --report against a file:// index built here, for this very interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest
from packaging.requirements import Requirement
from packaging.tags import Tag
from packaging.version import Version

from cove.index.evaluate import BinaryPolicy
from cove.python.probe import probe
from cove.python.tags import supported_tags
from tests.support.dists import WheelSpec, build_sdist
from tests.support.index import Index


@pytest.fixture(scope="module")
def tags(tmp_path_factory: pytest.TempPathFactory) -> list[Tag]:
    return supported_tags(probe(Path(sys.executable), tmp_path_factory.mktemp("probe")))


@pytest.fixture(scope="module")
def pip_versions() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(pip's version, the version of the packaging it vendors); empty when there is no pip."""
    code = "import pip, pip._vendor.packaging as p; print(pip.__version__, p.__version__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        return (), ()
    pip, packaging = proc.stdout.split()
    return tuple(map(int, pip.split(".")[:2])), tuple(map(int, packaging.split(".")[:2]))


def pip_pick(index: Index, requirement: str, *args: str) -> str | None:
    """The filename pip would install for ``requirement`` from ``index``, or None."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
         "--no-cache-dir", "--no-build-isolation", "--quiet", "--report", "-",
         "--index-url", index.file_url, *args, requirement],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    if proc.returncode != 0:
        assert "No matching distribution" in proc.stderr, proc.stderr
        return None
    url = json.loads(proc.stdout)["install"][0]["download_info"]["url"]
    return unquote(url.rsplit("/", 1)[-1])


def cove_pick(index: Index, tags: list[Tag], requirement: str, args: list[str]) -> str | None:
    """The filename cove would install: the production path, the index source's candidates
    through the resolver provider's find_matches (binary options and --pre as given)."""
    import tempfile

    from cove.build.builder import Builder
    from cove.http.client import HttpClient, HttpOptions
    from cove.index.finder import Locations
    from cove.prepare.artifacts import Preparer
    from cove.prepare.source import IndexSource, SourceConfig
    from cove.resolve.provider import Need, Policy, Provider

    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch)
        interpreter = probe(Path(sys.executable), cache)
        config = SourceConfig(Locations((index.file_url,)), binary=_binary(args))
        source = IndexSource(
            Preparer(HttpClient(HttpOptions(cache_dir=None)), cache),
            config,
            tags,
            Version(interpreter.version_string),
            cache,
        )
        # Never asked to build here: it only lets sdists be offered, as in a real install.
        source.set_builder(Builder(interpreter, cache, lambda root, reqs: None), frozenset())
        policy = Policy(markers={}, python_version=Version(interpreter.version_string),
                        pre="--pre" in args)  # fmt: skip
        need = Need.from_requirement(Requirement(requirement))
        try:
            found = Provider(source, policy, root=[need]).find_matches(
                need.key, {need.key: iter([need])}, {need.key: iter(())}
            )
            first = next(iter(found() if callable(found) else found), None)
        finally:
            source.close()
    link = first.link if first is not None else None
    return link.filename if link is not None else None


def _tag(tags: list[Tag], test: Callable[[Tag], bool]) -> str:
    found = next((t for t in tags if test(t)), None)
    if found is None:
        pytest.skip("this interpreter has no manylinux tags to test with")
    return str(found)


Scenario = tuple[Callable[[Index], None], str, list[str], tuple[int, int]]


def _scenarios(tags: list[Tag]) -> dict[str, Scenario]:
    """name: (fill the index, requirement, pip options, oldest vendored packaging that agrees)"""
    abi = tags[0].abi
    newest = _tag(tags, lambda t: t.abi == abi and t.platform.startswith("manylinux_"))
    legacy = _tag(tags, lambda t: t.abi == abi and t.platform.startswith("manylinux2014"))
    abi3 = _tag(tags, lambda t: t.abi == "abi3" and t.platform.startswith("manylinux_2_17"))

    def wheel(i: Index, version: str, tag: str = "py3-none-any", **kw: str | bool | None) -> None:
        python = kw.pop("requires_python", None)
        spec = WheelSpec("foo", version, tag=tag, requires_python=python)  # type: ignore[arg-type]
        i.add_wheel(spec, **kw)  # type: ignore[arg-type]

    def sdist(i: Index, version: str, **kw: object) -> None:
        i.add_file(build_sdist(i.root / "sdists", "foo", version), **kw)  # type: ignore[arg-type]

    def tags_(i: Index) -> None:
        for tag in ("py3-none-any", abi3, legacy, newest):
            wheel(i, "1.0", tag)
        sdist(i, "1.0")

    def builds(i: Index) -> None:
        wheel(i, "1.0", "1-py3-none-any")
        wheel(i, "1.0", "12-py3-none-any")
        wheel(i, "1.0", "3a-py3-none-any")
        wheel(i, "1.0")

    def versions(i: Index) -> None:
        wheel(i, "1.0", newest)
        wheel(i, "1.1", "py3-none-any")
        wheel(i, "2.0", "cp27-cp27mu-manylinux1_x86_64")
        wheel(i, "2.1", "py3-none-win_amd64")

    def python(i: Index) -> None:
        wheel(i, "1.0", requires_python=">=3.7")
        wheel(i, "2.0", requires_python=">=4")
        wheel(i, "1.5", requires_python=f"<{sys.version_info[0]}.{sys.version_info[1]}")

    def yanked(i: Index) -> None:
        wheel(i, "1.0")
        wheel(i, "2.0", yanked="broken")
        sdist(i, "2.0", yanked=True)

    def pre(i: Index) -> None:
        wheel(i, "1.0")
        wheel(i, "2.0b1")
        wheel(i, "1.5.dev1")

    def only_pre(i: Index) -> None:
        wheel(i, "2.0b1")
        wheel(i, "2.0a1")

    def mixed(i: Index) -> None:
        sdist(i, "2.0")
        wheel(i, "1.0")

    def same(i: Index) -> None:
        sdist(i, "1.0")
        wheel(i, "1.0")

    def native(i: Index) -> None:
        wheel(i, "1.0", newest)
        wheel(i, "1.0", f"{tags[0].interpreter}-{abi}-{linux}")

    linux = _tag(tags, lambda t: t.platform.startswith("linux_")).split("-")[2]
    any_ = (0, 0)
    return {
        "tags": (tags_, "foo", [], any_),
        "build-tags": (builds, "foo", [], any_),
        "versions": (versions, "foo", [], any_),
        "requires-python": (python, "foo", [], any_),
        "yanked": (yanked, "foo", [], any_),
        "yanked-pinned": (yanked, "foo==2.0", [], any_),
        "pre-hidden": (pre, "foo", [], any_),
        "pre-flag": (pre, "foo", ["--pre"], any_),
        "pre-named": (pre, "foo>=1.1b1", [], any_),
        "pre-only": (only_pre, "foo", [], any_),
        # Only pre-releases satisfy the specifier: PEP 440 allows them (packaging 26 follows it).
        "pre-fallback": (pre, "foo>1.0", [], (26, 0)),
        "prefer-binary": (mixed, "foo", ["--prefer-binary"], any_),
        "only-binary": (mixed, "foo", ["--only-binary", ":all:"], any_),
        "no-binary": (same, "foo", ["--no-binary", "foo"], any_),
        "newest-sdist": (mixed, "foo", [], any_),
        # linux_<arch> ranks before manylinux from packaging 26.3 on.
        "native-linux": (native, "foo", [], (26, 3)),
    }


NAMES = [
    "tags",
    "build-tags",
    "versions",
    "requires-python",
    "yanked",
    "yanked-pinned",
    "pre-hidden",
    "pre-flag",
    "pre-named",
    "pre-only",
    "pre-fallback",
    "prefer-binary",
    "only-binary",
    "no-binary",
    "newest-sdist",
    "native-linux",
]


def _binary(args: list[str]) -> BinaryPolicy:
    binary = BinaryPolicy(prefer_binary="--prefer-binary" in args)
    for n, flag in enumerate(args):
        value = args[n + 1] if n + 1 < len(args) else ""
        if flag == "--only-binary":
            binary = binary.with_only_binary(value)
        elif flag == "--no-binary":
            binary = binary.with_no_binary(value)
    return binary


@pytest.mark.parametrize("name", NAMES)
def test_cove_picks_the_file_pip_picks(
    name: str,
    tags: list[Tag],
    pip_versions: tuple[tuple[int, ...], tuple[int, ...]],
    tmp_path: Path,
) -> None:
    build, requirement, args, oldest = _scenarios(tags)[name]
    if pip_versions[0] < (22, 2):
        pytest.skip("needs a pip with --dry-run --report")
    if pip_versions[1] < oldest:
        pytest.skip(f"pip's packaging {pip_versions[1]} predates this rule")
    index = Index(tmp_path / "index")
    build(index)
    ours = cove_pick(index, tags, requirement, args)
    assert ours is not None
    assert ours == pip_pick(index, requirement, *args)
