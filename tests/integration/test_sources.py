"""Installing from source: project directories, editable installs, sdists on an index or on
disk, with build isolation through cove's own environments, against pip's results."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.integration.test_freeze import pip
from tests.support.dists import WheelSpec, build_sdist, source_project
from tests.support.index import Index

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")


def make_env(where: Path) -> Path:
    run_cove("create", "-q", "-p", str(PY), str(where), check=True)
    return where


def python(env: Path, code: str) -> str:
    done = subprocess.run([str(env / "bin/python"), "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def snapshot(env: Path) -> dict[str, bytes]:
    return {
        p.relative_to(env).as_posix(): p.read_bytes()
        for p in sorted(env.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_project_directories_and_editables_match_pip(tmp_path: Path) -> None:
    proj = source_project(tmp_path / "proj", "My-Proj")
    live = source_project(tmp_path / "live", "live-code")
    ours, theirs = make_env(tmp_path / "a" / "env"), make_env(tmp_path / "b" / "env")
    proc = run_cove("install", "-p", str(ours), str(proj), "-e", str(live))
    assert proc.returncode == 0, proc.stderr
    assert pip(theirs, "install", "-q", str(proj), "-e", str(live)).returncode == 0
    freeze = run_cove("freeze", "-p", str(ours), check=True).stdout
    assert freeze == pip(theirs, "freeze").stdout
    assert f"-e {live}\n" in freeze and f"My-Proj @ {proj.as_uri()}\n" in freeze
    assert python(ours, "import live_code; print(live_code.VALUE)") == "0.3"
    (live / "src" / "live_code.py").write_text("VALUE = 'changed'\n")
    assert python(ours, "import live_code; print(live_code.VALUE)") == "changed"


def test_project_directories_in_requirements_files_match_pip(tmp_path: Path) -> None:
    """`-e .` and `./proj` lines name no project; a build tells it, as pip does."""
    work = tmp_path / "work"
    proj = source_project(work / "proj", "Dir-Proj")
    live = source_project(work / "live", "live-dir")
    reqs = work / "requirements.txt"
    reqs.write_text("./proj\n-e ./live\n")
    ours, theirs = make_env(tmp_path / "a" / "env"), make_env(tmp_path / "b" / "env")
    # Run beside the file, as usual: pip reads relative paths from the working directory.
    proc = run_cove("install", "-p", str(ours), "-r", str(reqs), cwd=work)
    assert proc.returncode == 0, proc.stderr
    done = pip(theirs, "install", "-q", "-r", str(reqs), cwd=work)
    assert done.returncode == 0, done.stderr
    freeze = run_cove("freeze", "-p", str(ours), check=True).stdout
    assert freeze == pip(theirs, "freeze").stdout
    assert f"-e {live}\n" in freeze and f"Dir-Proj @ {proj.as_uri()}\n" in freeze
    constraints = work / "constraints.txt"
    constraints.write_text("./proj\n")
    refused = run_cove("install", "-p", str(ours), "-c", str(constraints), "live-dir", cwd=work)
    assert refused.returncode == 1 and "constraint needs a project name" in refused.stderr
    unnamed = run_cove("uninstall", "-y", "-p", str(ours), "-r", str(reqs), cwd=work)
    assert unnamed.returncode == 2 and "cove uninstall NAME" in unnamed.stderr
    assert "Dir-Proj" in run_cove("freeze", "-p", str(ours), check=True).stdout


def test_sdist_only_package_is_built_once_and_cached(tmp_path: Path, index: Index) -> None:
    index.add_file(build_sdist(tmp_path / "sd", "sdonly", "1.2"))
    index.add("needs-sdonly", "1.0", requires=["sdonly>=1"])
    first, second = make_env(tmp_path / "one"), make_env(tmp_path / "two")
    run_cove("install", "-q", "-p", str(first), "-i", index.file_url, "needs-sdonly", check=True)
    assert python(first, "import sdonly; print(sdonly.__version__)") == "1.2"
    cache = Path(os.environ["COVE_CACHE_DIR"]) / "built-v1"
    built = sorted(p for p in cache.rglob("*.whl") if "trees" not in p.parts)
    run_cove("install", "-q", "-p", str(second), "-i", index.file_url, "sdonly", check=True)
    assert sorted(p for p in cache.rglob("*.whl") if "trees" not in p.parts) == built
    no_build = run_cove("install", "-p", str(make_env(tmp_path / "three")), "-i",
                        index.file_url, "--no-build", "sdonly")  # fmt: skip
    assert no_build.returncode == 1 and "--no-build" in no_build.stderr


def test_build_requirements_come_from_the_index(tmp_path: Path, index: Index) -> None:
    index.add_wheel(WheelSpec("buildhelper", "1.0", files={"buildhelper.py": b"OK = True\n"}))
    proj = source_project(tmp_path / "proj", "uses-helper")
    text = (
        (proj / "pyproject.toml").read_text().replace("requires = []", 'requires = ["buildhelper"]')
    )
    (proj / "pyproject.toml").write_text(text)
    backend = proj / "_backend.py"
    backend.write_text("import buildhelper\nassert buildhelper.OK\n" + backend.read_text())
    env = make_env(tmp_path / "env")
    proc = run_cove("install", "-p", str(env), "-i", index.file_url, str(proj))
    assert proc.returncode == 0, proc.stderr
    assert "buildhelper" not in run_cove("freeze", "-p", str(env), check=True).stdout


def test_failed_build_shows_its_output_and_changes_nothing(tmp_path: Path) -> None:
    proj = source_project(tmp_path / "broken", "broken-proj")
    backend = proj / "_backend.py"
    backend.write_text(
        backend.read_text().replace(
            "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n",
            "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
            "    import sys\n    print('compiler exploded here', file=sys.stderr)\n"
            "    raise SystemExit(3)\n",
        )
    )
    env = make_env(tmp_path / "env")
    before = snapshot(env)
    proc = run_cove("install", "-p", str(env), str(proj))
    assert proc.returncode == 1
    assert f"building {proj}" in proc.stderr and "compiler exploded here" in proc.stderr
    assert "the full log is in" in proc.stderr and "Traceback (most recent" not in proc.stderr
    assert snapshot(env) == before


def test_unsafe_sdist_is_refused(tmp_path: Path) -> None:
    sdist = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        data = b"pwned"
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    env = make_env(tmp_path / "env")
    proc = run_cove("install", "-p", str(env), str(sdist))
    assert proc.returncode == 1 and "unsafe member" in proc.stderr
    assert not (tmp_path / "escaped.txt").exists()


def test_local_sdist_and_direct_reference_match_pip(tmp_path: Path) -> None:
    sdist = build_sdist(tmp_path / "sd", "local-sd", "2.0")
    ours, theirs = make_env(tmp_path / "a" / "env"), make_env(tmp_path / "b" / "env")
    run_cove("install", "-q", "-p", str(ours), f"local-sd @ {sdist.as_uri()}", check=True)
    assert pip(theirs, "install", "-q", f"local-sd @ {sdist.as_uri()}").returncode == 0
    assert run_cove("freeze", "-p", str(ours), check=True).stdout == pip(theirs, "freeze").stdout


def _git_repo(root: Path) -> Path:
    """A repository with a project in pkg/: tag v1.0 is version 1.0, branch next is 2.0."""
    import shutil

    git = shutil.which("git")
    if git is None:
        pytest.skip("needs git")
    source_project(root / "pkg", "git-proj", "1.0")

    def run(*args: str) -> None:
        subprocess.run(
            [git, "-c", "user.email=t@e.example", "-c", "user.name=t", *args],
            cwd=root, check=True, capture_output=True,
        )  # fmt: skip

    run("init", "-q", "-b", "main")
    run("add", ".")
    run("commit", "-qm", "one")
    run("tag", "v1.0")
    run("checkout", "-q", "-b", "next")
    backend = root / "pkg" / "_backend.py"
    backend.write_text(backend.read_text().replace("'1.0'", "'2.0'"))
    run("commit", "-qam", "two")
    run("checkout", "-q", "main")
    return root


def test_git_sources_match_pip_and_are_cloned_once(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo")
    url = f"git+{repo.as_uri()}@next#egg=git-proj&subdirectory=pkg"
    ours, theirs = make_env(tmp_path / "a" / "env"), make_env(tmp_path / "b" / "env")
    proc = run_cove("install", "-p", str(ours), url)
    assert proc.returncode == 0, proc.stderr
    assert pip(theirs, "install", "-q", url).returncode == 0
    freeze = run_cove("freeze", "-p", str(ours), check=True).stdout
    assert freeze == pip(theirs, "freeze").stdout
    assert freeze.startswith(f"git-proj @ git+{repo.as_uri()}@") and "#subdirectory=pkg" in freeze
    site = "lib/python3.12/site-packages/git_proj-2.0.dist-info/direct_url.json"
    assert (ours / site).read_bytes() == (theirs / site).read_bytes()
    vcs = Path(os.environ["COVE_CACHE_DIR"]) / "vcs-v1"
    mirrors = list(vcs.glob("*/mirror.git"))
    assert len(mirrors) == 1
    stamp = mirrors[0].stat().st_mtime_ns
    third = make_env(tmp_path / "c" / "env")
    tagged = f"git-proj @ git+{repo.as_uri()}@v1.0#subdirectory=pkg"
    run_cove("install", "-q", "-p", str(third), tagged, check=True)
    assert "git-proj @ git+" in run_cove("freeze", "-p", str(third), check=True).stdout
    assert python(third, "import git_proj; print(git_proj.VALUE)") == "1.0"
    assert mirrors[0].stat().st_mtime_ns == stamp  # the tag was in the mirror already


def test_git_refs_cannot_inject_options(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo")
    env = make_env(tmp_path / "env")
    for bad in ("--upload-pack=touch", "-oProxyCommand=touch"):
        proc = run_cove("install", "-p", str(env), f"git-proj @ git+{repo.as_uri()}@{bad}")
        assert proc.returncode == 1 and "invalid git ref" in proc.stderr
    assert not (tmp_path / "pwned").exists()


def test_build_constraints_pin_build_requirements(tmp_path: Path, index: Index) -> None:
    for version in ("1.0", "2.0"):
        files = {"buildhelper.py": f"VERSION = {version!r}\n".encode()}
        index.add_wheel(WheelSpec("buildhelper", version, files=files))
    proj = source_project(tmp_path / "proj", "pinned-helper")
    pyproject = proj / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[]", '["buildhelper"]'))
    backend = proj / "_backend.py"
    backend.write_text(
        "import buildhelper\nassert buildhelper.VERSION == '1.0'\n" + backend.read_text()
    )
    env = make_env(tmp_path / "env")
    unpinned = run_cove("install", "-p", str(env), "-i", index.file_url, str(proj))
    assert unpinned.returncode == 1 and "AssertionError" in unpinned.stderr
    pins = tmp_path / "build-constraints.txt"
    pins.write_text("buildhelper==1.0\n")
    pinned = run_cove("install", "-p", str(env), "-i", index.file_url, "-b", str(pins), str(proj))
    assert pinned.returncode == 0, pinned.stderr


BACKENDS = {
    "setuptools": (
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n',
        "{name}.py",
    ),
    "flit": (
        '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n',
        "{name}.py",
    ),
    "hatchling": (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
        "{name}/__init__.py",
    ),
}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_real_backends_match_pip(backend: str, tmp_path: Path, backend_wheels: Path) -> None:
    """Projects built by setuptools, flit and hatchling, plain and editable, offline from a
    find-links directory: the same freeze and the same importable code as with pip."""
    build_system, module_path = BACKENDS[backend]
    name = f"via_{backend}"
    results = {}
    for who in ("cove", "pip"):
        proj = tmp_path / who / "proj"
        (proj / module_path.format(name=name)).parent.mkdir(parents=True, exist_ok=True)
        (proj / module_path.format(name=name)).write_text(
            '"""A test module."""\n__version__ = "1.5"\n'
        )
        (proj / "pyproject.toml").write_text(
            build_system + f'[project]\nname = "{name}"\nversion = "1.5"\n'
            'description = "A test project"\n'
        )
        env = make_env(tmp_path / who / "env")
        args = ["--no-index", "-f", str(backend_wheels)]
        for editable in (False, True):
            target = ["-e", str(proj)] if editable else [str(proj)]
            if who == "cove":
                proc = run_cove("install", "-p", str(env), *args, *target)
            else:
                proc = pip(env, "install", "-q", *args, *target)
            assert proc.returncode == 0, proc.stderr
            assert python(env, f"import {name}; print({name}.__version__)") == "1.5"
            freeze = pip(env, "freeze").stdout
            results[(who, editable)] = freeze.replace(str(tmp_path / who), "<tmp>")
            if not editable:
                uninstall = ["uninstall", "-q", "-y", name]
                done = (
                    run_cove(*uninstall[:1], "-y", "-p", str(env), name)
                    if who == "cove"
                    else pip(env, *uninstall)
                )
                assert done.returncode == 0
    assert results[("cove", False)] == results[("pip", False)]
    assert results[("cove", True)] == results[("pip", True)]


def test_resolution_asks_for_metadata_not_a_build(tmp_path: Path, index: Index) -> None:
    """prepare_metadata_for_build_wheel first: a dry run builds no wheel at all."""
    index.add_file(build_sdist(tmp_path / "sd", "meta-only", "3.0"))
    env = make_env(tmp_path / "env")
    proc = run_cove("install", "-p", str(env), "-i", index.file_url, "--dry-run", "meta-only")
    assert proc.returncode == 0 and "+ meta-only==3.0" in proc.stderr
    built = Path(os.environ["COVE_CACHE_DIR"]) / "built-v1"
    assert list(built.rglob("*.METADATA")) and not list(built.rglob("meta_only-*.whl"))


def test_wheel_paths_no_isolation_and_commits(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheels"
    from tests.support.dists import build_wheel

    wheel = build_wheel(wheel_dir, WheelSpec("From-Path", "1.1"))
    proj = source_project(tmp_path / "proj", "no-iso")
    repo = _git_repo(tmp_path / "repo")
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "v1.0"], capture_output=True, text=True, check=True
    ).stdout.strip()
    git_url = f"git+{repo.as_uri()}@{commit}#egg=git-proj&subdirectory=pkg"
    ours, theirs = make_env(tmp_path / "a" / "env"), make_env(tmp_path / "b" / "env")
    proc = run_cove("install", "-p", str(ours), str(wheel), git_url)
    assert proc.returncode == 0, proc.stderr
    proc = run_cove("install", "-p", str(ours), "--no-build-isolation", str(proj))
    assert proc.returncode == 0, proc.stderr
    assert pip(theirs, "install", "-q", str(wheel), git_url).returncode == 0
    assert pip(theirs, "install", "-q", "--no-build-isolation", str(proj)).returncode == 0
    freeze = run_cove("freeze", "-p", str(ours), check=True).stdout
    assert freeze == pip(theirs, "freeze").stdout
    assert f"@{commit}#subdirectory=pkg" in freeze and f"From-Path @ {wheel.as_uri()}" in freeze


def _sdist_with(backend: str, where: Path, backend_wheels: Path) -> Path:
    """A real sdist of a small project, made by ``backend``'s own build_sdist hook."""
    from pyproject_hooks import BuildBackendHookCaller

    build_system, module_path = BACKENDS[backend]
    name = f"sd_{backend}"
    proj = where / "proj"
    module = proj / module_path.format(name=name)
    module.parent.mkdir(parents=True)
    module.write_text('"""A test module."""\n__version__ = "2.5"\n')
    (proj / "pyproject.toml").write_text(
        build_system + f'[project]\nname = "{name}"\nversion = "2.5"\ndescription = "x"\n'
    )
    tools = make_env(where / "tools")
    run_cove("install", "-q", "-p", str(tools), "--no-index", "-f", str(backend_wheels),
             "setuptools", "flit_core", "hatchling", check=True)  # fmt: skip
    hooks = BuildBackendHookCaller(
        str(proj),
        build_system.split('build-backend = "')[1].split('"')[0],
        python_executable=str(tools / "bin/python"),
    )
    out = where / "dist"
    out.mkdir()
    return out / hooks.build_sdist(str(out))


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_real_sdists_from_the_index_match_pip(
    backend: str, tmp_path: Path, backend_wheels: Path
) -> None:
    """Sdists made by setuptools, flit and hatchling, served by the index server and built
    with isolation (backends from find-links) and without (backend already in the env)."""
    from tests.support.index import IndexServer

    sdist = _sdist_with(backend, tmp_path / "make", backend_wheels)
    index = Index(tmp_path / "index")
    index.add_file(sdist)
    name = f"sd_{backend}"
    with IndexServer(index) as server:
        links = ["-i", server.url, "-f", str(backend_wheels)]
        for isolated in (True, False):
            ours = make_env(tmp_path / f"ours-{isolated}" / "env")
            theirs = make_env(tmp_path / f"theirs-{isolated}" / "env")
            extra: list[str] = []
            if not isolated:
                need = ["setuptools", "wheel", "flit_core", "hatchling", "editables"]
                for env in (ours, theirs):
                    run_cove("install", "-q", "-p", str(env), "--no-index", "-f",
                             str(backend_wheels), *need, check=True)  # fmt: skip
                extra = ["--no-build-isolation"]
            proc = run_cove("install", "-p", str(ours), *links, *extra, name)
            assert proc.returncode == 0, proc.stderr
            done = pip(theirs, "install", "-q", *links, *extra, name)
            assert done.returncode == 0, done.stderr
            assert python(ours, f"import {name}; print({name}.__version__)") == "2.5"
            assert (
                run_cove("freeze", "-p", str(ours), check=True).stdout
                == pip(theirs, "freeze").stdout
            )


