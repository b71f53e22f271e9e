"""Turn sdists and source trees into wheels for one target interpreter: build environments are
cove environments filled by cove's own installer, and wheels built from an sdist are cached by
the sdist's sha256 so the second install builds nothing."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from cove.build.backend import BuildError, build_wheel
from cove.build.sdist import sdist_format, unpack_sdist
from cove.cache import BUILT
from cove.python.interpreter import Interpreter

if TYPE_CHECKING:
    from cove.archive import UnpackPolicy

BUCKET = BUILT
Install = Callable[[Path, Sequence[str]], None]
Settings = Mapping[str, "str | list[str]"]


class Builder:
    def __init__(
        self,
        interpreter: Interpreter,
        cache_dir: Path,
        install: Install,
        *,
        isolation: bool = True,
        config_settings: Settings | None = None,
        project_settings: Mapping[str, Settings] | None = None,
        allowed: bool = True,
        unpack: UnpackPolicy | None = None,
    ) -> None:
        """``install`` puts requirements into a build environment; ``config_settings`` (the
        command line's -C) go to every build, ``project_settings`` (a requirements-file line's
        -C, by project name) to that project's, over the command line's key by key;
        ``allowed`` is False with --no-build; ``unpack`` limits what an sdist may unpack to."""
        self.interpreter = interpreter
        self.cache_dir = cache_dir
        self.install = install
        self.isolation = isolation
        self.config_settings = dict(config_settings or {})
        self.project_settings = {
            canonicalize_name(name): dict(settings)
            for name, settings in (project_settings or {}).items()
        }
        self.allowed = allowed
        self.unpack = unpack
        self._trees: dict[tuple[Path, bool], Path] = {}  # built once per run

    def _refuse(self, what: str) -> None:
        if not self.allowed:
            raise BuildError(
                f"{what} would have to be built from source, and --no-build forbids it",
                hint="drop --no-build, or pin a version that has a wheel for this platform",
            )

    def _make_env(self, path: Path) -> Path:
        from cove.venv.create import CreateOptions, create_environment

        created = create_environment(
            path,
            self.interpreter,
            CreateOptions(with_pip=False, gitignore=False),
            cache_dir=self.cache_dir,
            cwd=path.parent,
        )
        return Path(created.layout.python(created.path))

    def settings_for(self, project: str | None, own: Settings | None = None) -> Settings:
        """The backend settings of one build: the command line's, with the project's own (its
        requirements-file line's, or ``own`` for a project not yet named) over them."""
        merged = dict(self.config_settings)
        if project is not None:
            merged.update(self.project_settings.get(canonicalize_name(project), {}))
        merged.update(own or {})
        return merged

    def _build(
        self,
        source: Path,
        out: Path,
        label: str,
        editable: bool,
        settings: Settings,
        metadata_only: bool = False,
    ) -> Path:
        return build_wheel(
            source,
            out,
            python=self.interpreter.executable,
            make_env=self._make_env,
            install=self.install,
            editable=editable,
            isolation=self.isolation,
            config_settings=settings,
            label=label,
            metadata_only=metadata_only,
        )

    def _sdist_entry(self, sdist: Path, settings: Settings) -> Path:
        # One wheel per sdist, interpreter and backend settings: a build may depend on each. The
        # same bytes named .zip and .tar.gz are read as two archives (a polyglot is refused by
        # unpack_sdist), so a zip's builds are kept apart from a tar's.
        digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
        python_key = hashlib.sha256(self.interpreter.real_executable.encode()).hexdigest()[:16]
        python_key += _settings_key(settings)
        if sdist_format(sdist.name) == "zip":
            python_key += "-zip"
        return self.cache_dir / BUCKET / digest[:2] / digest / python_key

    def metadata_from_sdist(self, sdist: Path, label: str, project: str | None = None) -> bytes:
        """The core metadata the sdist would build, through prepare_metadata_for_build_wheel so
        that resolving does not need a whole build (cached like the wheel)."""
        self._refuse(label)
        settings = self.settings_for(project)
        entry = self._sdist_entry(sdist, settings)
        wheels = sorted(entry.glob("*.whl")) if entry.is_dir() else []
        if wheels:
            from cove.index.metadata import wheel_metadata

            return wheel_metadata(wheels[0])
        cached = entry.with_name(entry.name + ".METADATA")
        if cached.is_file():
            return cached.read_bytes()
        with tempfile.TemporaryDirectory(prefix="cove-sdist-") as scratch:
            tree = unpack_sdist(sdist, Path(scratch) / "src", self.unpack)
            info = self._build(
                tree, Path(scratch) / "meta", label, False, settings, metadata_only=True
            )
            data = (info / "METADATA").read_bytes()
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, cached)
        return data

    def from_sdist(self, sdist: Path, label: str, project: str | None = None) -> Path:
        """The wheel built from ``sdist`` (cached by its sha256)."""
        self._refuse(label)
        settings = self.settings_for(project)
        entry = self._sdist_entry(sdist, settings)
        found = sorted(entry.glob("*.whl")) if entry.is_dir() else []
        if found:
            return found[0]
        with tempfile.TemporaryDirectory(prefix="cove-sdist-") as scratch:
            tree = unpack_sdist(sdist, Path(scratch) / "src", self.unpack)
            staging = self.cache_dir / BUCKET / "incoming" / uuid.uuid4().hex
            try:
                wheel = self._build(tree, staging, label, False, settings)
                entry.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(OSError):  # another process cached it first
                    os.replace(staging, entry)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return entry / wheel.name

    def from_tree(
        self,
        tree: Path,
        label: str,
        editable: bool = False,
        cache_key: str | None = None,
        *,
        project: str | None = None,
        settings: Settings | None = None,
    ) -> Path:
        """A wheel (editable with ``editable``) built from a project directory. Only a tree
        that cannot change (a git commit, given as ``cache_key``) is cached across runs."""
        key = (tree.resolve(), editable)
        if key in self._trees:
            return self._trees[key]
        merged = self.settings_for(project, settings)
        if cache_key is not None:
            python_key = hashlib.sha256(self.interpreter.real_executable.encode()).hexdigest()
            python_key += _settings_key(merged)
            digest = hashlib.sha256(f"{cache_key}\0{python_key}".encode()).hexdigest()
            entry = self.cache_dir / BUCKET / "trees-by-commit" / digest
            found = sorted(entry.glob("*.whl")) if entry.is_dir() else []
            if found:
                return found[0]
        self._refuse(label)
        out = self.cache_dir / BUCKET / "trees" / uuid.uuid4().hex
        try:
            wheel = self._build(tree, out, label, editable, merged)
        except BuildError:
            shutil.rmtree(out, ignore_errors=True)
            raise
        if cache_key is not None:
            entry.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(out, entry)
                wheel = entry / wheel.name
            except OSError:
                pass  # another process cached it first; this run uses its own build
        self._trees[key] = wheel
        return wheel


def _settings_key(settings: Settings) -> str:
    """A cache key part for backend settings ("" without any: those keys stay as they were)."""
    if not settings:
        return ""
    import json

    return "-" + hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
