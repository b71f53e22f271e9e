"""Create an environment the way ``python -m venv`` does, file for file per Python version,
built in a hidden sibling directory and swapped into place (``cove.venv.swap``), so a failed or
killed create leaves the old environment whole and nothing half made."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import contextlib
import os
from collections.abc import Callable
from typing import NamedTuple, Protocol
from pathlib import Path

from cove.errors import VenvError
from cove.python.interpreter import Interpreter
from cove.faults import checkpoint
from cove.venv.layout import Layout, layout_for
from cove.venv.lock import EnvironmentLock, environment_lock

MIN_VERSION = (3, 8)
GITIGNORE = "# Created by venv; see https://docs.python.org/3/library/venv.html\n*\n"


class CreateOptions(NamedTuple):
    """What the user asked for; mirrors ``python -m venv``'s flags plus cove's own."""

    prompt: str | None = None  # None: the directory's name; "." the current directory's name
    system_site_packages: bool = False
    symlinks: bool = True
    clear: bool = False
    upgrade: bool = False
    with_pip: bool = True
    relocatable: bool = False
    gitignore: bool = True  # venv's scm ignore file, which it writes from Python 3.13 on
    upgrade_deps: bool = False  # only named in pyvenv.cfg's command; the CLI does the upgrade


class CreatedEnvironment(NamedTuple):
    path: Path
    interpreter: Interpreter
    layout: Layout
    prompt: str
    seeded: tuple[str, ...]  # "pip-24.2", ... as installed
    link_fallback: bool  # True when files were copied because hardlinks were impossible
    recovered: tuple[str, ...] = ()  # what was repaired after an interrupted create, if anything


def resolve_prompt(path: Path, prompt: str | None, cwd: Path, version: tuple[int, ...]) -> str:
    """venv's rule: no prompt means the directory's name; ``.`` means the current directory's
    from Python 3.9 on (venv 3.8 takes it literally)."""
    if prompt is None:
        return path.name
    if prompt == "." and tuple(version[:2]) >= (3, 9):
        return cwd.resolve().name
    return prompt


def pyvenv_cfg(
    path: Path, interpreter: Interpreter, options: CreateOptions, prompt: str, argv: list[str]
) -> str:
    """The pyvenv.cfg text venv writes, line for line (``executable`` and ``command`` from
    3.11 on); ``relocatable`` is cove's own, only when asked for."""
    lines = [
        f"home = {os.path.dirname(interpreter.base_executable)}",
        f"include-system-site-packages = {'true' if options.system_site_packages else 'false'}",
        "version = {}.{}.{}".format(*interpreter.version),
    ]
    if options.prompt is not None:
        lines.append(f"prompt = {prompt!r}")
    if interpreter.version >= (3, 11):
        lines.append(f"executable = {os.path.realpath(interpreter.executable)}")
        lines.append(
            f"command = {' '.join([interpreter.executable, '-m', 'venv', *argv, str(path)])}"
        )
    if options.relocatable:
        lines.append("relocatable = true")
    return "\n".join(lines) + "\n"


def venv_argv(options: CreateOptions, version: tuple[int, ...]) -> list[str]:
    """The ``python -m venv`` flags for these options, as venv lists them in pyvenv.cfg."""
    argv: list[str] = []
    if not options.symlinks:
        argv.append("--copies")
    if not options.with_pip:
        argv.append("--without-pip")
    if options.system_site_packages:
        argv.append("--system-site-packages")
    if options.clear:
        argv.append("--clear")
    if options.upgrade:
        argv.append("--upgrade")
    if options.upgrade_deps:
        argv.append("--upgrade-deps")
    if options.prompt is not None:
        argv.append(f'--prompt="{options.prompt}"')
    if not options.gitignore and tuple(version[:2]) >= (3, 13):
        argv.append("--without-scm-ignore-files")
    return argv


def check_interpreter(interpreter: Interpreter) -> None:
    if interpreter.version[:2] < MIN_VERSION:
        raise VenvError(
            f"{interpreter.executable} is Python {interpreter.version_string}, "
            f"older than {MIN_VERSION[0]}.{MIN_VERSION[1]}",
            hint="choose a newer interpreter with -p (see `cove python list`)",
        )


