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
    retry_backoff: float = 0.25  # seconds: tries wait 0, 2x, 4x ... this (429/5xx, resets)
    retry_after_max: float = 60.0  # the longest Retry-After waited for
    page_max_size: int = 128 << 20  # the largest index page or metadata file read
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


def load_install_settings(
    flags: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
    env_root: Path | None = None,
    isolated: bool = False,
) -> InstallSettings:
    """Merge the configuration layers under ``flags`` (pip option names; None means unset)."""
    from cove.config import unknown_keys
    from cove.names import option_names

    environ = dict(os.environ) if environ is None else environ
    v = _Values(_merged(flags, environ, env_root, isolated))
    return InstallSettings(
        index_url=v.text("index-url"),
        extra_index_urls=tuple(v.many("extra-index-url")),
        no_index=v.flag("no-index"),
        find_links=tuple(v.many("find-links")),
        trusted_hosts=tuple(v.many("trusted-host")),
        cert=v.text("cert"),
        client_cert=v.text("client-cert"),
        proxy=v.text("proxy"),
        timeout=v.number("timeout", 15.0),
        retries=int(v.number("retries", 5)),
        retry_backoff=v.number("retry-backoff", 0.25),
        retry_after_max=v.number("retry-after-max", 60.0),
        page_max_size=int(v.amount("page-max-size", 128 << 20)),
        no_cache=v.flag("no-cache-dir"),
        constraints=tuple(v.many("constraint")),
        pre=v.flag("pre"),
        only_binary=option_names(v.many("only-binary")),
        no_binary=option_names(v.many("no-binary")),
        prefer_binary=v.flag("prefer-binary"),
        index_strategy=v.choice("index-strategy", ("first-index", "best-match")),
        link_mode=v.choice("link-mode", ("hardlink", "copy", "symlink", "clone")),
        offline=v.flag("offline"),
        cache_ttl=v.number("cache-ttl", 0.0),
        refresh=v.flag("refresh"),
        require_hashes=v.flag("require-hashes"),
        compile_bytecode=v.flag("compile-bytecode"),
        unpack=_unpack_policy(v),
        warnings=tuple(unknown_keys(environ, isolated)),
    )


def _merged(
    flags: Mapping[str, object], environ: Mapping[str, str], env_root: Path | None, isolated: bool
) -> dict[str, str | list[str]]:
    """Every layer, lowest first, then the flags over them: key -> text (a list for LISTS)."""
    from cove.config import LISTS, layers

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
    return merged


class _Values:
    """The merged settings read as what each key holds: text, a list, a flag, a number."""

    def __init__(self, merged: dict[str, str | list[str]]) -> None:
        self.merged = merged

    def text(self, key: str) -> str | None:
        value = self.merged.get(key)
        return value if isinstance(value, str) else None

    def many(self, key: str) -> list[str]:
        value = self.merged.get(key, [])
        return value if isinstance(value, list) else value.split()

    def flag(self, key: str) -> bool:
        from cove.config import truthy

        value = self.merged.get(key)
        if value is None:
            return False
        if key == "no-cache-dir":
            return True  # pip: setting it at all switches the cache off
        return truthy(value if isinstance(value, str) else " ".join(value), key)

    def number(self, key: str, default: float) -> float:
        from cove.config import ConfigError

        value = self.text(key)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{key}={value!r} is not a number", hint="give a number") from None

    def amount(self, key: str, default: float) -> float:
        """A positive number; sizes may end in K, M, G or T (powers of 1024)."""
        from cove.config import ConfigError

        value = self.text(key)
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

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        """One of ``allowed`` (the first when unset)."""
        from cove.config import ConfigError

        value = self.text(key) or allowed[0]
        if value not in allowed:
            raise ConfigError(f"{key}={value!r} is not valid", hint=f"use one of {allowed}")
        return value


def _unpack_policy(v: _Values) -> UnpackPolicy:
    defaults = UnpackPolicy()
    return UnpackPolicy(
        max_size=int(v.amount("archive-max-size", defaults.max_size)),
        max_files=int(v.amount("archive-max-files", defaults.max_files)),
        max_ratio=v.amount("archive-max-ratio", defaults.max_ratio),
        refuse_executable_pth=v.flag("refuse-executable-pth"),
    )
