"""``cove create``: venv's tree (venv/create.py) with pip linked from the interpreter's bundled
wheels by cove's own installer, and with ``--upgrade-deps`` the newest pip (and setuptools
before 3.12) from the configured indexes, before the environment is swapped into place."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cove.operations.pipeline import Reporter
    from cove.python.interpreter import Interpreter
    from cove.venv.create import CreatedEnvironment, CreateOptions, Seed
    from cove.venv.layout import Layout
    from cove.venv.lock import EnvironmentLock


def create(
    path: Path,
    interpreter: Interpreter,
    options: CreateOptions,
    *,
    cache_dir: Path,
    cwd: Path,
    reporter: Reporter,
) -> CreatedEnvironment:
    """The environment at ``path``, seeded unless ``options.with_pip`` is off; with
    ``options.upgrade_deps`` its pip upgraded in the staging directory (a failure leaves
    nothing behind)."""
    from cove.venv.create import create_environment

    after_build = None
    if options.upgrade_deps:
        upgraded = ["pip"] if interpreter.version >= (3, 12) else ["pip", "setuptools"]
        final = path.absolute()

        def after_build(staging: Path, lock: EnvironmentLock) -> None:
            upgrade_seeded(staging, final, upgraded, reporter, lock)

    return create_environment(
        path,
        interpreter,
        options,
        cache_dir=cache_dir,
        cwd=cwd,
        seed=bundled_seed(cache_dir),
        after_build=after_build,
    )


def bundled_seed(cache_dir: Path) -> Seed:
    """The Seed that links the interpreter's bundled wheels, unpacked once into the cache."""

    def seed(
        staging: Path,
        final: Path,
        interpreter: Interpreter,
        layout: Layout,
        exename: str,
        relocatable: bool,
    ) -> tuple[tuple[str, ...], bool]:
        """Link the interpreter's bundled pip (and setuptools before 3.12) from the cache."""
        from cove.faults import checkpoint
        from cove.install.wheel import install_wheel
        from cove.venv.create import bundled_wheels
        from cove.venv.scheme import Scheme

        seeded: list[str] = []
        fallback = False
        # Relocatable launchers find the interpreter beside themselves instead of at a fixed path.
        shebang_python = exename if relocatable else str(final / layout.bin_dir / exename)
        for wheel in bundled_wheels(interpreter.ensurepip_wheels):
            dist_name = os.path.basename(wheel).split("-", 1)[0]
            scheme = Scheme.for_venv(
                staging,
                site_packages=layout.site_packages,
                bin_dir=layout.bin_dir,
                python_short=interpreter.short_version,
                dist_name=dist_name,
            )
            result = install_wheel(
                Path(wheel),
                scheme,
                python=shebang_python,
                python_version=(interpreter.version[0], interpreter.version[1]),
                cache_dir=cache_dir,
                installer="pip",
                env=staging,
            )
            seeded.append(f"{result.name}-{result.version}")
            fallback = fallback or result.link_fallback
            checkpoint("create-seeding")
        return tuple(seeded), fallback

    return seed


def upgrade_seeded(
    staging: Path,
    final: Path,
    names: Sequence[str],
    reporter: Reporter,
    lock: EnvironmentLock | None = None,
) -> None:
    """``cove create --upgrade-deps``: the newest ``names`` from the configured indexes, into an
    environment still in its staging directory (so a failure leaves nothing behind)."""
    from packaging.requirements import Requirement

    from cove.cache import default_cache_dir
    from cove.operations.pipeline import InstallRequest, install
    from cove.operations.wiring import make_source
    from cove.settings import load_install_settings
    from cove.venv.environment import open_environment

    cache_dir = default_cache_dir()
    env = open_environment(staging, cache_dir)
    env = env._replace(shebang=str(final / env.layout.bin_dir / env.layout.python_names[0]))
    settings = load_install_settings({}, dict(os.environ), staging)
    source = make_source(env, settings, None, cache_dir, reporter.warn)
    request = InstallRequest(requirements=tuple(Requirement(n) for n in names), upgrade=True)
    try:
        install(request, env, lambda: source, cache_dir, reporter, lock)
    finally:
        source.close()
