"""What an active environment is to a process, without sourcing anything: the variables the
activation scripts set (PATH with the environment's scripts first, VIRTUAL_ENV,
VIRTUAL_ENV_PROMPT, no PYTHONHOME), and which file a shell would run for a command name."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (as cli/main.py)
if TYPE_CHECKING:  # collections.abc costs cove run 4 ms: it imports collections
    from collections.abc import Mapping


def environment_prompt(cfg: Mapping[str, str], root: str | os.PathLike[str]) -> str:
    """The prompt pyvenv.cfg names, else the directory's name. venv writes it as a Python
    string literal (its repr), so escapes in it are undone."""
    value = cfg.get("prompt", "").strip()
    if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
        literal = _string_literal(value) if "\\" in value else None
        value = value[1:-1] if literal is None else literal
    return value or os.path.basename(root)


def _string_literal(text: str) -> str | None:
    import ast

    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def activated_environ(
    root: str | os.PathLike[str], bin_dir: str, prompt: str, base: Mapping[str, str]
) -> dict[str, str]:
    """``base`` as activating ``root`` leaves it. Another environment that was active is left
    first, as ``deactivate`` would: its scripts directory is taken off PATH."""
    out = dict(base)
    out.pop("PYTHONHOME", None)
    scripts = os.path.join(root, bin_dir)
    leaving = {scripts}
    previous = base.get("VIRTUAL_ENV")
    if previous:
        leaving.add(os.path.join(previous, bin_dir))
    rest = [p for p in base.get("PATH", "").split(os.pathsep) if p not in leaving]
    out["PATH"] = os.pathsep.join([scripts, *rest])
    out["VIRTUAL_ENV"] = os.fspath(root)
    out["VIRTUAL_ENV_PROMPT"] = prompt
    return out


def which(command: str, path: str) -> str | None:
    """The file a shell runs for ``command`` (what ``command -v`` prints): a name holding a
    slash as it is, else the first executable file of that name in ``path``'s directories (an
    empty entry is the working directory). On Windows the PATHEXT extensions are tried too."""
    separators = [os.sep] + ([os.altsep] if os.altsep else [])
    if any(sep in command for sep in separators):
        return command if _runnable(command) else None
    suffixes = [""]
    if os.name == "nt":
        suffixes += os.environ.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").lower().split(";")
    for directory in path.split(os.pathsep):
        base = os.path.join(directory or ".", command)
        for suffix in suffixes:
            if _runnable(base + suffix):
                return base + suffix
    return None


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)
