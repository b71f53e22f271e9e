"""Install settings merged from flags, COVE_* variables, cove.toml and pip's configuration
into one frozen object."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from cove.archive import UnpackPolicy


class InstallSettings(NamedTuple):
    """Where packages come from and how they are fetched and linked, after every layer merged
    (flags > COVE_* > cove.toml > PIP_* > pip config files)."""

    index_url: str | None = None  # None: pip's built-in default
    extra_index_urls: tuple[str, ...] = ()
    no_index: bool = False
    find_links: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    cert: str | None = None
    client_cert: str | None = None
    proxy: str | None = None
    timeout: float = 15.0
    retries: int = 5
    no_cache: bool = False
    constraints: tuple[str, ...] = ()
    pre: bool = False
    only_binary: frozenset[str] = frozenset()
    no_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False
    index_strategy: str = "first-index"
    link_mode: str = "hardlink"
    offline: bool = False
    cache_ttl: float = 0.0  # seconds a cached index page is trusted without asking again
    refresh: bool = False  # ask the indexes again even for pages their headers call fresh
    require_hashes: bool = False
    compile_bytecode: bool = False
    unpack: UnpackPolicy = UnpackPolicy()  # archive-max-size|files|ratio, refuse-executable-pth
    warnings: tuple[str, ...] = ()  # unknown keys in cove's own configuration


def _names(values: list[str]) -> frozenset[str]:
    from cove.names import canonical

    out: set[str] = set()
    for value in values:
        for item in value.replace(",", " ").split():
            out.add(item if item in (":all:", ":none:") else canonical(item))
    if ":none:" in out:
        out = set()
    return frozenset(out)


def load_install_settings(
    flags: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
    env_root: Path | None = None,
    isolated: bool = False,
) -> InstallSettings:
    """Merge the configuration layers under ``flags`` (pip option names; None means unset)."""
    from cove.config import LISTS, ConfigError, layers, truthy, unknown_keys

    environ = dict(os.environ) if environ is None else environ
    merged: dict[str, str | list[str]] = {}
    for layer in layers(environ, env_root, isolated):
        for key, value in layer.items():
            merged[key] = value.split() if key in LISTS else value
    for key, given in flags.items():
        if given is None or given is False or given == []:
            continue
        if isinstance(given, list):
            # pip's list options (--extra-index-url, --find-links, --trusted-host, ...) add to
            # what the configuration gives; every other flag replaces it.
            configured = merged.get(key, [])
            before = configured if isinstance(configured, list) else configured.split()
            merged[key] = (
                [*before, *(str(v) for v in given)] if key in LISTS else [str(v) for v in given]
            )
        else:
            merged[key] = str(given)

    def text(key: str) -> str | None:
        value = merged.get(key)
        return value if isinstance(value, str) else None

    def many(key: str) -> list[str]:
        value = merged.get(key, [])
        return value if isinstance(value, list) else value.split()

    def flag(key: str) -> bool:
        value = merged.get(key)
        if value is None:
            return False
        if key == "no-cache-dir":
            return True  # pip: setting it at all switches the cache off
        return truthy(value if isinstance(value, str) else " ".join(value), key)

    def number(key: str, default: float) -> float:
        value = text(key)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{key}={value!r} is not a number", hint="give a number") from None

    def amount(key: str, default: float) -> float:
        """A positive number; sizes may end in K, M, G or T (powers of 1024)."""
        value = text(key)
        if value is None:
            return default
        digits = value.strip().upper().removesuffix("B").removesuffix("I")
        scale = 1024 ** ("KMGT".index(digits[-1]) + 1) if digits[-1:] in tuple("KMGT") else 1
        try:
            result = float(digits[:-1] if scale > 1 else digits) * scale
        except ValueError:
            result = -1.0
        if result <= 0:
            raise ConfigError(
                f"{key}={value!r} is not a positive number", hint="give one, like 8G or 200000"
            )
        return result

    defaults = UnpackPolicy()
    unpack = UnpackPolicy(
        max_size=int(amount("archive-max-size", defaults.max_size)),
        max_files=int(amount("archive-max-files", defaults.max_files)),
        max_ratio=amount("archive-max-ratio", defaults.max_ratio),
        refuse_executable_pth=flag("refuse-executable-pth"),
    )
    strategy = text("index-strategy") or "first-index"
    link_mode = text("link-mode") or "hardlink"
    for key, value, allowed in (
        ("index-strategy", strategy, ("first-index", "best-match")),
        ("link-mode", link_mode, ("hardlink", "copy", "symlink", "clone")),
    ):
        if value not in allowed:
            raise ConfigError(f"{key}={value!r} is not valid", hint=f"use one of {allowed}")
    return InstallSettings(
        index_url=text("index-url"),
        extra_index_urls=tuple(many("extra-index-url")),
        no_index=flag("no-index"),
        find_links=tuple(many("find-links")),
        trusted_hosts=tuple(many("trusted-host")),
        cert=text("cert"),
        client_cert=text("client-cert"),
        proxy=text("proxy"),
        timeout=number("timeout", 15.0),
        retries=int(number("retries", 5)),
        no_cache=flag("no-cache-dir"),
        constraints=tuple(many("constraint")),
        pre=flag("pre"),
        only_binary=_names(many("only-binary")),
        no_binary=_names(many("no-binary")),
        prefer_binary=flag("prefer-binary"),
        index_strategy=strategy,
        link_mode=link_mode,
        offline=flag("offline"),
        cache_ttl=number("cache-ttl", 0.0),
        refresh=flag("refresh"),
        require_hashes=flag("require-hashes"),
        compile_bytecode=flag("compile-bytecode"),
        unpack=unpack,
        warnings=tuple(unknown_keys(environ, isolated)),
    )
