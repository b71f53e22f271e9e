"""Real wheels for the benches, downloaded once with the machine's pip into a bench-only
directory (never into the repository) and reused by every later run.

    python bench/wheelhouse.py large            # jupyterlab pandas matplotlib, for CPython 3.12
    python bench/wheelhouse.py seed             # requests==2.31.0 flask==3.0.0
    python bench/wheelhouse.py 'rich>=13' httpx # any other set (a directory named by its hash)

Prints the directory, which ``bench/index_server.py --root`` serves. ``--pages`` also keeps the
default index's own PEP 691 pages of those projects (every version's files, as large as users
get them) in ``<dir>/pages/``, for ``index_server.py --real-pages``: one request per project,
the same a single resolution makes, to the index pip uses by default (its address is asked of
pip, never written here).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

DEFAULT_ROOT = Path("/tmp/cove-bench-wheels")
SETS = {
    "seed": ["requests==2.31.0", "flask==3.0.0"],
    "large": ["jupyterlab", "pandas", "matplotlib"],
}
MARKER = "wheelhouse.json"  # written last: a directory without it is refetched


def requirements_of(names: list[str]) -> tuple[str, list[str]]:
    """A set's name (a directory name) and its requirements: a known set, or the
    requirements themselves."""
    if len(names) == 1 and names[0] in SETS:
        return names[0], SETS[names[0]]
    if names == SETS["seed"] or names == SETS["large"]:
        return next(k for k, v in SETS.items() if v == names), names
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]
    return f"set-{digest}", names


def ensure_wheels(names: list[str], python: str, root: Path = DEFAULT_ROOT) -> Path:
    """The directory holding the wheels of ``names`` for ``python``; fetched with that
    interpreter's pip (the machine's configuration, so its mirrors) when not there yet."""
    label, requirements = requirements_of(names)
    into = root / label
    marker = into / MARKER
    if marker.is_file() and json.loads(marker.read_text())["requirements"] == requirements:
        return into
    into.mkdir(parents=True, exist_ok=True)
    print(f"fetching the wheels of {' '.join(requirements)} into {into}", file=sys.stderr)
    download = [python, "-m", "pip", "download", "-q", "--only-binary", ":all:", "-d", str(into)]
    subprocess.run([*download, *requirements], check=True)
    files = sorted(p.name for p in into.glob("*.whl"))
    marker.write_text(
        json.dumps({"requirements": requirements, "python": python, "files": files}, indent=1)
    )
    return into


def default_index(python: str) -> str:
    """The index pip uses with no configuration, as that interpreter's pip says."""
    ask = "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
    done = subprocess.run([python, "-c", ask], capture_output=True, text=True, check=True)
    return done.stdout.strip().rstrip("/") + "/"


def capture_pages(into: Path, python: str) -> Path:
    """``into/pages/<project>.json``: the default index's JSON page of every project in
    ``into``, fetched once (kept when there)."""
    import urllib.request

    from packaging.utils import canonicalize_name, parse_wheel_filename

    pages = into / "pages"
    pages.mkdir(exist_ok=True)
    index = default_index(python)
    names = sorted({str(canonicalize_name(parse_wheel_filename(p.name)[0])) for p in
                    into.glob("*.whl")})  # fmt: skip
    for name in names:
        target = pages / f"{name}.json"
        if target.is_file():
            continue
        request = urllib.request.Request(
            f"{index}{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
        )
        with urllib.request.urlopen(request, timeout=60) as resp:
            body = resp.read()
        json.loads(body)  # a page, not an error
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(body)
        tmp.replace(target)
    return pages


def main() -> int:
    from bench.bench_create import newest_pyenv

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("requirements", nargs="+", help="a set (seed, large) or requirements")
    parser.add_argument("--python", help="the interpreter wheels are for (default: pyenv 3.12)")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--pages", action="store_true", help="keep the real index pages too")
    args = parser.parse_args()
    python = args.python or newest_pyenv("3.12")
    into = ensure_wheels(args.requirements, python, args.root)
    if args.pages:
        capture_pages(into, python)
    print(into)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
