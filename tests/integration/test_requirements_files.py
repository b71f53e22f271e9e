"""Requirements as people write them, through the CLI against a real index server on 127.0.0.1:
markers in files and on the command line (evaluated for the target interpreter, not the one
running cove), real-world file syntax, per-requirement build settings, and errors."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.integration.test_sources import python, snapshot
from tests.support.dists import file_sha256, source_project
from tests.support.index import Index, IndexServer

PY = pyenv_python("3.12")
PY39 = pyenv_python("3.9")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
WIN = 'sys_platform == "win32"'
IGNORING_WIN = f"Ignoring winonly: markers '{WIN}' don't match your environment"


def make_env(where: Path, interpreter: Path | None = PY) -> Path:
    run_cove("create", "-q", "-p", str(interpreter), str(where), check=True)
    return where


def freeze(env: Path) -> list[str]:
    return run_cove("freeze", "-p", str(env), check=True).stdout.splitlines()


def test_markers_in_a_requirements_file_are_kept_and_evaluated(
    tmp_path: Path, index: Index
) -> None:
    """The marker's quotes survive (the line is not shell-split) and a marker that does not
    hold drops its requirement with pip's message; the rest installs."""
    index.add("alpha", "1.0")
    dynamic = source_project(tmp_path / "dyn", "dyn-proj")  # named only by a build: not built
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(
        f'winonly ; {WIN}\nalpha ; sys_platform != "win32"  # everywhere else\n./dyn ; {WIN}\n'
    )
    env = make_env(tmp_path / "env")
    with IndexServer(index) as server:
        proc = run_cove("install", "-p", str(env), "-i", server.url, "-r", str(reqs), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"warning: {IGNORING_WIN}" in proc.stderr
    assert f"Ignoring {dynamic}: markers '{WIN}'" in proc.stderr
    assert freeze(env) == ["alpha==1.0"]


def test_markers_in_build_requirements_are_evaluated(tmp_path: Path, index: Index) -> None:
    """[build-system] requires may carry markers (PEP 518): those that do not hold are skipped,
    quietly, as pip skips them in its build environments."""
    index.add("helper", "1.0")
    proj = source_project(tmp_path / "proj", "uses-markers")
    toml = proj / "pyproject.toml"
    toml.write_text(
        toml.read_text().replace("requires = []", f"requires = ['helper', 'winhelper; {WIN}']")
    )
    env = make_env(tmp_path / "env")
    proc = run_cove("install", "-p", str(env), "-i", index.file_url, str(proj))
    assert proc.returncode == 0, proc.stderr
    assert "winhelper" not in proc.stderr
    assert freeze(env) == [f"uses-markers @ {proj.as_uri()}"]


def test_markers_on_arguments_are_evaluated_and_the_fast_path_says_so(
    tmp_path: Path, index: Index
) -> None:
    index.add("alpha", "1.0")
    env = make_env(tmp_path / "env")
    with IndexServer(index) as server:
        proc = run_cove("install", "-p", str(env), "-i", server.url, f"winonly; {WIN}", "alpha")
        assert proc.returncode == 0, proc.stderr
        assert IGNORING_WIN in proc.stderr and " + alpha==1.0" in proc.stderr
        again = run_cove("install", "-p", str(env), "-i", server.url, f"winonly; {WIN}", "alpha")
        upgrade = run_cove("install", "-U", "-p", str(env), "-i", server.url, f"winonly; {WIN}",
                           "alpha")  # fmt: skip
    assert again.returncode == 0 and "Nothing to change" in again.stderr
    assert IGNORING_WIN in again.stderr
    assert upgrade.returncode == 0, upgrade.stderr
    assert freeze(env) == ["alpha==1.0"]


@pytest.mark.skipif(PY39 is None, reason="needs pyenv's Python 3.9")
def test_markers_are_evaluated_for_the_target_interpreter(tmp_path: Path, index: Index) -> None:
    """cove runs on 3.12; the environment is 3.9: requirements and constraints follow 3.9."""
    index.add("old-only", "1.0")
    index.add("new-only", "1.0")
    index.add("alpha", "1.0")
    index.add("alpha", "2.0")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        'alpha<2 ; python_version < "3.10"\nalpha<1 ; python_version >= "3.10"\n'
    )
    env = make_env(tmp_path / "env", PY39)
    with IndexServer(index) as server:
        proc = run_cove(
            "install", "-p", str(env), "-i", server.url, "-c", str(constraints), "--report", "-",
            'old-only ; python_version < "3.10"', 'new-only ; python_version >= "3.10"', "alpha",
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (
        "Ignoring new-only: markers 'python_version >= \"3.10\"' don't match your environment"
        in proc.stderr
    )
    assert "Ignoring old-only" not in proc.stderr
    assert freeze(env) == ["alpha==1.0", "old-only==1.0"]
    report = json.loads(proc.stdout)
    assert sorted(i["metadata"]["name"] for i in report["install"]) == ["alpha", "old-only"]
    assert report["environment"]["python_version"] == "3.9"


def test_real_world_requirements_file_syntax(tmp_path: Path, index: Index) -> None:
    """pip-compile's hashed continuation lines with comments, ${VAR}, name[extra] @ url ; marker,
    a wheel URL with a fragment, and what pip ignores (warned, not fatal)."""
    alpha = index.add("alpha", "1.0")
    index.add("beta", "1.0", extras={"fast": ["gamma"]})
    index.add("gamma", "1.0")
    delta = index.add("delta", "1.0")
    env = make_env(tmp_path / "env")
    hashed, reqs = tmp_path / "hashed.txt", tmp_path / "requirements.txt"
    hashed.write_text(
        "# generated by pip-compile\n"
        f"alpha==1.0 \\\n    --hash=sha256:{'0' * 64} \\\n"
        f"    --hash=sha256:{file_sha256(alpha).upper()}\n    # via -r requirements.in\n"
    )
    with IndexServer(index) as server:
        files = server.url.replace("/simple/", "/files/")
        reqs.write_text(
            'beta[fast] @ ${FILES}beta-1.0-py3-none-any.whl ; python_version >= "3"\n'
            f"{files}{delta.name}#sha256={file_sha256(delta)}  # a URL keeps its #\n"
            f"winonly @ {files}winonly-1.0-py3-none-any.whl ; {WIN}\n"
            "gamma --pre\n"
        )
        first = run_cove("install", "-p", str(env), "-i", server.url, "-r", str(hashed))
        assert first.returncode == 0, first.stderr
        environ = {**os.environ, "FILES": files}
        proc = run_cove("install", "-p", str(env), "-i", server.url, "-r", str(reqs), env=environ)
        assert proc.returncode == 0, proc.stderr
        assert [line.split("#")[0] for line in freeze(env)] == [
            "alpha==1.0", f"beta @ {files}beta-1.0-py3-none-any.whl",
            f"delta @ {files}{delta.name}", "gamma==1.0",
        ]  # fmt: skip
        assert "requirements.txt:4: --pre has no effect on a requirement line" in proc.stderr
        assert IGNORING_WIN in proc.stderr
        # the hashes on the continuation lines are checked: a wrong one refuses the install
        hashed.write_text(f"alpha==1.0 \\\n    --hash=sha256:{'0' * 64}  # stale\n")
        other = make_env(tmp_path / "other")
        bad = run_cove("install", "-p", str(other), "-i", server.url, "-r", str(hashed))
    assert bad.returncode == 1 and "--hash" in bad.stderr and "Traceback" not in bad.stderr
    assert freeze(other) == []


def _recording_project(where: Path, name: str, static: bool, version: str = "0.3") -> Path:
    """A project whose backend writes the config settings it was given into the wheel."""
    proj = source_project(where, name, version)
    backend = proj / "_backend.py"
    backend.write_text(
        backend.read_text().replace(
            "    members = _meta()\n",
            "    members = _meta()\n"
            "    seen = 'SETTINGS = %r\\n' % (dict(config_settings or {}),)\n"
            "    members[DIST + '_seen.py'] = seen\n",
        )
    )
    if static:
        with (proj / "pyproject.toml").open("a") as f:
            f.write(f'\n[project]\nname = "{name}"\nversion = "{version}"\n')
    return proj


def _sdist_of(proj: Path, name: str, version: str, out: Path) -> Path:
    """The project as an sdist (its backend inside), for an index to serve."""
    root = f"{name.replace('-', '_')}-{version}"
    sdist = out / f"{root}.tar.gz"
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist, "w:gz") as tf:
        pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        info = tarfile.TarInfo(f"{root}/PKG-INFO")
        info.size = len(pkg_info)
        tf.addfile(info, io.BytesIO(pkg_info))
        for path in sorted(proj.rglob("*")):
            if path.is_file():
                tf.add(path, f"{root}/{path.relative_to(proj).as_posix()}")
    return sdist


