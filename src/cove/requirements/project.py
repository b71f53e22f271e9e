"""What a project directory says about itself without a build: its static name."""

from __future__ import annotations

from pathlib import Path


def static_name(source: Path) -> str | None:
    """The project name when pyproject.toml or setup.cfg states it (no build needed)."""
    import tomllib

    try:
        data = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
        name = data.get("project", {}).get("name")
        if isinstance(name, str) and name:
            return name
    except (OSError, ValueError):
        pass
    import configparser

    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read(source / "setup.cfg", encoding="utf-8")
        return cfg.get("metadata", "name", fallback=None) or None
    except configparser.Error:
        return None
