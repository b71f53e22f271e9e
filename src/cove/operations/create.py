"""``cove create`` beyond the tree venv makes: ``--upgrade-deps`` installs the newest pip (and
setuptools before 3.12) with cove's own installer, before the environment is renamed into
place."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cove.operations.pipeline import Reporter
from cove.operations.wiring import make_source


def upgrade_seeded(staging: Path, final: Path, names: Sequence[str], reporter: Reporter) -> None:
    """``cove create --upgrade-deps``: the newest ``names`` from the configured indexes, into an
    environment still in its staging directory (so a failure leaves nothing behind)."""
    from packaging.requirements import Requirement

    from cove.cache import default_cache_dir
    from cove.operations.pipeline import InstallRequest, install
    from cove.settings import load_install_settings
    from cove.venv.environment import open_environment

    cache_dir = default_cache_dir()
    env = open_environment(staging, cache_dir)
    env = env._replace(shebang=str(final / env.layout.bin_dir / env.layout.python_names[0]))
    settings = load_install_settings({}, dict(os.environ), staging)
    source = make_source(env, settings, None, cache_dir, reporter.warn)
    request = InstallRequest(requirements=tuple(Requirement(n) for n in names), upgrade=True)
    try:
        install(request, env, lambda: source, cache_dir, reporter)
    finally:
        source.close()