def test_per_requirement_config_settings_reach_that_build(tmp_path: Path, index: Index) -> None:
    """-C on a requirements-file line goes to the build of that project (a directory with a
    static name, one only a build can name, an sdist from the index), over the command line's
    -C key by key; other builds get the command line's only. Wheels built with other settings
    are not taken from the cache."""
    named = _recording_project(tmp_path / "named", "named-proj", static=True)
    dynamic = _recording_project(tmp_path / "dynamic", "dynamic-proj", static=False)
    plain = _recording_project(tmp_path / "plain", "plain-proj", static=True)
    # The sdist's backend builds the version its name says (pip refuses an inconsistent one too).
    sd = _recording_project(tmp_path / "sd", "sd-proj", static=False, version="1.0")
    sdist = _sdist_of(sd, "sd-proj", "1.0", tmp_path / "dist")
    index.add_file(sdist)
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(
        f"{named} -C mode=fast --config-settings flag=1 -C flag=2\n"
        f"-e {dynamic} -C editable_mode=strict\n"
        f"sd-proj \\\n    --config-settings=mode=sdist\n"
        f"{plain}\n"
    )
    env = make_env(tmp_path / "env")
    with IndexServer(index) as server:
        proc = run_cove("install", "-p", str(env), "-i", server.url, "-r", str(reqs),
                        "-C", "mode=slow", "-C", "global=yes")  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        seen = {
            module: python(env, f"import {module}_seen as m; print(sorted(m.SETTINGS.items()))")
            for module in ("named_proj", "dynamic_proj", "sd_proj", "plain_proj")
        }
        assert seen == {
            "named_proj": "[('flag', ['1', '2']), ('global', 'yes'), ('mode', 'fast')]",
            "dynamic_proj": "[('editable_mode', 'strict'), ('global', 'yes'), ('mode', 'slow')]",
            "sd_proj": "[('global', 'yes'), ('mode', 'sdist')]",
            "plain_proj": "[('global', 'yes'), ('mode', 'slow')]",
        }
        # The sdist's wheel is cached per settings: other settings build it again.
        reqs.write_text("sd-proj -C mode=other\n")
        second = make_env(tmp_path / "second")
        run_cove("install", "-q", "-p", str(second), "-i", server.url, "-r", str(reqs), check=True)
    got = python(second, "import sd_proj_seen as m; print(sorted(m.SETTINGS.items()))")
    assert got == "[('mode', 'other')]"


