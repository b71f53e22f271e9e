"""``cove status``: whether an environment is active, which ``python`` and ``pip`` the shell runs
now, and whether the environment is healthy (its interpreter link resolves and runs the Python
it was made with, pyvenv.cfg is whole, ``cove check`` finds nothing), each problem with the
command that fixes it. Read only: nothing in the environment is changed or run but its
interpreter's probe (cached)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cove.errors import CoveError, VenvError
from cove.venv.active import which
from cove.venv.discover import find_root, read_pyvenv_cfg

if TYPE_CHECKING:
    from cove.venv.environment import Environment


@dataclass(frozen=True, slots=True)
class Command:
    """A command name as the shell finds it now: what ``command -v`` prints, that path with
    every symlink followed, and whether it is the environment's own."""

    name: str
    path: str | None = None
    resolved: str | None = None
    in_environment: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    hint: str


@dataclass(frozen=True, slots=True)
class Status:
    active: str | None  # $VIRTUAL_ENV
    environment: str | None  # the environment found (as other commands find it)
    python: Command
    pip: Command
    interpreter: str | None = None  # the environment's bin/python
    interpreter_target: str | None = None  # where its links lead
    home: str | None = None  # pyvenv.cfg: the base interpreter's directory
    base_executable: str | None = None  # pyvenv.cfg: the base interpreter (3.11 and later)
    version: str | None = None  # pyvenv.cfg: the Python version it was made with
    site_packages: str | None = None
    distributions: int | None = None
    problems: tuple[Problem, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        return not self.problems


def environment_status(
    explicit: str | None, cwd: str, environ: Mapping[str, str], cache_dir: Path
) -> Status:
    """The status of the environment ``-p`` names, else the active one, else .venv upward. An
    environment that cannot be found is an error only when it was named."""
    path = environ.get("PATH", "")
    try:
        root = find_root(explicit, cwd, environ)
    except VenvError as exc:
        if explicit:
            raise
        hint = exc.hint or "cove create"
        return Status(
            active=environ.get("VIRTUAL_ENV") or None,
            environment=None,
            python=_command("python", path, None),
            pip=_command("pip", path, None),
            problems=(Problem(exc.message, hint),),
        )
    facts = _Facts(root, cache_dir)
    facts.examine()
    return Status(
        active=environ.get("VIRTUAL_ENV") or None,
        environment=root,
        python=_command("python", path, facts.bin_dir),
        pip=_command("pip", path, facts.bin_dir),
        interpreter=facts.interpreter,
        interpreter_target=facts.target,
        home=facts.cfg.get("home"),
        base_executable=facts.cfg.get("executable"),
        version=facts.version,
        site_packages=facts.site_packages,
        distributions=facts.distributions,
        problems=tuple(facts.problems),
    )


def status_json(status: Status) -> dict[str, Any]:
    """The ``--json`` form; its keys are documented in the README and kept stable."""

    def command(c: Command) -> dict[str, Any]:
        return {"path": c.path, "resolved": c.resolved, "in_environment": c.in_environment}

    return {
        "active": status.active,
        "environment": status.environment,
        "python": command(status.python),
        "pip": command(status.pip),
        "interpreter": status.interpreter,
        "interpreter_target": status.interpreter_target,
        "home": status.home,
        "base_executable": status.base_executable,
        "version": status.version,
        "site_packages": status.site_packages,
        "distributions": status.distributions,
        "healthy": status.healthy,
        "problems": [{"message": p.message, "hint": p.hint} for p in status.problems],
    }


def _command(name: str, path: str, bin_dir: str | None) -> Command:
    found = which(name, path)
    if found is None:
        return Command(name)
    absolute = os.path.abspath(found)
    inside = bin_dir is not None and os.path.dirname(absolute) == bin_dir
    return Command(name, found, os.path.realpath(found), inside)


class _Facts:
    """What is learnt about one environment, problem by problem; later checks need earlier
    ones (a link that does not resolve cannot be probed)."""

    def __init__(self, root: str, cache_dir: Path) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.bin_dir = os.path.join(root, "Scripts" if os.name == "nt" else "bin")
        self.cfg: dict[str, str] = {}
        self.version: str | None = None
        self.interpreter: str | None = None
        self.target: str | None = None
        self.site_packages: str | None = None
        self.distributions: int | None = None
        self.problems: list[Problem] = []
        self.home_gone: str | None = None  # said only when the interpreter seems fine

    def problem(self, message: str, hint: str) -> None:
        self.problems.append(Problem(message, hint))

    def examine(self) -> None:
        self._read_cfg()
        before = len(self.problems)
        environment = self._interpreter()
        if self.home_gone and len(self.problems) == before:
            self.problem(
                f"the base interpreter's directory {self.home_gone} (pyvenv.cfg home) is gone: "
                "the Python the environment was made with has been removed or upgraded",
                self._upgrade_hint(),
            )
        if environment is None:
            self._count(self._site_packages_on_disk())
            return
        self._count(str(environment.site_packages))
        self._check(environment)

    def _clear_hint(self) -> str:
        python = f" -p {self.version}" if self.version else ""
        return f"recreate it: cove create --clear{python} {self.root} (then install its packages)"

    def _upgrade_hint(self) -> str:
        """``cove create --upgrade`` with an interpreter of the same minor version, found the
        way ``cove create -p X.Y`` finds one, when there is one."""
        minor = ".".join((self.version or "").split(".")[:2])
        if not minor:
            return self._clear_hint()
        from cove.python.discovery import find_interpreter

        try:
            found: str = find_interpreter(minor, self.cache_dir).executable
        except CoveError:
            return (
                f"install a Python {minor}, then point the environment at it: cove create "
                f"--upgrade -p PYTHON{minor} {self.root}; or {self._clear_hint()}"
            )
        return f"point it at a Python {minor}: cove create --upgrade -p {found} {self.root}"

    def _read_cfg(self) -> None:
        try:
            self.cfg = read_pyvenv_cfg(self.root)
        except VenvError as exc:
            self.problem(exc.message, self._clear_hint())
            return
        cfg_file = os.path.join(self.root, "pyvenv.cfg")
        self.version = self.cfg.get("version") or self.cfg.get("version_info")
        if not self.version:
            self.problem(f"{cfg_file} names no version", self._clear_hint())
        home = self.cfg.get("home")
        if not home:
            self.problem(f"{cfg_file} has no home (the base interpreter's directory)",
                         self._clear_hint())  # fmt: skip
        elif not os.path.isdir(home):
            self.home_gone = home

    def _interpreter(self) -> Environment | None:
        names = ("python.exe",) if os.name == "nt" else ("python", "python3")
        links = [os.path.join(self.bin_dir, name) for name in names]
        present = [link for link in links if os.path.lexists(link)]
        if not present:
            self.problem(f"the environment has no interpreter ({links[0]} is missing)",
                         self._clear_hint())  # fmt: skip
            return None
        self.interpreter = present[0]
        self.target = os.path.realpath(present[0])
        if not os.path.exists(present[0]):
            self.problem(
                f"{present[0]} leads to {self.target}, which does not exist: the Python the "
                "environment was made with has been removed or upgraded",
                self._upgrade_hint(),
            )
            return None
        from cove.venv.environment import open_environment

        try:
            environment = open_environment(Path(self.root), self.cache_dir)
        except CoveError as exc:
            self.problem(f"{present[0]} does not run: {exc.message}", self._upgrade_hint())
            return None
        made_for = ".".join((self.version or "").split(".")[:2])
        now = environment.interpreter.short_version
        if made_for and made_for != now:
            self.problem(
                f"{present[0]} is now Python {environment.interpreter.version_string}, but the "
                f"environment was made for Python {self.version}: the packages installed for "
                f"{made_for} are not on its path",
                f"recreate it for the Python you want: cove freeze -p {self.root} > "
                f"requirements.txt, cove create --clear -p {made_for} {self.root}, "
                f"cove install -p {self.root} -r requirements.txt",
            )
        return environment

    def _site_packages_on_disk(self) -> str | None:
        """Where the packages are when the interpreter cannot say: venv's layouts."""
        lib = os.path.join(self.root, "lib")
        try:
            names = sorted(os.listdir(lib))
        except OSError:
            names = []
        for name in names:
            candidate = os.path.join(lib, name, "site-packages")
            if os.path.isdir(candidate):
                return candidate
        windows = os.path.join(self.root, "Lib", "site-packages")
        return windows if os.path.isdir(windows) else None

    def _count(self, site_packages: str | None) -> None:
        from cove.inspect.installed import read_installed

        self.site_packages = site_packages
        if site_packages is None:
            return
        dists, warnings = read_installed([Path(site_packages)])
        self.distributions = len(dists)
        for message in warnings:
            self.problem(
                message,
                "remove that directory and install the package again "
                f"(cove install -p {self.root} --force-reinstall NAME)",
            )

    def _check(self, environment: Environment) -> None:
        from cove.inspect.installed import read_installed
        from cove.inspect.listing import check_findings, duplicate_lines

        dists, _ = read_installed(environment.site_dirs(), sort=False)
        findings, unreadable = check_findings(dists, environment.interpreter.markers)
        for finding in findings:
            hint = (
                f"cove install -p {self.root} '{finding.requirement}'"
                if finding.requirement
                else f"see cove check -p {self.root}"
            )
            self.problem(finding.line, hint)
        if unreadable:
            self.problem(
                "a distribution's requirements cannot be read",
                f"see cove check -p {self.root}, and install that package again",
            )
        for line in duplicate_lines(environment.site_dirs()):
            self.problem(
                line,
                f"remove the copy you do not want (cove uninstall -p {self.root} NAME removes "
                "the environment's own)",
            )