def test_wheel_and_sdist_urls_over_http_match_pip(tmp_path: Path, index: Index) -> None:
    from tests.support.index import IndexServer

    wheel = index.add("Remote-Wheel", "1.0")
    index.add_file(build_sdist(tmp_path / "sd", "remote-sd", "1.0"))
    ours, theirs = make_env(tmp_path / "a" / "env"), make_env(tmp_path / "b" / "env")
    with IndexServer(index) as server:
        base = f"http://127.0.0.1:{server.port}/files/"
        reqs = [f"Remote-Wheel @ {base}{wheel.name}", f"remote-sd @ {base}remote_sd-1.0.tar.gz"]
        proc = run_cove("install", "-p", str(ours), *reqs)
        assert proc.returncode == 0, proc.stderr
        assert pip(theirs, "install", "-q", *reqs).returncode == 0
    frozen = run_cove("freeze", "-p", str(ours), check=True).stdout
    assert frozen == pip(theirs, "freeze").stdout
    assert f"Remote-Wheel @ {base}{wheel.name}" in frozen


VERSION = "import importlib.metadata as m; print(m.version('git-proj'))"


def test_editable_git_installs_clone_into_src_as_pip_does(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo")
    url = f"git+{repo.as_uri()}@next#egg=git-proj&subdirectory=pkg"
    ours, theirs = make_env(tmp_path / "a" / "env"), make_env(tmp_path / "b" / "env")
    proc = run_cove("install", "-p", str(ours), "-e", url)
    assert proc.returncode == 0, proc.stderr
    assert pip(theirs, "install", "-q", "-e", url).returncode == 0
    freeze = run_cove("freeze", "-p", str(ours), check=True).stdout
    assert freeze == pip(theirs, "freeze").stdout
    assert (
        freeze.startswith(f"-e git+{repo.as_uri()}@") and "#egg=git_proj&subdirectory=pkg" in freeze
    )
    assert sorted(p.name for p in (ours / "src").iterdir()) == sorted(
        p.name for p in (theirs / "src").iterdir()
    )
    clone = ours / "src" / "git-proj"
    branch = subprocess.run(["git", "-C", str(clone), "branch", "--show-current"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert branch == "next\n"  # a branch to work on, following origin's
    assert python(ours, VERSION) == "2.0"
    module = clone / "pkg" / "src" / "git_proj.py"
    module.write_text("VALUE = 'edited'\n")
    assert python(ours, "import git_proj; print(git_proj.VALUE)") == "edited"


def test_editable_git_reinstall_switches_a_clean_clone_and_spares_work(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo")
    env = make_env(tmp_path / "env")
    base = f"git+{repo.as_uri()}@{{}}#egg=git-proj&subdirectory=pkg"
    run_cove("install", "-q", "-p", str(env), "-e", base.format("v1.0"), check=True)
    assert python(env, VERSION) == "1.0"
    run_cove("install", "-q", "-p", str(env), "-e", base.format("next"), check=True)
    assert python(env, VERSION) == "2.0"
    clone = env / "src" / "git-proj"
    work = clone / "pkg" / "src" / "git_proj.py"
    work.write_text("VALUE = 'mine'\n")
    proc = run_cove("install", "-p", str(env), "-e", base.format("v1.0"))
    assert proc.returncode == 1 and "uncommitted changes" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert work.read_text() == "VALUE = 'mine'\n"


def test_a_failed_editable_git_install_leaves_no_clone(tmp_path: Path, index: Index) -> None:
    repo = _git_repo(tmp_path / "repo")
    pyproject = repo / "pkg" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("[]", '["no-such-build-dep"]'))
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@e.example", "-c", "user.name=t",
                    "commit", "-qam", "needs a missing build dependency"], check=True)  # fmt: skip
    env = make_env(tmp_path / "env")
    before = snapshot(env)
    url = f"git+{repo.as_uri()}#egg=git-proj&subdirectory=pkg"
    proc = run_cove("install", "-p", str(env), "-i", index.file_url, "-e", url)
    assert proc.returncode == 1 and "no-such-build-dep" in proc.stderr, proc.stderr
    assert snapshot(env) == before
    assert not (env / "src").exists()
    dry = run_cove("install", "-p", str(env), "--dry-run", "-e", url.replace("#", "@v1.0#"))
    assert dry.returncode == 0 and "+ git-proj==1.0" in dry.stderr, dry.stderr
    assert snapshot(env) == before and not (env / "src").exists()


def test_a_missing_repository_is_named_and_leaves_no_clone(tmp_path: Path) -> None:
    import shutil

    if shutil.which("git") is None:
        pytest.skip("needs git")
    env = make_env(tmp_path / "env")
    missing = (tmp_path / "no-such-repo").as_uri()
    proc = run_cove("install", "-p", str(env), "-e", f"git+{missing}#egg=gone")
    assert proc.returncode == 1
    assert "git clone failed" in proc.stderr and "not appear to be a git repository" in proc.stderr
    assert "Traceback" not in proc.stderr and not (env / "src").exists()
