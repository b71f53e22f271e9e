"""Activation scripts sourced in real shells: PATH, python, prompt, and an exact deactivate."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cove

pytestmark = pytest.mark.shell

HOSTILE = "we ird 'q' \"dq\" $HOME ;touch PWNED; `id` ünï"

POSIX = """
PS1='base> '
PYTHONHOME=/nonexistent-home; export PYTHONHOME
OLD_PATH="$PATH"
. "$ENV_DIR/bin/activate"
echo "VE=$(printenv VIRTUAL_ENV)"
echo "VEP=$(printenv VIRTUAL_ENV_PROMPT)"
echo "PY=$(command -v python)"
echo "PIP=$(command -v pip)"
echo "PREFIX=$(python -c 'import sys; print(sys.prefix)')"
echo "PS1=$PS1"
echo "HOME_SET=${PYTHONHOME+set}"
deactivate
[ "$PATH" = "$OLD_PATH" ] && echo PATH_RESTORED
echo "PS1AFTER=$PS1"
echo "HOMEAFTER=${PYTHONHOME-unset}"
echo "VEAFTER=${VIRTUAL_ENV-unset}"
type deactivate 2>/dev/null | grep -q function && echo DEACTIVATE=still || echo DEACTIVATE=gone
"""

FISH = """
set -gx PYTHONHOME /nonexistent-home
set OLD_PATH $PATH
function fish_prompt; echo -n 'base> '; end
source "$ENV_DIR/bin/activate.fish"
echo "VE="(printenv VIRTUAL_ENV)
echo "VEP="(printenv VIRTUAL_ENV_PROMPT)
echo "PY="(command -v python)
echo "PIP="(command -v pip)
echo "PREFIX="(python -c 'import sys; print(sys.prefix)')
echo "PS1="(fish_prompt)
if set -q PYTHONHOME; echo HOME_SET=set; else; echo HOME_SET=; end
deactivate
test "$PATH" = "$OLD_PATH"; and echo PATH_RESTORED
echo "PS1AFTER="(fish_prompt)
echo "HOMEAFTER=$PYTHONHOME"
if set -q VIRTUAL_ENV; echo VEAFTER=set; else; echo VEAFTER=unset; end
if functions -q deactivate; echo DEACTIVATE=still; else; echo DEACTIVATE=gone; end
"""

CSH = """
set prompt = 'base> '
setenv PYTHONHOME /nonexistent-home
set OLD_PATH = "$PATH:q"
source "$ENV_DIR:q/bin/activate.csh"
echo "VE=`printenv VIRTUAL_ENV`"
echo "VEP=`printenv VIRTUAL_ENV_PROMPT`"
echo "PY=`which python`"
echo "PIP=`which pip`"
echo "PREFIX=`python -c 'import sys; print(sys.prefix)'`"
echo "PS1=$prompt:q"
if ( $?PYTHONHOME ) then
    echo HOME_SET=set
else
    echo HOME_SET=
endif
deactivate
if ( "$PATH:q" == "$OLD_PATH:q" ) echo PATH_RESTORED
echo "PS1AFTER=$prompt:q"
echo "HOMEAFTER=$PYTHONHOME"
if ( $?VIRTUAL_ENV ) then
    echo VEAFTER=set
else
    echo VEAFTER=unset
endif
alias deactivate | grep -q . && echo DEACTIVATE=still || echo DEACTIVATE=gone
"""

SHELLS = {
    "bash": (["bash", "--norc", "--noprofile"], POSIX),
    "zsh": (["zsh", "-f"], POSIX),
    "ksh": (["ksh"], POSIX),
    "dash": (["dash"], POSIX),
    "fish": (["fish", "--no-config"], FISH),
    "tcsh": (["tcsh", "-f"], CSH),
}


def unquote_ksh(value: str) -> str:
    """ksh's `command -v` prints a path with spaces as '...' or $'...'."""
    if value.startswith("$'") and value.endswith("'"):
        return value[2:-1].replace("\\'", "'").replace("\\\\", "\\")
    if len(value) > 1 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


