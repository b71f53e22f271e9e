"""Configuration precedence: flags > COVE_* > cove.toml > PIP_* > pip's config files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cove.config import ConfigError, pip_config_files
from cove.defaults import default_index_url
from cove.settings import load_install_settings


def environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), **extra}


def test_layers_in_order(tmp_path: Path) -> None:
    pip_conf = tmp_path / "pip.conf"
    pip_conf.write_text(
        "[global]\nindex-url = https://file.example/simple\ntimeout = 7\n"
        "extra-index-url = https://a.example/simple\n  https://b.example/simple\n"
        "[install]\nprefer-binary = yes\n"
    )
    env = environ(tmp_path, PIP_CONFIG_FILE=str(pip_conf))
    s = load_install_settings({}, env)
    assert s.index_url == "https://file.example/simple" and s.timeout == 7.0
    assert s.extra_index_urls == ("https://a.example/simple", "https://b.example/simple")
    assert s.prefer_binary
    env["PIP_INDEX_URL"] = "https://pipenv.example/simple"
    assert load_install_settings({}, env).index_url == "https://pipenv.example/simple"
    cove_toml = tmp_path / "xdg" / "cove" / "cove.toml"
    cove_toml.parent.mkdir(parents=True)
    cove_toml.write_text('[install]\nindex-url = "https://toml.example/simple"\noffline = true\n')
    s = load_install_settings({}, env)
    assert s.index_url == "https://toml.example/simple" and s.offline
    env["COVE_INDEX_URL"] = "https://coveenv.example/simple"
    assert load_install_settings({}, env).index_url == "https://coveenv.example/simple"
    flags = {"index-url": "https://flag.example/simple"}
    assert load_install_settings(flags, env).index_url == "https://flag.example/simple"
    isolated = load_install_settings({}, env, isolated=True)
    assert isolated.index_url is None and not isolated.offline


def test_devnull_loads_no_pip_file(tmp_path: Path) -> None:
    assert pip_config_files({"PIP_CONFIG_FILE": os.devnull}, None) == []
    files = pip_config_files(environ(tmp_path), tmp_path / "venv")
    assert files[-1] == tmp_path / "venv" / "pip.conf"
    assert tmp_path / "xdg" / "pip" / "pip.conf" in files


def test_pip_booleans_and_no_cache(tmp_path: Path) -> None:
    env = environ(tmp_path, PIP_CONFIG_FILE=os.devnull, PIP_PRE="off", PIP_NO_CACHE_DIR="false")
    s = load_install_settings({}, env)
    assert not s.pre and s.no_cache  # pip: any PIP_NO_CACHE_DIR switches the cache off
    with pytest.raises(ConfigError, match="pre="):
        load_install_settings({}, {**env, "PIP_PRE": "maybe"})
    with pytest.raises(ConfigError, match="link-mode"):
        load_install_settings({"link-mode": "teleport"}, env)


def test_default_index_is_read_from_pip_itself(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip("pip is not importable here")
    assert default_index_url(tmp_path).rstrip("/") == proc.stdout.strip().rstrip("/")
    assert default_index_url(tmp_path) == default_index_url(tmp_path)  # cached
    assert (tmp_path / "default-index-v1.json").is_file()


def test_unpack_limits_and_executable_pth_refusal(tmp_path: Path) -> None:
    env = environ(tmp_path, PIP_CONFIG_FILE=os.devnull)
    defaults = load_install_settings({}, env).unpack
    assert defaults.max_size == 8 << 30 and defaults.max_files == 200_000
    assert defaults.max_ratio == 100 and not defaults.refuse_executable_pth
    cove_toml = tmp_path / "xdg" / "cove" / "cove.toml"
    cove_toml.parent.mkdir(parents=True)
    cove_toml.write_text(
        '[install]\narchive-max-size = "16G"\narchive-max-files = 500000\n'
        "refuse-executable-pth = true\n"
    )
    s = load_install_settings({}, env).unpack
    assert (s.max_size, s.max_files, s.refuse_executable_pth) == (16 << 30, 500_000, True)
    more = {**env, "COVE_ARCHIVE_MAX_SIZE": "1.5MiB", "COVE_ARCHIVE_MAX_RATIO": "250"}
    s = load_install_settings({}, {**more, "COVE_REFUSE_EXECUTABLE_PTH": "0"}).unpack
    assert (s.max_size, s.max_ratio, s.refuse_executable_pth) == (1572864, 250.0, False)
    for bad in ("-1", "0", "lots", "G"):
        with pytest.raises(ConfigError, match="archive-max-size"):
            load_install_settings({}, {**env, "COVE_ARCHIVE_MAX_SIZE": bad})


def test_unknown_keys_in_coves_own_configuration_are_warned(tmp_path: Path) -> None:
    env = environ(tmp_path, PIP_CONFIG_FILE=os.devnull, COVE_INDEX_URLL="https://typo.example",
                  COVE_CACHE_DIR=str(tmp_path), COVE_TEST_KILL_AT="link")  # fmt: skip
    cove_toml = tmp_path / "xdg" / "cove" / "cove.toml"
    cove_toml.parent.mkdir(parents=True)
    cove_toml.write_text('[install]\nprefer-binary = true\nlink-mod = "copy"\n')
    s = load_install_settings({}, env)
    assert s.prefer_binary and s.link_mode == "hardlink"
    assert s.warnings == (
        f"{cove_toml}: unknown setting 'link-mod' in [install] is ignored",
        "unknown setting COVE_INDEX_URLL is ignored",
    )
    assert load_install_settings({}, env, isolated=True).warnings == ()
    pip_only = environ(tmp_path / "b", PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1")
    assert load_install_settings({}, pip_only).warnings == ()  # pip's keys are pip's business


def test_retry_and_page_size_settings(tmp_path: Path) -> None:
    env = environ(tmp_path, PIP_CONFIG_FILE=os.devnull)
    s = load_install_settings({}, env)
    assert (s.retry_backoff, s.retry_after_max, s.page_max_size) == (0.25, 60.0, 128 << 20)
    cove_toml = tmp_path / "xdg" / "cove" / "cove.toml"
    cove_toml.parent.mkdir(parents=True)
    cove_toml.write_text('[install]\npage-max-size = "512M"\nretry-after-max = 5\n')
    s = load_install_settings({}, {**env, "COVE_RETRY_BACKOFF": "0.01"})
    assert (s.retry_backoff, s.retry_after_max, s.page_max_size) == (0.01, 5.0, 512 << 20)
    assert not s.warnings  # all three are settings cove knows
    with pytest.raises(ConfigError, match="page-max-size='none' is not a positive number"):
        load_install_settings({}, {**env, "COVE_PAGE_MAX_SIZE": "none"})
    with pytest.raises(ConfigError, match="retry-backoff='soon' is not a number"):
        load_install_settings({}, {**env, "COVE_RETRY_BACKOFF": "soon"})


def test_binary_options_are_canonical_name_sets(tmp_path: Path) -> None:
    """--only-binary/--no-binary values, from the configuration and the flags alike: comma- or
    space-separated names, canonical, :all: kept as it is, :none: emptying the set."""
    env = environ(tmp_path, PIP_CONFIG_FILE=os.devnull, PIP_ONLY_BINARY="Foo_Bar,Baz.Qux lxml")
    s = load_install_settings({"no-binary": [":all:"]}, env)
    assert s.only_binary == {"foo-bar", "baz-qux", "lxml"}
    assert s.no_binary == {":all:"}
    cleared = load_install_settings({"only-binary": ["numpy,:none:"]}, env)
    assert cleared.only_binary == frozenset()