def check_target(path: Path, options: CreateOptions) -> bool:
    """Refuse what venv would clobber. Returns whether ``path`` already holds an environment."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise VenvError(
            f"{path} exists and is not a directory",
            hint="choose another path for the environment",
        )
    if not path.exists():
        if options.upgrade:
            raise VenvError(
                f"{path} is not an environment, there is nothing to upgrade",
                hint=f"create it first: cove create {path}",
            )
        return False
    is_env = (path / "pyvenv.cfg").is_file()
    if not is_env and any(path.iterdir()):
        raise VenvError(
            f"{path} is a directory with files in it, not a virtual environment",
            hint="choose an empty or new directory; cove never overwrites other files",
        )
    if is_env and not (options.clear or options.upgrade):
        raise VenvError(
            f"{path} is already a virtual environment",
            hint="use --clear to replace it, or --upgrade to point it at an upgraded Python",
        )
    if options.upgrade and not is_env:
        raise VenvError(
            f"{path} is not an environment, there is nothing to upgrade",
            hint=f"create it first: cove create {path}",
        )
    return is_env


def _link_interpreter(
    bin_dir: Path, interpreter: Interpreter, layout: Layout, symlinks: bool
) -> str:
    """Make venv's interpreter names in ``bin_dir``: the interpreter's own file name, linked to
    it (or a copy), then python, python3 (python3.X from 3.9) relative to that; names already
    there are replaced. Returns the interpreter's own name."""
    import shutil

    base = interpreter.base_executable
    if layout.windows:
        # Windows venvs copy the launcher; the names are fixed and do not chain.
        for name in layout.python_names:
            shutil.copy2(os.path.join(os.path.dirname(base), name), bin_dir / name)
        return layout.python_names[0]
    exename = os.path.basename(base)
    for name in [exename, *(n for n in layout.python_names if n != exename)]:
        target = bin_dir / name
        if os.path.lexists(target):
            os.unlink(target)  # never written through: it may be hardlinked from the old one
        if symlinks:
            os.symlink(base if name == exename else exename, target)
        else:
            shutil.copyfile(base if name == exename else bin_dir / exename, target)
            os.chmod(target, 0o755)
    return exename


def bundled_wheels(paths: tuple[str, ...]) -> list[str]:
    """The newest bundled wheel of each project, as ensurepip picks them (stale copies of older
    versions may lie beside them). Bundled names are plain ``name-X.Y.Z-py3-none-any.whl``."""
    newest: dict[str, tuple[tuple[int, ...], str]] = {}
    for path in paths:
        parts = os.path.basename(path).split("-")
        if len(parts) != 5:
            continue
        try:
            version = tuple(int(p) for p in parts[1].split("."))
        except ValueError:
            continue
        if parts[0] not in newest or version > newest[parts[0]][0]:
            newest[parts[0]] = (version, path)
    return [path for _, path in sorted(newest.values(), key=lambda v: v[1])]


class Seed(Protocol):
    """Links the interpreter's bundled pip (and setuptools before 3.12) into an environment being
    built in ``staging`` whose final place is ``final``: the installer does it (operations/
    create.py), so this package does not depend on it. Returns what it installed ("pip-24.2")
    and whether files had to be copied instead of hardlinked."""

    def __call__(
        self,
        staging: Path,
        final: Path,
        interpreter: Interpreter,
        layout: Layout,
        exename: str,
        relocatable: bool,
    ) -> tuple[tuple[str, ...], bool]: ...


