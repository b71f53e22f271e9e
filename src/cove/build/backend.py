"""Run a project's build backend (PEP 517, PEP 660 for editables) with pyproject-hooks, in an
environment cove creates and fills with the project's build requirements."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cove.errors import CoveError

if TYPE_CHECKING:
    from pyproject_hooks import BuildBackendHookCaller, SubprocessRunner

# pip's fallback for projects with no [build-system] table (setup.py only).
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIRES = ("setuptools>=40.8.0",)


class BuildError(CoveError):
    """A build backend failed; the message carries the end of its output."""


@dataclass(frozen=True, slots=True)
class BuildSystem:
    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...]


def read_build_system(source: Path) -> BuildSystem:
    """The [build-system] table of ``source``/pyproject.toml, or pip's setuptools fallback."""
    import tomllib

    pyproject = source / "pyproject.toml"
    data: dict[str, Any] = {}
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BuildError(f"{pyproject} is not valid TOML: {exc}", hint="fix the file") from None
    table = data.get("build-system")
    if not isinstance(table, dict):
        if not (source / "setup.py").is_file() and not pyproject.is_file():
            raise BuildError(
                f"{source} has neither pyproject.toml nor setup.py",
                hint="give the directory of a Python project",
            )
        return BuildSystem(LEGACY_REQUIRES, LEGACY_BACKEND, ())
    requires = table.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise BuildError(
            f"{pyproject}: build-system.requires must be a list of strings",
            hint="fix the [build-system] table",
        )
    backend = table.get("build-backend") or LEGACY_BACKEND
    return BuildSystem(tuple(requires), str(backend), tuple(table.get("backend-path", [])))


Installer = Callable[[Path, Sequence[str]], None]  # (build env root, requirements)


def build_wheel(
    source: Path,
    out_dir: Path,
    *,
    python: str,
    make_env: Callable[[Path], Path],
    install: Installer,
    editable: bool = False,
    isolation: bool = True,
    config_settings: Mapping[str, str | list[str]] | None = None,
    label: str = "",
    metadata_only: bool = False,
) -> Path:
    """Build ``source`` into a wheel in ``out_dir`` and return its path. ``make_env`` creates an
    empty environment at a path and returns its python; ``install`` fills it. With
    ``metadata_only`` only the .dist-info directory is made (``prepare_metadata_for_build_wheel``,
    which pyproject-hooks falls back to a full build for when the backend lacks it)."""
    system = read_build_system(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    label = label or source.name
    log = Path(tempfile.mkstemp(prefix="cove-build-", suffix=".log")[1])
    with tempfile.TemporaryDirectory(prefix="cove-build-env-") as scratch:
        env_python = python
        add: Callable[[Sequence[str]], None] | None = None  # no isolation: nothing installed
        if isolation:
            env_python, add = _isolated_environment(
                Path(scratch) / "env", system, make_env, install, label
            )
        name = _run_hooks(
            _hook_caller(source, system, env_python, log, label),
            out_dir,
            dict(config_settings or {}),
            editable=editable,
            metadata_only=metadata_only,
            install=add,
            label=label,
            backend=system.backend,
        )
    log.unlink(missing_ok=True)
    return out_dir / name


def _isolated_environment(
    env: Path,
    system: BuildSystem,
    make_env: Callable[[Path], Path],
    install: Installer,
    label: str,
) -> tuple[str, Callable[[Sequence[str]], None]]:
    """A new environment at ``env`` with the build-system requirements installed: its python,
    and how to install the backend's further requirements into it."""

    def add(requirements: Sequence[str]) -> None:
        """Fill the build environment; a failure names the project being built."""
        try:
            install(env, requirements)
        except BuildError:
            raise
        except CoveError as exc:
            raise BuildError(
                f"cannot install the build requirements of {label} "
                f"({', '.join(requirements)}): {exc.message}",
                hint=exc.hint,
            ) from None

    python = str(make_env(env))
    if system.requires:
        add(system.requires)
    return python, add


def _hook_caller(
    source: Path, system: BuildSystem, python: str, log: Path, label: str
) -> BuildBackendHookCaller:
    """pyproject-hooks' caller for ``system``'s backend, run by ``python`` with its output in
    ``log``."""
    from pyproject_hooks import BuildBackendHookCaller

    return BuildBackendHookCaller(
        str(source),
        system.backend,
        backend_path=list(system.backend_path) or None,
        runner=_logging_runner(log, label, system.backend),
        python_executable=python,
    )


def _logging_runner(log: Path, label: str, backend: str) -> SubprocessRunner:
    """How pyproject-hooks runs the backend: output into ``log``, the environment without
    PYTHONHOME and VIRTUAL_ENV, and a failure reported with the log's last lines."""

    def runner(
        cmd: Sequence[str],
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        env = dict(os.environ)
        env.pop("PYTHONHOME", None)
        env.pop("VIRTUAL_ENV", None)
        if extra_environ:
            env.update(extra_environ)
        with open(log, "ab") as out:
            proc = subprocess.run(list(cmd), cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
            raise BuildError(
                f"building {label} failed (the backend {backend} exited with "
                f"{proc.returncode}):\n    " + "\n    ".join(tail),
                hint=f"the full log is in {log}; fix the project or pin a version with a wheel",
            )

    return runner


def _run_hooks(
    hooks: BuildBackendHookCaller,
    out_dir: Path,
    settings: dict[str, str | list[str]],
    *,
    editable: bool,
    metadata_only: bool,
    install: Callable[[Sequence[str]], None] | None,
    label: str,
    backend: str,
) -> str:
    """PEP 517/660: the backend's extra requirements (installed when isolated), then the one
    hook that makes what was asked; the file or directory name it made in ``out_dir``."""
    from pyproject_hooks import HookMissing

    try:
        if editable:
            extra = hooks.get_requires_for_build_editable(settings)
        else:
            extra = hooks.get_requires_for_build_wheel(settings)
        if extra and install is not None:
            install(extra)
        if metadata_only:
            return str(hooks.prepare_metadata_for_build_wheel(str(out_dir), settings))
        if editable:
            return str(hooks.build_editable(str(out_dir), settings))
        return str(hooks.build_wheel(str(out_dir), settings))
    except HookMissing:
        raise BuildError(
            f"{label}: the backend {backend} cannot build editable installs "
            "(no build_editable hook, PEP 660)",
            hint="install it without -e, or upgrade its build backend",
        ) from None
