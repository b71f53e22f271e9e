"""`cove run`: a command runs with the environment active (PATH, VIRTUAL_ENV, no PYTHONHOME)
without anything sourced; its status, its signals and its arguments pass through untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.index import Index

PY = pyenv_python("3.12")
pytestmark = [pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12"),
              pytest.mark.timeout(120)]  # fmt: skip
REPORT = (
    "import json, os, sys; print(json.dumps({'prefix': sys.prefix, 'argv': sys.argv[1:], "
    "'env': {k: os.environ.get(k) for k in ('VIRTUAL_ENV', 'VIRTUAL_ENV_PROMPT', 'PYTHONHOME', "
    "'PATH')}}))"
)


@pytest.fixture
def env(tmp_path: Path) -> Path:
    root = tmp_path / "env"
    run_cove("create", "-q", "--without-pip", "--prompt", "it's \\ mine", "-p", str(PY), str(root),
             check=True)  # fmt: skip
    return root


def report(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert proc.returncode == 0, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def test_the_environment_is_active(env: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    environ = {
        **os.environ,
        # Activation drops PYTHONHOME (here one cove itself can start with: its base prefix).
        "PYTHONHOME": sys.base_prefix,
        "VIRTUAL_ENV": str(other),
        "PATH": os.pathsep.join([str(other / "bin"), os.environ["PATH"]]),
    }
    data = report(run_cove("run", "-p", str(env), "python", "-c", REPORT, env=environ))
    assert data["prefix"] == str(env)
    variables = data["env"]
    assert isinstance(variables, dict)
    assert variables["VIRTUAL_ENV"] == str(env)
    assert variables["VIRTUAL_ENV_PROMPT"] == "it's \\ mine"
    assert variables["PYTHONHOME"] is None
    path = variables["PATH"].split(os.pathsep)
    assert path[0] == str(env / "bin")
    assert str(other / "bin") not in path  # the environment active before is left
    assert path[1:] == os.environ["PATH"].split(os.pathsep)


def test_environment_found_as_other_commands_find_it(env: Path, tmp_path: Path) -> None:
    work = tmp_path / "project" / "sub"
    work.mkdir(parents=True)
    (tmp_path / "project" / ".venv").symlink_to(env)
    data = report(run_cove("run", "python", "-c", REPORT, cwd=work))
    assert data["prefix"] == str(tmp_path / "project" / ".venv")
    data = report(run_cove("run", "python", "-c", REPORT, cwd=tmp_path,
                           env={**os.environ, "VIRTUAL_ENV": str(env)}))  # fmt: skip
    assert data["prefix"] == str(env)
    lost = run_cove("run", "python", "-c", "pass", cwd=tmp_path)
    assert lost.returncode == 1 and "no virtual environment found" in lost.stderr
    assert "hint:" in lost.stderr and "Traceback" not in lost.stderr


def test_arguments_pass_verbatim(env: Path) -> None:
    words = ["a b", "'single'", '"double"', "back\\slash", "--", "-p", "--python", "", "*", "$HOME",
             "ünï", "new\nline", "-c"]  # fmt: skip
    data = report(run_cove("run", "-p", str(env), "--", "python", "-c", REPORT, *words))
    assert data["argv"] == words
    data = report(run_cove("run", f"--python={env}", "python", "-c", REPORT, "--", "x"))
    assert data["argv"] == ["--", "x"]


def test_exit_status_and_signals_pass_through(env: Path) -> None:
    assert run_cove("run", "-p", str(env), "python", "-c", "raise SystemExit(7)").returncode == 7
    kill = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    assert run_cove("run", "-p", str(env), "python", "-c", kill).returncode == -15
    shell = subprocess.run(
        ["bash", "-c", '"$0" -m cove run -p "$1" python -c "$2"; echo "status=$?"',
         sys.executable, str(env), kill],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shell.stdout.strip() == "status=143"  # 128 + SIGTERM, as a shell reports it


def test_signals_python_ignores_are_not_passed_on(env: Path) -> None:
    """Python ignores SIGPIPE: a command cove became would inherit that, and `yes | head` in it
    would end with a broken pipe error instead of quietly."""
    proc = run_cove("run", "-p", str(env), "sh", "-c", "yes | head -n 1")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "y\n", "")


def test_console_scripts(env: Path, index: Index) -> None:
    index.add(
        "Greeter", "1.0", entry_points="[console_scripts]\ngreet = greeter:main\n",
        files={"greeter/__init__.py": b"import sys\ndef main():\n"
               b"    print('hello', sys.argv[1:], sys.prefix)\n    return 3\n"},
    )  # fmt: skip
    run_cove("install", "-q", "-p", str(env), "-i", index.file_url, "greeter", check=True)
    proc = run_cove("run", "-p", str(env), "greet", "a b")
    assert proc.returncode == 3
    assert proc.stdout == f"hello ['a b'] {env}\n"


def test_a_missing_command(env: Path, tmp_path: Path) -> None:
    proc = run_cove("run", "-p", str(env), "no-such-command", "x")
    assert proc.returncode == 127
    assert f"error: command 'no-such-command' not found in {env / 'bin'} or on PATH" in proc.stderr
    assert f"hint: install the package that provides it (cove install -p {env} NAME)" in proc.stderr
    assert "Traceback" not in proc.stderr
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    proc = run_cove("run", "-p", str(env), str(script))
    assert proc.returncode == 126 and "is not an executable file" in proc.stderr
    assert run_cove("run", "-p", str(env), str(tmp_path / "gone")).returncode == 127


def test_usage_errors(env: Path) -> None:
    for argv in (["run"], ["run", "-p", str(env)], ["run", "-x", "python"], ["run", "-p"]):
        proc = run_cove(*argv)
        assert proc.returncode == 2, argv
        assert "usage: cove run" in proc.stderr
    assert "CMD" in run_cove("run", "--help").stdout


def test_cove_run_imports_next_to_nothing(tmp_path: Path) -> None:
    """What cove imports before it becomes the command (Python's own -X importtime list, read
    from cove's stderr before the exec): none of the modules that cost milliseconds at start.
    (A prompt venv wrote as a Python literal is read with ast, which imports re: not here.)"""
    env = tmp_path / "plain"
    run_cove("create", "-q", "--without-pip", "-p", str(PY), str(env), check=True)

    def imported(*args: str) -> set[str]:
        proc = subprocess.run([sys.executable, "-X", "importtime", *args],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return {line.rpartition("|")[2].strip() for line in proc.stderr.splitlines()}

    # What the interpreter's own start imports (site, .pth files, sitecustomize) is not cove's.
    ours = imported("-m", "cove", "run", "-p", str(env), "true") - imported("-c", "pass")
    assert {"cove.cli.run", "cove.venv.discover", "cove.venv.active"} <= ours
    heavy = {"collections", "enum", "signal", "typing", "pathlib", "argparse", "re", "subprocess"}
    assert ours & heavy == set(), sorted(ours)
