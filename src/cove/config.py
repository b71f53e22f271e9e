"""Read configuration the way pip does (its config files and PIP_* variables), plus cove's own
(cove.toml and COVE_* variables), into layers of raw ``key -> value`` settings."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

from cove.errors import CoveError

# The settings cove understands (pip's option names, and cove's own); list-valued ones split on
# whitespace. pip's files and PIP_* variables hold settings of every pip command, so only
# cove's own layers are checked against these (an unknown key there is a typo: warned).
KEYS = frozenset({
    "index-url", "extra-index-url", "no-index", "find-links", "trusted-host", "cert",
    "client-cert", "proxy", "timeout", "retries", "no-cache-dir", "constraint", "pre",
    "only-binary", "no-binary", "prefer-binary", "index-strategy", "link-mode", "offline",
    "require-hashes", "compile-bytecode", "archive-max-size", "archive-max-files",
    "archive-max-ratio", "refuse-executable-pth", "cache-ttl", "refresh", "retry-backoff",
    "retry-after-max", "page-max-size",
})  # fmt: skip
# COVE_* variables that are not install settings: read where they apply.
OTHER_VARIABLES = frozenset({"cache-dir", "config-file"})
LISTS = {"extra-index-url", "find-links", "trusted-host", "constraint", "only-binary", "no-binary"}
ALIASES = {"default-timeout": "timeout", "no-cache": "no-cache-dir"}

Layer = dict[str, str]


class ConfigError(CoveError):
    """A configuration file cannot be read."""


def pip_config_files(environ: Mapping[str, str], env_root: Path | None) -> list[Path]:
    """pip's files in the order it loads them (later ones win): global, user, site, then
    PIP_CONFIG_FILE. With PIP_CONFIG_FILE set to os.devnull pip reads no file at all."""
    named = environ.get("PIP_CONFIG_FILE")
    if named == os.devnull:
        return []
    files: list[Path] = []
    xdg_dirs = environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files += [Path(d) / "pip" / "pip.conf" for d in reversed(xdg_dirs) if d]
    files.append(Path("/etc/pip.conf"))
    home = Path(environ.get("HOME", os.path.expanduser("~")))
    files.append(home / ".pip" / "pip.conf")
    xdg_home = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    files.append(Path(xdg_home) / "pip" / "pip.conf")
    if env_root is not None:
        files.append(env_root / "pip.conf")
    if named:
        files.append(Path(named))
    return files


def _normalize(key: str) -> str:
    key = key.strip().lower().replace("_", "-")
    return ALIASES.get(key, key)


def read_pip_files(files: list[Path]) -> Layer:
    """[global] then [install] of every file, later files and [install] winning."""
    layer: Layer = {}
    for path in files:
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"cannot parse pip configuration {path}: {exc}",
                hint="fix the file, or run with --isolated to ignore it",
            ) from None
        for section in ("global", "install"):
            if parser.has_section(section):
                for key, value in parser.items(section):
                    layer[_normalize(key)] = value
    return layer


def read_env(environ: Mapping[str, str], prefix: str) -> Layer:
    """``PIP_INDEX_URL`` -> ``index-url`` (and COVE_ likewise)."""
    layer: Layer = {}
    for name, value in environ.items():
        if name.startswith(prefix) and name != f"{prefix}CONFIG_FILE":
            layer[_normalize(name[len(prefix) :])] = value
    return layer


def read_cove_file(path: Path) -> Layer:
    """The ``[install]`` table of cove.toml; values as strings like the other layers."""
    if not path.is_file():
        return {}
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot parse {path}: {exc}", hint="fix the file, or use --isolated"
        ) from None
    out: Layer = {}
    for key, value in (data.get("install") or {}).items():
        if isinstance(value, list):
            out[_normalize(key)] = " ".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[_normalize(key)] = "true" if value else "false"
        else:
            out[_normalize(key)] = str(value)
    return out


def cove_config_file(environ: Mapping[str, str]) -> Path:
    if environ.get("COVE_CONFIG_FILE"):
        return Path(environ["COVE_CONFIG_FILE"])
    xdg = environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / "cove" / "cove.toml"
    from platformdirs import user_config_dir

    return Path(user_config_dir("cove", appauthor=False)) / "cove.toml"


def truthy(value: str, key: str) -> bool:
    """pip's reading of a boolean setting."""
    v = value.strip().lower()
    if v in ("1", "yes", "true", "on", "y", "t"):
        return True
    if v in ("0", "no", "false", "off", "n", "f", ""):
        return False
    raise ConfigError(f"{key}={value!r} is not a boolean", hint="use true or false")


def unknown_keys(environ: Mapping[str, str], isolated: bool) -> list[str]:
    """Warnings for keys in cove's own layers (cove.toml's [install], COVE_* variables) that
    no setting has: a typo there would otherwise change nothing, silently. (COVE_TEST_* are
    the tests' hooks.)"""
    if isolated:
        return []
    found = []
    path = cove_config_file(environ)
    for key in read_cove_file(path):
        if key not in KEYS:
            found.append(f"{path}: unknown setting {key!r} in [install] is ignored")
    for name in environ:
        if not name.startswith("COVE_"):
            continue
        key = _normalize(name[len("COVE_") :])
        if key not in KEYS | OTHER_VARIABLES and not key.startswith("test-"):
            found.append(f"unknown setting {name} is ignored")
    return found


def layers(environ: Mapping[str, str], env_root: Path | None, isolated: bool) -> list[Layer]:
    """Lowest precedence first: pip files, PIP_* variables, cove.toml, COVE_* variables."""
    if isolated:
        return []
    return [
        read_pip_files(pip_config_files(environ, env_root)),
        read_env(environ, "PIP_"),
        read_cove_file(cove_config_file(environ)),
        read_env(environ, "COVE_"),
    ]
