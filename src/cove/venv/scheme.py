"""Where each part of a wheel goes in an environment (the sysconfig install scheme)."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

from pathlib import Path
from typing import NamedTuple


class Scheme(NamedTuple):
    purelib: Path
    platlib: Path
    headers: Path
    scripts: Path
    data: Path

    @classmethod
    def for_venv(
        cls, env: Path, *, site_packages: str, bin_dir: str, python_short: str, dist_name: str
    ) -> "Scheme":
        """pip's scheme for a venv; headers go to include/site/pythonX.Y/<dist> as pip puts them."""
        site = env / site_packages
        return cls(
            purelib=site,
            platlib=site,
            headers=env / "include" / "site" / f"python{python_short}" / dist_name,
            scripts=env / bin_dir,
            data=env,
        )