def run_shell(shell: str, script: str, env_dir: Path, cwd: Path) -> dict[str, str]:
    argv, _ = SHELLS[shell]
    if shutil.which(argv[0]) is None:
        pytest.skip(f"{shell} is not installed")
    script_file = cwd / f"script.{shell}"
    script_file.write_text(script, encoding="utf-8")
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "ENV_DIR": str(env_dir),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }
    proc = subprocess.run(
        [*argv, str(script_file)],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=60,
    )
    out: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = unquote_ksh(value) if key in ("PY", "PIP") else value
        else:
            out[line] = ""
    assert "PATH_RESTORED" in out or proc.returncode == 0, proc.stderr
    out["_stderr"] = proc.stderr
    return out


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shells")
    plain = root / "proj" / ".venv"
    hostile = root / HOSTILE / "env"
    hostile.parent.mkdir()
    for env, prompt in ((plain, None), (hostile, HOSTILE)):
        args = ["create", "--without-pip", str(env)]
        if prompt:
            args += ["--prompt", prompt]
        run_cove(*args, check=True)
        (env / "bin" / "pip").write_text("#!/bin/sh\necho fake pip\n")
        (env / "bin" / "pip").chmod(0o755)
    return {"plain": plain, "hostile": hostile, "root": root}


@pytest.mark.parametrize("shell", list(SHELLS))
def test_activate_and_deactivate(shell: str, envs: dict[str, Path], tmp_path: Path) -> None:
    env = envs["plain"]
    out = run_shell(shell, SHELLS[shell][1], env, tmp_path)
    assert out["VE"] == str(env), out
    assert out["VEP"] == ".venv"
    assert out["PY"] == str(env / "bin" / "python")
    assert out["PIP"] == str(env / "bin" / "pip")
    assert out["PREFIX"] == str(env)
    assert out["PS1"] == "(.venv) base> "
    assert out["HOME_SET"] == ""
    assert "PATH_RESTORED" in out, out
    assert out["PS1AFTER"] == "base> "
    assert out["HOMEAFTER"] == "/nonexistent-home"
    assert out["VEAFTER"] == "unset"
    assert out["DEACTIVATE"] == "gone"


@pytest.mark.parametrize("shell", list(SHELLS))
def test_hostile_path_and_prompt(shell: str, envs: dict[str, Path], tmp_path: Path) -> None:
    env = envs["hostile"]
    out = run_shell(shell, SHELLS[shell][1], env, tmp_path)
    assert out["VE"] == str(env), out
    assert out["VEP"] == HOSTILE
    assert out["PY"] == str(env / "bin" / "python")
    assert out["PREFIX"] == str(env)
    assert "PATH_RESTORED" in out, out
    assert out["DEACTIVATE"] == "gone"
    for where in (tmp_path, envs["root"], env.parent, Path.cwd()):
        assert not (where / "PWNED").exists()
    assert "uid=" not in out.get("PS1", "")


def test_bash_prompt_expands_to_hostile_prompt_literally(
    envs: dict[str, Path], tmp_path: Path
) -> None:
    script = POSIX.replace('echo "PS1=$PS1"', 'echo "PS1=${PS1@P}"')
    out = run_shell("bash", script, envs["hostile"], tmp_path)
    assert out["PS1"] == f"({HOSTILE}) base> "
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("shell", ["bash", "zsh", "dash", "fish", "tcsh"])
def test_disable_prompt(shell: str, envs: dict[str, Path], tmp_path: Path) -> None:
    script = SHELLS[shell][1]
    setter = {
        "fish": "set -gx VIRTUAL_ENV_DISABLE_PROMPT 1\n",
        "tcsh": "setenv VIRTUAL_ENV_DISABLE_PROMPT 1\n",
    }.get(shell, "VIRTUAL_ENV_DISABLE_PROMPT=1; export VIRTUAL_ENV_DISABLE_PROMPT\n")
    out = run_shell(shell, setter + script, envs["plain"], tmp_path)
    assert out["PS1"] == "base> "
    assert out["PS1AFTER"] == "base> "


