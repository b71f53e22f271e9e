"""The wheel layout (``plan_layout``): where every member of a wheel goes, what is written instead
of linked, and RECORD's rows, worked out without touching the environment."""

from __future__ import annotations

import csv
from pathlib import Path

from cove.cache.unpacked import unpack_wheel
from cove.install.wheel import (
    WheelLayout,
    dist_info_files,
    link_wheel,
    plan_layout,
    prepare_wheel,
)
from cove.venv.scheme import Scheme
from tests.support.dists import WheelSpec, build_wheel, record_hash

SITE = "lib/python3.12/site-packages"
FILES = {
    "demo/__init__.py": b"def main():\n    pass\n",
    "demo-1.0.data/purelib/demo_pure.py": b"PURE = 1\n",
    "demo-1.0.data/platlib/demo_native.py": b"NATIVE = 1\n",
    "demo-1.0.data/scripts/demo-tool": b"#!python\nprint('tool')\n",
    "demo-1.0.data/scripts/demo-sh": b"#!/bin/sh\necho hi\n",
    "demo-1.0.data/headers/demo.h": b"#define DEMO 1\n",
    "demo-1.0.data/data/share/demo/readme.txt": b"data\n",
}
LAUNCHER = (
    b"#!/venv/bin/python3\n"
    b"# -*- coding: utf-8 -*-\n"
    b"import re\n"
    b"import sys\n"
    b"from demo import main\n"
    b"if __name__ == '__main__':\n"
    b"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
    b"    sys.exit(main())\n"
)


def layout_of(tmp_path: Path, spec: WheelSpec, scheme: Scheme, env: Path) -> WheelLayout:
    wheel = build_wheel(tmp_path / "wheels", spec)
    unpacked = unpack_wheel(wheel, tmp_path / "cache")
    return plan_layout(
        wheel, unpacked, scheme, env, python="/venv/bin/python3", python_version=(3, 12),
        info_files=dist_info_files("pip", True, {"direct_url.json": b"{}"}),
    )  # fmt: skip


def relative(paths: list[str], env: Path) -> list[str]:
    return [str(Path(p).relative_to(env)) for p in paths]


def test_a_purelib_wheel_is_laid_out_where_pip_puts_it_in_a_venv(tmp_path: Path) -> None:
    env = tmp_path / "venv"
    scheme = Scheme.for_venv(env, site_packages=SITE, bin_dir="bin", python_short="3.12",
                             dist_name="demo")  # fmt: skip
    spec = WheelSpec("demo", files=FILES, entry_points="[console_scripts]\ndemo = demo:main\n",
                     executable=("demo-1.0.data/scripts/demo-tool",))  # fmt: skip
    layout = layout_of(tmp_path, spec, scheme, env)

    assert not env.exists()  # laid out, nothing made
    assert (layout.name, layout.version, layout.site) == ("demo", "1.0", str(env / SITE))
    assert layout.info_dir == str(env / SITE / "demo-1.0.dist-info")
    linked = {p.source.path: (p.dest, p.record) for p in layout.placements}
    dist_info = "demo-1.0.dist-info"
    assert linked == {
        "demo/__init__.py": (str(env / SITE / "demo/__init__.py"), "demo/__init__.py"),
        "demo-1.0.data/purelib/demo_pure.py": (str(env / SITE / "demo_pure.py"), "demo_pure.py"),
        "demo-1.0.data/platlib/demo_native.py": (
            str(env / SITE / "demo_native.py"),
            "demo_native.py",
        ),
        "demo-1.0.data/headers/demo.h": (
            str(env / "include/site/python3.12/demo/demo.h"),
            "../../../include/site/python3.12/demo/demo.h",
        ),
        "demo-1.0.data/data/share/demo/readme.txt": (
            str(env / "share/demo/readme.txt"),
            "../../../share/demo/readme.txt",
        ),
        f"{dist_info}/METADATA": (
            str(env / SITE / dist_info / "METADATA"),
            f"{dist_info}/METADATA",
        ),
        f"{dist_info}/WHEEL": (str(env / SITE / dist_info / "WHEEL"), f"{dist_info}/WHEEL"),
        f"{dist_info}/entry_points.txt": (
            str(env / SITE / dist_info / "entry_points.txt"),
            f"{dist_info}/entry_points.txt",
        ),
    }  # the wheel's own RECORD is not linked: it is written anew
    written = {str(Path(g.dest).relative_to(env)): (g.data, oct(g.mode)) for g in layout.generated}
    assert written == {
        "bin/demo-tool": (b"#!/venv/bin/python3\nprint('tool')\n", "0o755"),
        "bin/demo-sh": (b"#!/bin/sh\necho hi\n", "0o644"),  # not packed executable: as pip
        "bin/demo": (LAUNCHER, "0o755"),
        f"{SITE}/{dist_info}/INSTALLER": (b"pip\n", "0o644"),
        f"{SITE}/{dist_info}/REQUESTED": (b"", "0o644"),
        f"{SITE}/{dist_info}/direct_url.json": (b"{}", "0o644"),
    }
    rows = layout.record_rows()
    assert rows == sorted(rows)
    assert ("../../../bin/demo", record_hash(LAUNCHER), str(len(LAUNCHER))) in rows
    assert ("demo_pure.py", record_hash(b"PURE = 1\n"), "9") in rows
    assert (f"{dist_info}/RECORD", "", "") in rows
    assert [r[0] for r in rows] == sorted(
        [*(record for _, record in linked.values()), "../../../bin/demo-tool",
         "../../../bin/demo-sh", "../../../bin/demo", f"{dist_info}/INSTALLER",
         f"{dist_info}/REQUESTED", f"{dist_info}/direct_url.json", f"{dist_info}/RECORD"]
    )  # fmt: skip


