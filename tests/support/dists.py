"""Build real wheels for tests, laid out the way build backends write them (correct RECORD)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class WheelSpec:
    """What a test wheel holds. Names keep their case in METADATA (``Flask``), as real ones do."""

    name: str
    version: str = "1.0"
    requires: Iterable[str] = ()
    extras: Mapping[str, Iterable[str]] = field(default_factory=dict)
    requires_python: str | None = None
    files: Mapping[str, bytes] | None = None  # default: <module>/__init__.py with __version__
    entry_points: str | None = None
    tag: str = "py3-none-any"
    purelib: bool = True
    executable: tuple[str, ...] = ()
    summary: str | None = None

    @property
    def module(self) -> str:
        return canonicalize_name(self.name).replace("-", "_")

    def metadata(self) -> str:
        lines = ["Metadata-Version: 2.1", f"Name: {self.name}", f"Version: {self.version}"]
        if self.summary:
            lines.append(f"Summary: {self.summary}")
        if self.requires_python:
            lines.append(f"Requires-Python: {self.requires_python}")
        lines += [f"Requires-Dist: {r}" for r in self.requires]
        for extra, reqs in self.extras.items():
            lines.append(f"Provides-Extra: {extra}")
            for r in reqs:
                marker = f'extra == "{extra}"'
                lines.append(
                    f"Requires-Dist: {r} and {marker}"
                    if ";" in r
                    else f"Requires-Dist: {r}; {marker}"
                )
        return "\n".join(lines) + "\n\n"

    @property
    def filename(self) -> str:
        dist = canonicalize_name(self.name).replace("-", "_")
        return f"{dist}-{self.version}-{self.tag}.whl"


def build_wheel(directory: Path, spec: WheelSpec) -> Path:
    """Write ``spec`` as a wheel file into ``directory`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = canonicalize_name(spec.name).replace("-", "_")
    dist_info = f"{dist}-{spec.version}.dist-info"
    members: dict[str, bytes] = dict(
        spec.files
        if spec.files is not None
        else {f"{spec.module}/__init__.py": f"__version__ = {spec.version!r}\n".encode()}
    )
    members[f"{dist_info}/METADATA"] = spec.metadata().encode()
    members[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: cove-tests\n"
        f"Root-Is-Purelib: {'true' if spec.purelib else 'false'}\nTag: {spec.tag}\n".encode()
    )
    if spec.entry_points:
        members[f"{dist_info}/entry_points.txt"] = spec.entry_points.encode()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for path, data in members.items():
        writer.writerow([path, record_hash(data), len(data)])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    members[f"{dist_info}/RECORD"] = buf.getvalue().encode()
    wheel = directory / spec.filename
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in members.items():
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if path in spec.executable else 0o100644) << 16
            zf.writestr(info, data)
    return wheel


def wheel_metadata(wheel: Path) -> bytes:
    """The METADATA member of a wheel, as served for PEP 658."""
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return zf.read(name)


_SDIST_BACKEND = """\
import base64, hashlib, os, zipfile

NAME, VERSION, METADATA = {dist!r}, {version!r}, {metadata!r}
DIST_INFO = NAME + "-" + VERSION + ".dist-info"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    os.makedirs(os.path.join(metadata_directory, DIST_INFO))
    with open(os.path.join(metadata_directory, DIST_INFO, "METADATA"), "w") as f:
        f.write(METADATA)
    return DIST_INFO


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    members = {{
        NAME + ".py": "__version__ = %r\\n" % VERSION,
        DIST_INFO + "/METADATA": METADATA,
        DIST_INFO + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: cove-tests\\n"
        "Root-Is-Purelib: true\\nTag: py3-none-any\\n",
    }}
    record = ""
    for path, text in members.items():
        digest = hashlib.sha256(text.encode()).digest()
        b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record += "%s,sha256=%s,%d\\n" % (path, b64, len(text.encode()))
    members[DIST_INFO + "/RECORD"] = record + DIST_INFO + "/RECORD,,\\n"
    name = NAME + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, text in members.items():
            zf.writestr(path, text)
    return name


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("this test sdist is built by the test suite")
"""


def build_sdist(
    directory: Path, name: str, version: str, requires_python: str | None = None
) -> Path:
    """A source distribution any PEP 517 frontend can build offline, with no build dependency:
    its pyproject.toml points at a small backend inside it."""
    import tarfile

    directory.mkdir(parents=True, exist_ok=True)
    dist = canonicalize_name(name).replace("-", "_")
    root = f"{dist}-{version}"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        metadata += f"Requires-Python: {requires_python}\n"
    members = {
        "PKG-INFO": metadata,
        "pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "_backend"\nbackend-path = ["."]\n'
        ),
        "_backend.py": _SDIST_BACKEND.format(dist=dist, version=version, metadata=metadata),
        f"{dist}.py": f"__version__ = {version!r}\n",
    }
    sdist = directory / f"{root}.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size, info.mtime, info.mode = len(data), 1577836800, 0o644
            tf.addfile(info, io.BytesIO(data))
    return sdist


_EDITABLE_BACKEND = """\
import base64, hashlib, os, zipfile

NAME, VERSION = {name!r}, {version!r}
DIST = NAME.lower().replace("-", "_").replace(".", "_")
DIST_INFO = DIST + "-" + VERSION + ".dist-info"
METADATA = "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)


def _wheel(wheel_directory, members):
    record = ""
    for path, text in members.items():
        digest = hashlib.sha256(text.encode()).digest()
        b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record += "%s,sha256=%s,%d\\n" % (path, b64, len(text.encode()))
    members[DIST_INFO + "/RECORD"] = record + DIST_INFO + "/RECORD,,\\n"
    name = DIST + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, text in members.items():
            zf.writestr(path, text)
    return name


def _meta():
    return {{
        DIST_INFO + "/METADATA": METADATA,
        DIST_INFO + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: cove-tests\\n"
        "Root-Is-Purelib: true\\nTag: py3-none-any\\n",
    }}


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
    members = _meta()
    for entry in sorted(os.listdir(src)):
        with open(os.path.join(src, entry)) as f:
            members[entry] = f.read()
    return _wheel(wheel_directory, members)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src")
    members = _meta()
    members["__editable__." + DIST + ".pth"] = src + "\\n"
    return _wheel(wheel_directory, members)


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError
"""


def source_project(where: Path, name: str, version: str = "0.3") -> Path:
    """A project directory pip (and cove) can build or install editable offline: a PEP 517/660
    backend inside it, modules under ``src/``."""
    (where / "src").mkdir(parents=True)
    (where / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "_backend"\nbackend-path = ["."]\n'
    )
    (where / "_backend.py").write_text(_EDITABLE_BACKEND.format(name=name, version=version))
    module = canonicalize_name(name).replace("-", "_")
    (where / "src" / f"{module}.py").write_text(f"VALUE = {version!r}\n")
    return where