@pytest.mark.parametrize("shell", ["bash", "zsh", "ksh", "dash"])
def test_unset_pythonhome_and_ps1_stay_unset(
    shell: str, envs: dict[str, Path], tmp_path: Path
) -> None:
    script = (
        POSIX.replace("PS1='base> '\n", "unset PS1\n")
        .replace("PYTHONHOME=/nonexistent-home; export PYTHONHOME\n", "unset PYTHONHOME\n")
        .replace('echo "PS1AFTER=$PS1"', 'echo "PS1AFTER=${PS1-unset}"')
    )
    out = run_shell(shell, script, envs["plain"], tmp_path)
    assert out["PREFIX"] == str(envs["plain"])
    assert out["HOMEAFTER"] == "unset"
    assert out["PS1AFTER"] == "unset"


@pytest.mark.parametrize("shell", ["bash", "zsh", "ksh", "dash", "fish"])
def test_reactivating_switches_environment(
    shell: str, envs: dict[str, Path], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    run_cove("create", "--without-pip", str(other), check=True)
    if shell == "fish":
        script = (
            'set OLD_PATH $PATH\nsource "$ENV_DIR/bin/activate.fish"\n'
            f"source '{other}/bin/activate.fish'\n"
            'echo "PY="(command -v python)\n'
            'echo "COUNT="(string join \\n $PATH | grep -c "$ENV_DIR")\n'
            'deactivate\ntest "$PATH" = "$OLD_PATH"; and echo PATH_RESTORED\n'
        )
    else:
        script = (
            'OLD_PATH="$PATH"\n. "$ENV_DIR/bin/activate"\n'
            f". '{other}/bin/activate'\n"
            'echo "PY=$(command -v python)"\n'
            'case "$PATH" in *"$ENV_DIR"*) echo COUNT=1;; *) echo COUNT=0;; esac\n'
            'deactivate\n[ "$PATH" = "$OLD_PATH" ] && echo PATH_RESTORED\n'
        )
    out = run_shell(shell, script, envs["plain"], tmp_path)
    assert out["PY"] == str(other / "bin" / "python")
    assert out["COUNT"] == "0"
    assert "PATH_RESTORED" in out


@pytest.mark.parametrize("shell", ["bash", "zsh", "ksh", "fish"])
def test_relocatable_survives_a_move(shell: str, tmp_path: Path) -> None:
    first = tmp_path / "first"
    run_cove("create", "--without-pip", "--relocatable", str(first), check=True)
    moved = tmp_path / "moved here"
    first.rename(moved)
    out = run_shell(shell, SHELLS[shell][1], moved, tmp_path)
    assert out["VE"] == str(moved), out
    assert out["PY"] == str(moved / "bin" / "python")
    assert out["PREFIX"] == str(moved)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "tcsh"])
def test_cove_activate_output_evaluates(shell: str, envs: dict[str, Path], tmp_path: Path) -> None:
    import sys

    cove = f"'{sys.executable}' -m cove activate --shell {shell}"
    script = {
        "fish": f'cd "$ENV_DIR/.."; {cove} | source; echo "VE="(printenv VIRTUAL_ENV)\n',
        "tcsh": f'cd "$ENV_DIR:q/.."; eval "`{cove}`"; echo "VE=`printenv VIRTUAL_ENV`"\n',
    }.get(shell, f'cd "$ENV_DIR/.."; eval "$({cove})"; echo "VE=$(printenv VIRTUAL_ENV)"\n')
    out = run_shell(shell, script, envs["plain"], tmp_path)
    assert out["VE"] == str(envs["plain"]), out
