"""The probe tells musl from glibc by the loader an interpreter names, as PEP 656 needs."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import pytest

from cove.python import probe_script


def _elf(path: Path, interp: bytes, *, wide: bool, order: str) -> None:
    """A minimal ELF file whose only program header is a PT_INTERP naming ``interp``."""
    if wide:
        phoff, phentsize = 64, 56
        header = struct.pack(order + "HHIQQQIHHHHHH", 2, 62, 1, 0, phoff, 0, 0, 64, phentsize, 1,
                             0, 0, 0)  # fmt: skip
        data_at = phoff + phentsize
        phdr = struct.pack(order + "IIQQQQQQ", 3, 4, data_at, 0, 0, len(interp), len(interp), 1)
    else:
        phoff, phentsize = 52, 32
        header = struct.pack(order + "HHIIIIIHHHHHH", 2, 3, 1, 0, phoff, 0, 0, 52, phentsize, 1,
                             0, 0, 0)  # fmt: skip
        data_at = phoff + phentsize
        phdr = struct.pack(order + "IIIIIIII", 3, data_at, 0, 0, len(interp), len(interp), 4, 1)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if order == "<" else 2, 1]) + bytes(9)
    path.write_bytes(ident + header + phdr + interp)


@pytest.mark.parametrize("wide, order", [(True, "<"), (False, "<"), (False, ">"), (True, ">")])
def test_reads_the_loader_an_elf_names(tmp_path: Path, wide: bool, order: str) -> None:
    exe = tmp_path / "python"
    _elf(exe, b"/lib/ld-musl-x86_64.so.1\0", wide=wide, order=order)
    assert probe_script._elf_interpreter(str(exe)) == "/lib/ld-musl-x86_64.so.1"


def test_not_an_elf_names_no_loader(tmp_path: Path) -> None:
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\n")
    assert probe_script._elf_interpreter(str(script)) == ""
    assert probe_script._elf_interpreter(str(tmp_path / "missing")) == ""


@pytest.mark.skipif(sys.platform != "linux", reason="ELF and shell scripts")
def test_this_interpreter_names_its_loader() -> None:
    loader = probe_script._elf_interpreter(os.path.realpath(sys.executable))
    assert loader and Path(loader).exists()


@pytest.mark.skipif(os.name != "posix", reason="runs a shell script as the loader")
def test_musl_version_from_the_loader_banner(tmp_path: Path) -> None:
    loader = tmp_path / "ld-musl-x86_64.so.1"
    banner = "musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\nUsage: ...\n"
    loader.write_text(f"#!/bin/sh\nprintf '{banner}' >&2\nexit 1\n")
    loader.chmod(0o755)
    assert probe_script._musl_version(str(loader)) == "1.2.4"
    loader.write_text("#!/bin/sh\necho 'ld.so (GNU libc) stable release version 2.36' >&2\n")
    assert probe_script._musl_version(str(loader)) == ""
    assert probe_script._musl_version(str(tmp_path / "missing")) == ""
