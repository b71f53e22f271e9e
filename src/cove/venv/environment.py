"""The environment a command acts on (found by cove.venv.discover) and what its interpreter says
about it: layout, site directories, install scheme; or an interpreter itself (--system)."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import os
from pathlib import Path
from typing import NamedTuple

from cove.errors import VenvError
from cove.venv.scheme import Scheme
from cove.python.interpreter import Interpreter
from cove.venv.discover import read_pyvenv_cfg
from cove.venv.layout import Layout, layout_for


class Environment(NamedTuple):
    """An existing environment and what its interpreter says about it (probe, cached)."""

    root: Path
    interpreter: Interpreter
    layout: Layout
    system_site_packages: bool
    # The interpreter new scripts name, when it is not this root's: an environment being built
    # in a staging directory gets the path it will have once renamed into place.
    shebang: str | None = None
    # --system: the interpreter itself, not a venv; paths come from its sysconfig scheme.
    system: bool = False
    # What opening it repaired after an interrupted `cove create`, for the CLI to say.
    recovered: tuple[str, ...] = ()

    @property
    def python(self) -> Path:
        if self.system:
            return Path(self.interpreter.executable)
        return Path(self.layout.python(self.root))

    @property
    def site_packages(self) -> Path:
        if self.system:
            return Path(self.interpreter.install_paths["purelib"])
        return self.root / self.layout.site_packages

    @property
    def bin_dir(self) -> Path:
        if self.system:
            return Path(self.interpreter.install_paths["scripts"])
        return self.root / self.layout.bin_dir

    def script_python(self) -> str:
        """The interpreter path new scripts get in their shebang: the one the environment's pip
        launcher names (what ``pip install`` itself writes), else ``bin/python``."""
        if self.shebang is not None:
            return self.shebang
        if self.system:
            return self.interpreter.executable  # pip names sys.executable
        try:
            with open(self.bin_dir / "pip", "rb") as f:
                first = f.readline(4096).decode("utf-8", "replace")
        except OSError:
            return str(self.python)
        if first.startswith("#!"):
            named = first[2:].strip()
            if os.path.dirname(named) == str(self.bin_dir) and os.path.exists(named):
                return named
        return str(self.python)

    def site_dirs(self) -> list[Path]:
        """Where installed distributions live, as ``sys.path`` orders them: the user
        site-packages first for an interpreter itself; a venv's site-packages, then (when it
        includes the system's) the user site-packages and the base interpreter's."""
        dirs = [self.site_packages]
        user = self.user_site()
        if self.system:
            platlib = Path(self.interpreter.install_paths.get("platlib", dirs[0]))
            dirs = dirs if platlib == dirs[0] else [*dirs, platlib]
            return [user, *dirs] if user is not None and user not in dirs else dirs
        if self.interpreter.scheme.get("platlib") not in (None, self.layout.site_packages):
            dirs.append(self.root / self.interpreter.scheme["platlib"])
        if self.system_site_packages:
            if user is not None:
                dirs.append(user)
            base = Path(self.interpreter.base_prefix)
            for key in ("purelib", "platlib"):
                rel = self.interpreter.scheme.get(key)
                if rel and base / rel not in dirs:
                    dirs.append(base / rel)
        return dirs

    def user_site(self) -> Path | None:
        """The user site-packages that site.py would put on ``sys.path`` (it exists, and
        PYTHONNOUSERSITE is unset); PYTHONUSERBASE moves it, as for the interpreter. As in
        site.check_enableusersite, a process whose effective ids are not its real ones (which
        the interpreter would inherit from cove) gets none."""
        it = self.interpreter
        if os.environ.get("PYTHONNOUSERSITE") or not it.user_site:
            return None
        if hasattr(os, "geteuid") and (os.geteuid(), os.getegid()) != (os.getuid(), os.getgid()):
            return None
        base = os.environ.get("PYTHONUSERBASE") or it.user_base
        path = Path(base, it.user_site) if base else None
        return path if path is not None and path.is_dir() else None

    def scheme(self, dist_name: str) -> Scheme:
        """Where each part of a wheel for ``dist_name`` goes in this environment (pip's scheme)."""
        if self.system:
            paths = self.interpreter.install_paths
            return Scheme(
                purelib=Path(paths["purelib"]),
                platlib=Path(paths.get("platlib", paths["purelib"])),
                headers=Path(paths["include"]) / dist_name,
                scripts=Path(paths["scripts"]),
                data=Path(paths["data"]),
            )
        return Scheme.for_venv(
            self.root,
            site_packages=self.layout.site_packages,
            bin_dir=self.layout.bin_dir,
            python_short=self.interpreter.short_version,
            dist_name=dist_name,
        )


def open_environment(root: Path, cache_dir: Path) -> Environment:
    """Describe the environment at ``root``; its interpreter is probed once and then cached.
    What a killed ``cove create`` left beside it is put right first."""
    from cove.python.probe import probe
    from cove.venv.swap import recover

    recovered = tuple(recover(root))
    cfg = read_pyvenv_cfg(root)
    for name in ("bin/python", "bin/python3", "Scripts/python.exe"):
        if (root / name).exists():
            python = root / name
            break
    else:
        raise VenvError(
            f"the environment {root} has no interpreter (bin/python is missing or broken)",
            hint="the Python it was made with may be gone; recreate it: "
            f"cove create --clear {root}",
        )
    interpreter = probe(python, cache_dir)
    layout = layout_for(interpreter)
    return Environment(
        root=root,
        interpreter=interpreter,
        layout=layout,
        system_site_packages=cfg.get("include-system-site-packages", "false").lower() == "true",
        recovered=recovered,
    )


def externally_managed(interpreter: Interpreter) -> str | None:
    """PEP 668: the message of the interpreter's EXTERNALLY-MANAGED file, if it has one."""
    marker = Path(interpreter.stdlib) / "EXTERNALLY-MANAGED"
    if not marker.is_file():
        return None
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(marker, encoding="utf-8")
        message = parser.get("externally-managed", "Error", fallback="")
    except (configparser.Error, UnicodeDecodeError):
        message = ""
    return message.strip() or "this Python is managed by the operating system"


def open_system(request: str | None, cache_dir: Path, break_system_packages: bool) -> Environment:
    """--system: the interpreter itself. A venv is used as usual; an externally managed one
    (PEP 668) is refused unless --break-system-packages."""
    import shutil

    from cove.python.discovery import find_interpreter
    from cove.python.probe import probe

    if request is None:
        found = shutil.which("python3") or shutil.which("python")
        if found is None:
            raise VenvError("no python3 on PATH", hint="name one with --system -p PATH")
        interpreter = probe(Path(found), cache_dir)
    else:
        interpreter = find_interpreter(request, cache_dir)
    if interpreter.in_venv:
        return open_environment(Path(interpreter.prefix), cache_dir)
    managed = externally_managed(interpreter)
    if managed is not None and not break_system_packages:
        first = managed.splitlines()[0]
        raise VenvError(
            f"{interpreter.executable} is externally managed (PEP 668): {first}",
            hint="install into an environment instead (cove create, then cove install), "
            "or pass --break-system-packages if you really mean it",
        )
    missing = {"purelib", "scripts", "data", "include"} - set(interpreter.install_paths)
    if missing:
        raise VenvError(
            f"{interpreter.executable} does not say where packages go "
            f"({', '.join(sorted(missing))})",
            hint=f"create an environment for it: cove create -p {interpreter.executable}",
        )
    return Environment(
        root=Path(interpreter.prefix),
        interpreter=interpreter,
        layout=layout_for(interpreter),
        system_site_packages=False,
        system=True,
    )
