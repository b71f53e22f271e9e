"""Rendering activation scripts: per-shell quoting, Windows texts, relocatable mode."""

from __future__ import annotations

import subprocess
from pathlib import Path, PureWindowsPath

import pytest

from cove.venv.activation import (
    csh_quote,
    fish_quote,
    nu_quote,
    ps_quote,
    render_activation,
    sh_quote,
)
from cove.venv.layout import Layout

POSIX = Layout.for_interpreter(
    os_name="posix", sys_platform="linux", implementation="cpython", version=(3, 12, 1),
    is_64bit=True,
)
WINDOWS = Layout.for_interpreter(
    os_name="nt", sys_platform="win32", implementation="cpython", version=(3, 12, 1),
    is_64bit=True,
)
NASTY = "a b'c\"d$e;f`g`h\\i!j%k ü"


def test_posix_set() -> None:
    scripts = render_activation(POSIX, Path("/srv/env"), "env")
    assert set(scripts) == {"activate", "activate.fish", "activate.csh", "activate.nu",
                            "Activate.ps1", "activate_this.py"}
    assert b"VIRTUAL_ENV='/srv/env'" in scripts["activate"]
    assert b'PATH="$VIRTUAL_ENV/bin:$PATH"' in scripts["activate"]
    assert not any(b"__" in s.replace(b"__file__", b"").replace(b"__name__", b"")
                   for s in scripts.values() if b"__BIN_NAME__" in s)


def test_windows_set_uses_scripts_and_crlf() -> None:
    env = PureWindowsPath("C:/Users/me/proj/.venv")
    scripts = render_activation(WINDOWS, Path(str(env)), "proj 100%")
    assert {"activate.bat", "deactivate.bat", "Activate.ps1", "activate_this.py"} <= set(scripts)
    bat = scripts["activate.bat"]
    assert b"\r\n" in bat and b"\n" not in bat.replace(b"\r\n", b"")
    assert b"\\Scripts;%PATH%" in bat
    assert b"proj 100%%" in bat
    assert b"'Scripts'" in scripts["Activate.ps1"]
    assert b"Scripts" in scripts["activate_this.py"]


@pytest.mark.parametrize(
    "quote, argv",
    [
        (sh_quote, ["sh", "-c"]),
        (sh_quote, ["bash", "-c"]),
        (fish_quote, ["fish", "-c"]),
    ],
)
def test_quoting_round_trips_in_the_real_shell(quote: object, argv: list[str]) -> None:
    import shutil

    if shutil.which(argv[0]) is None:
        pytest.skip(f"{argv[0]} missing")
    word = quote(NASTY)  # type: ignore[operator]
    out = subprocess.run([*argv, f"printf '%s' {word}"], capture_output=True, text=True)
    assert out.stdout == NASTY


def test_other_quotes() -> None:
    assert ps_quote("it's") == "'it''s'"
    assert nu_quote("x'#y") == "r##'x'#y'##"
    assert "\\!" in csh_quote("a!b")


def test_relocatable_computes_the_path() -> None:
    scripts = render_activation(POSIX, Path("/srv/env"), "env", relocatable=True)
    assert b"BASH_SOURCE" in scripts["activate"]
    assert b"status filename" in scripts["activate.fish"]