def test_a_platlib_wheel_roots_in_platlib_and_records_purelib_relative_to_it(
    tmp_path: Path,
) -> None:
    """pip's scheme outside a venv can split purelib and platlib (lib/ and lib64/): the root of a
    Root-Is-Purelib: false wheel goes to platlib, and RECORD is relative to it."""
    env = tmp_path / "prefix"
    scheme = Scheme(
        purelib=env / "lib/python3.12/site-packages",
        platlib=env / "lib64/python3.12/site-packages",
        headers=env / "include/python3.12/demo",
        scripts=env / "bin",
        data=env,
    )
    layout = layout_of(tmp_path, WheelSpec("demo", files=FILES, purelib=False), scheme, env)
    platlib = env / "lib64/python3.12/site-packages"
    assert layout.site == str(platlib)
    assert layout.info_dir == str(platlib / "demo-1.0.dist-info")
    linked = {p.source.path: (p.dest, p.record) for p in layout.placements}
    assert linked["demo/__init__.py"] == (str(platlib / "demo/__init__.py"), "demo/__init__.py")
    assert linked["demo-1.0.data/purelib/demo_pure.py"] == (
        str(env / "lib/python3.12/site-packages/demo_pure.py"),
        "../../../lib/python3.12/site-packages/demo_pure.py",
    )
    assert linked["demo-1.0.data/platlib/demo_native.py"] == (
        str(platlib / "demo_native.py"),
        "demo_native.py",
    )
    assert linked["demo-1.0.data/headers/demo.h"][0] == str(env / "include/python3.12/demo/demo.h")


def test_pip_gets_its_versioned_launchers(tmp_path: Path) -> None:
    env = tmp_path / "venv"
    scheme = Scheme.for_venv(env, site_packages=SITE, bin_dir="bin", python_short="3.12",
                             dist_name="pip")  # fmt: skip
    eps = (
        "[console_scripts]\npip = pip._internal.cli.main:main\n"
        "pip3 = pip._internal.cli.main:main\npip3.9 = pip._internal.cli.main:main\n"
    )
    layout = layout_of(tmp_path, WheelSpec("pip", "24.0", entry_points=eps), scheme, env)
    launchers = sorted(g.dest for g in layout.generated if g.mode == 0o755)
    assert relative(launchers, env) == ["bin/pip", "bin/pip3", "bin/pip3.12"]


def test_the_rows_planned_are_the_record_written(tmp_path: Path) -> None:
    env = tmp_path / "venv"
    scheme = Scheme.for_venv(env, site_packages=SITE, bin_dir="bin", python_short="3.12",
                             dist_name="demo")  # fmt: skip
    spec = WheelSpec("demo", files=FILES, entry_points="[gui_scripts]\ndemo-gui = demo:main\n")
    wheel = build_wheel(tmp_path / "wheels", spec)
    env.mkdir()
    prepared = prepare_wheel(wheel, scheme, python="/venv/bin/python3", python_version=(3, 12),
                             cache_dir=tmp_path / "cache", env=env)  # fmt: skip
    assert prepared.existing == []
    assert relative(prepared.new_dirs, env)[:3] == ["lib", "lib/python3.12", SITE]
    link_wheel(prepared)
    record = Path(prepared.layout.record).read_text(encoding="utf-8")
    assert [tuple(row) for row in csv.reader(record.splitlines())] == (
        prepared.layout.record_rows()
    )
    for path, digest, _size in prepared.layout.record_rows():
        if digest:
            assert record_hash((env / SITE / path).resolve().read_bytes()) == digest, path