def test_a_bad_line_names_the_file_and_line_and_changes_nothing(
    tmp_path: Path, index: Index
) -> None:
    index.add("alpha", "1.0")
    env = make_env(tmp_path / "env")
    before = snapshot(env)
    nested = tmp_path / "sub" / "more.txt"
    nested.parent.mkdir()
    nested.write_text("alpha\nbeta --hash=md5:abc\n")
    reqs = tmp_path / "requirements.txt"
    with IndexServer(index) as server:
        for text, message in [
            ("alpha\n-r sub/more.txt\n", f"{nested}:2: bad --hash 'md5:abc'"),
            ("alpha\n--no-deps\n", "requirements.txt:2: no such option: --no-deps"),
            ('alpha ; python_version <> "3"\n', "requirements.txt:1: invalid marker"),
            ("alpha==1.0#pinned\n", "requirements.txt:1: invalid requirement 'alpha==1.0#pinned'"),
            ("-e ./nowhere\n", "requirements.txt:1: './nowhere' is not a valid editable"),
        ]:
            reqs.write_text(text)
            proc = run_cove("install", "-p", str(env), "-i", server.url, "-r", str(reqs))
            assert proc.returncode == 1, proc.stderr
            assert message in proc.stderr and "\nhint: " in proc.stderr, proc.stderr
            assert "Traceback" not in proc.stderr
    assert snapshot(env) == before
    missing = run_cove("install", "-p", str(env), "-r", str(reqs.with_name("none.txt")))
    assert missing.returncode == 1 and "cannot read requirements file" in missing.stderr
    remote = run_cove("install", "-p", str(env), "-r", "https://h.example/requirements.txt")
    assert remote.returncode == 1 and "from disk only" in remote.stderr