def _write_new(path: Path, text: str) -> None:
    """Write a file as a new inode: in an upgrade's copy the old one is the old environment's."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    path.write_text(text, encoding="utf-8")


def _build(
    staging: Path,
    final: Path,
    interpreter: Interpreter,
    layout: Layout,
    options: CreateOptions,
    prompt: str,
    seed: Seed | None,
) -> tuple[tuple[str, ...], bool]:
    """Make the environment in ``staging`` (empty, or for --upgrade a copy of the old one)."""
    bin_dir = staging / layout.bin_dir
    site_packages = staging / layout.site_packages
    # venv's directories: include (include/pythonX.Y from 3.11, its sysconfig scheme), the
    # site-packages, lib64 -> lib on 64-bit Linux, and the scripts directory.
    include = layout.include_dir
    if interpreter.version >= (3, 11):
        include = interpreter.scheme.get("include", include)
    for directory in (staging / include, site_packages, bin_dir):
        directory.mkdir(parents=True, exist_ok=True)
    if layout.lib64 and not os.path.lexists(staging / "lib64"):
        os.symlink("lib", staging / "lib64")
    exename = _link_interpreter(bin_dir, interpreter, layout, options.symlinks)
    argv = venv_argv(options, interpreter.version)
    _write_new(staging / "pyvenv.cfg", pyvenv_cfg(final, interpreter, options, prompt, argv))
    if options.gitignore and interpreter.version >= (3, 13):
        _write_new(staging / ".gitignore", GITIGNORE)
    if not options.upgrade:  # venv --upgrade leaves the activation scripts as they are
        from cove.venv.activation import write_activation

        write_activation(
            layout,
            final,
            prompt,
            relocatable=options.relocatable,
            bin_dir=bin_dir,
            staged=True,
            venv_scripts=Path(interpreter.stdlib, "venv", "scripts"),
        )
    checkpoint("create-linked")
    # venv --upgrade runs ensurepip, which installs pip where it is missing; cove leaves an
    # installed pip as it is (`cove install -U pip` upgrades it).
    if options.with_pip and not any(site_packages.glob("pip-*.dist-info")):
        if seed is None:
            raise ValueError("an environment with pip needs a seed")
        return seed(staging, final, interpreter, layout, exename, options.relocatable)
    return (), False


def _copy_tree(source: Path, dest: Path) -> None:
    """``dest`` (an empty directory) becomes a copy of ``source`` made of hardlinks, so the
    old environment stays whole while its upgraded copy is built; symlinks stay symlinks."""
    import shutil

    os.chmod(dest, os.stat(source).st_mode & 0o7777)
    for dirpath, dirnames, filenames in os.walk(source):
        into = Path(dest, os.path.relpath(dirpath, source))
        for name in dirnames + filenames:
            src, dst = os.path.join(dirpath, name), into / name
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            elif name in dirnames:
                dst.mkdir()
                os.chmod(dst, os.stat(src).st_mode & 0o7777)
            else:
                try:
                    os.link(src, dst, follow_symlinks=False)
                except OSError:  # another filesystem, or links forbidden: copy it
                    shutil.copy2(src, dst, follow_symlinks=False)


def _relocatable(path: Path) -> bool:
    from cove.venv.discover import read_pyvenv_cfg

    return read_pyvenv_cfg(path).get("relocatable", "").lower() == "true"


def create_environment(
    path: Path,
    interpreter: Interpreter,
    options: CreateOptions,
    *,
    cache_dir: Path,
    cwd: Path,
    seed: Seed | None = None,
    after_build: Callable[[Path, EnvironmentLock], None] | None = None,
) -> CreatedEnvironment:
    """Create (or with ``clear``/``upgrade`` replace) the environment at ``path``.

    Everything is built in a sibling staging directory (for ``upgrade`` a hardlinked copy of the
    old environment) and swapped into place; on any error, or a kill, ``path`` is as it was.
    """
    from cove.venv import swap

    check_interpreter(interpreter)
    path = path.absolute()
    recovered = tuple(swap.recover(path))
    existing = check_target(path, options)
    if options.upgrade and _relocatable(path):
        options = options._replace(relocatable=True)
    layout = layout_for(interpreter)
    prompt = resolve_prompt(path, options.prompt, cwd, interpreter.version)
    _make_parent(path.parent)

    def build(staging: Path, staging_lock: EnvironmentLock) -> tuple[tuple[str, ...], bool]:
        if options.upgrade:
            _copy_tree(path, staging)
            checkpoint("create-copied")
        made = _build(staging, path, interpreter, layout, options, prompt, seed)
        if after_build is not None:
            after_build(staging, staging_lock)
        return made

    seeded, fallback = _staged(path, existing, build)
    if options.symlinks and not layout.windows:
        from cove.python.probe import remember_venv

        remember_venv(interpreter, Path(layout.python(path)), path, cache_dir)
    return CreatedEnvironment(path, interpreter, layout, prompt, seeded, fallback, recovered)


def _make_parent(parent: Path) -> None:
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VenvError(
            f"cannot create {parent}: {exc.strerror}",
            hint="choose a path you can write to",
        ) from None


def _staged(
    path: Path,
    existing: bool,
    build: Callable[[Path, EnvironmentLock], tuple[tuple[str, ...], bool]],
) -> tuple[tuple[str, ...], bool]:
    """``build`` the environment in a new sibling of ``path`` (held under its own environment
    lock, and the old environment's if there is one), then swap it into place; whatever fails,
    the sibling is removed and ``path`` is as it was. Returns what ``build`` returned."""
    import shutil

    from cove.venv import swap

    tag = os.urandom(4).hex()
    staging = swap.sibling(path, swap.NEW, tag)
    with contextlib.ExitStack() as held:
        try:
            if existing:
                # No install runs into it meanwhile, and no other command takes it for a leftover:
                # the environment lock is the flock swap.hold would take.
                held.enter_context(environment_lock(path))
            staging.mkdir()
            # Held like any environment being changed (an after_build install takes this very
            # lock), so no other command takes the build for a leftover.
            staging_lock = held.enter_context(environment_lock(staging))
            checkpoint("create-staging")
            made = build(staging, staging_lock)
            checkpoint("create-built")
            swap.replace(staging, path, tag, existing=existing)
        except BaseException as exc:
            # Before the swap this is the unfinished build; once it is done (an interrupt while
            # the old environment is deleted) it is what is left of the old one.
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError):
                raise VenvError(
                    f"cannot create {path}: {exc.strerror or exc}",
                    hint="check the path and its permissions; nothing was changed",
                ) from None
            raise
    return made
