"""Differential test: a corpus of requirements files, written from pip's documented format,
parsed by cove and by pip's own parser (pip run from its wheel, one subprocess for the whole
corpus), must yield the same requirements, markers, extras, URLs, per-requirement options
(hashes, config settings), file options and errors. Where cove deliberately refuses what pip
lets through to fail later, the case says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from packaging.utils import canonicalize_name

from cove.names import option_names
from cove.requirements.files import Requirements, RequirementsError, parse_file

ORACLE = Path(__file__).parents[2] / "support" / "pip_requirements.py"
PYENV = Path.home() / ".pyenv" / "versions"
DEFAULT = "<default index>"  # the oracle's stand-in for the index pip starts with
HEX = "a" * 64


@dataclass(frozen=True)
class Case:
    id: str
    text: str | bytes  # requirements.txt; "{root}" becomes the case's directory
    files: dict[str, str] = field(default_factory=dict)  # more files beside it
    environ: dict[str, str] = field(default_factory=dict)
    error_line: int | None = None  # pip and cove both refuse it, cove naming this line
    stricter: str = ""  # pip accepts it (to fail later or never); cove refuses now, for this reason
    warns: bool = False  # cove must warn (pip ignores part of the line, silently or not)


BASE = "click\n-c pins.txt\n"
CORPUS = [
    # requirement specifiers, markers, extras (PEP 508, as pip's format page shows them)
    Case("plain-names", "pytest\npytest-cov\nbeautifulsoup4\n"),
    Case("specifier", "docopt == 0.6.1\nrequests>=2.8.1,<3\n"),
    Case("extras-specifier-marker",
         'requests [security] >= 2.8.1, == 2.8.* ; python_version < "2.7"\n'),
    Case("marker-win32", 'winonly ; sys_platform == "win32"\n'),
    Case("marker-no-spaces", 'winonly;sys_platform=="win32"\n'),
    Case("marker-single-quotes", "foo ; python_version >= '3.8' and os_name == 'posix'\n"),
    Case("marker-parentheses",
         'foo>=1 ; (python_version < "3.9" or platform_machine == "x86_64") and os_name != "nt"\n'),
    Case("pep508-url", "urllib3 @ https://h.example/urllib3/archive/refs/tags/1.26.8.zip\n"),
    Case("pep508-url-extras-marker",
         'pkg[a,b] @ https://h.example/pkg-1.0.tar.gz ; sys_platform == "win32"\n'),
    Case("pep508-url-with-fragment", f"demo @ https://h.example/demo-1.0-py3-none-any.whl#sha256={HEX}\n"),
    Case("pep508-git-url-with-at", "pkg @ git+https://user@h.example/repo.git@v1.0\n"),
    Case("pep508-file-url", "static-proj @ file://{root}/proj\n"),
    # comments, continuations, variables
    Case("comments", "# a comment\n\n   # indented comment\nfoo==1.0  # pinned\nbar\t# tab\n"),
    Case("hash-sign-inside-url-is-no-comment",
         f"https://h.example/demo-1.0-py3-none-any.whl#sha256={HEX}\n"),
    Case("continuation", "foo \\\n  ==1.0\n"),
    Case("continuation-with-hashes",
         f"foo==1.0 \\\n    --hash=sha256:{'A' * 64} \\\n    --hash=sha256:{'b' * 64}\nbar==2\n"),
    Case("continuation-ended-by-comment-line", "foo==1.0 \\\n# ends the line\nbar\n"),
    Case("comment-line-after-backslash-without-space", "foo==1.0\\\n# a comment\nbar\n"),
    Case("comment-after-continued-hash",
         f"foo==1.0 \\\n    --hash=sha256:{HEX}  # from pip-compile\nbar\n"),
    Case("comment-ending-in-backslash-swallows-next-line", "foo==1.0  # note \\\nbar==2.0\nbaz\n"),
    Case("crlf", "foo==1.0\r\nbar \\\r\n  >=2\r\n"),
    Case("variables", "${PKG}==1.0\nfoo @ https://${HOST}/foo-1.0.tar.gz\n",
         environ={"PKG": "click", "HOST": "h.example"}),
    Case("variables-only-upper-braced",
         "--extra-index-url https://h.example/${lower}/$HOME/${UNSET_VAR}/${EMPTY}/simple\n",
         environ={"EMPTY": ""}),
    # paths, archives, directories, URLs
    Case("wheel-paths", "./dist/demo-1.0-py3-none-any.whl\ndist/demo-1.0-py3-none-any.whl\n"),
    Case("wheel-path-extras-marker",
         './dist/demo-1.0-py3-none-any.whl[fast] ; python_version >= "3"\n'),
    Case("absolute-wheel-path", "{root}/dist/demo-1.0-py3-none-any.whl\n"),
    Case("sdist-path", "./dist/sd_pkg-2.0.tar.gz\n"),
    Case("project-directories", "./proj\n./proj[dev] ; python_version >= '3'\n./legacy\n"),
    Case("file-url-directory", "file://{root}/proj\n"),
    Case("wheel-url-marker",
         'https://h.example/x/demo-1.0-py3-none-any.whl ; python_version > "3"\n'),
    Case("sdist-url-egg", "https://h.example/dl/archive.tar.gz#egg=named\n"),
    Case("git-egg-subdirectory", "git+https://h.example/repo.git@v1.0#egg=gitproj&subdirectory=pkg\n"),
    Case("git-ssh-with-at", "git+ssh://git@h.example/org/repo.git@main#egg=sshproj\n"),
    # -e
    Case("editable-extras", "-e ./proj[dev]\n--editable=./legacy\n"),
    Case("editable-git", "-e git+https://h.example/repo.git@v1.0#egg=gitproj\n"
                         "-e git+https://h.example/repo.git#egg=other&subdirectory=pkg\n"),
    Case("editable-config-settings", "-e ./proj -C editable_mode=strict\n"),
    Case("editable-marker-ignored", '-e ./proj ; sys_platform == "x"\n', warns=True),
    Case("editable-hash-ignored", f"-e ./proj --hash=sha256:{HEX}\n", warns=True),
    # per-requirement options
    Case("hashes", f"foo==1.0 --hash=sha256:{HEX} --hash sha384:{'c' * 96}\n"
                   f"bar==1 --hash=sha512:{'d' * 128}\n"),
    Case("config-settings",
         'foo -C key=value --config-settings="other=with space" -C key=second\n'),
    Case("hash-without-requirement", f"--hash=sha256:{HEX}\nfoo\n", warns=True),
    Case("file-option-on-requirement-line", "foo==1.0 --pre\n", warns=True),
    # options for the whole file
    Case("index-url", "-i https://h.example/simple\nfoo\n"),
    Case("index-url-equals-and-alias", "--index-url=https://h.example/simple\n"),
    Case("extra-index-urls",
         "--extra-index-url https://a.example/simple\n--extra-index-url=https://b.example/simple\n"),
    Case("no-index-find-links", "--no-index\n-f ./wheels\n--find-links=https://h.example/links/\n"
                                "-fwheels\n--find-links not-there\n"),
    Case("flags", "--pre\n--prefer-binary\n--require-hashes\n--trusted-host h.example\n"),
    Case("several-options-on-one-line", "--pre --no-index --find-links ./wheels\n"),
    Case("binary-choices", "--only-binary :all:\n--no-binary=foo,Bar_Baz\n"),
    Case("abbreviated-long-options", "--extra-index https://a.example/simple\n--no-i\n"),
    Case("use-feature", "--use-feature=fast-deps\nfoo\n"),
    # nested files
    Case("nested", "-r sub/base.txt\nflask\n",
         files={"sub/base.txt": BASE, "sub/pins.txt": "click<9\n"}),
    Case("nested-glued-and-equals", "-rsub/base.txt\n--constraint=sub/pins.txt\n",
         files={"sub/base.txt": BASE, "sub/pins.txt": "click<9\n"}),
    Case("constraint-with-url-and-marker",
         '-c pins.txt\n',
         files={"pins.txt": 'demo @ https://h.example/demo-1.0-py3-none-any.whl\n'
                            'foo<2 ; sys_platform == "win32"\n'}),
    # encodings
    Case("utf8-bom", b"\xef\xbb\xbffoo==1.0\n"),
    Case("pep263-latin1", "# -*- coding: latin-1 -*-\nfoo ; platform_release == 'café'\n"
         .encode("latin-1")),
    Case("utf16-bom", "foo==1.0\nbar\n".encode("utf-16")),
    # refused by both
    Case("invalid-specifier", "ok\nfoo>>2\n", error_line=2),
    Case("single-equals", "foo=1.0\n", error_line=1),
    Case("glued-comment", "foo==1.0#comment\n", error_line=1),
    Case("invalid-marker", 'foo ; python_version <> "3"\n', error_line=1),
    Case("tab-before-option", f"foo==1.0\t--hash=sha256:{HEX}\n", error_line=1),
    Case("unknown-option", "ok\n--bogus\n", error_line=2),
    Case("command-line-only-option", "--no-deps\n", error_line=1),
    Case("ambiguous-option", "--no\n", error_line=1),
    Case("option-without-value", "foo\n-r\n", error_line=2),
    Case("flag-with-value", "--pre=yes\n", error_line=1),
    Case("unbalanced-quote", 'foo --hash="sha256:abc\n', error_line=1),
    Case("weak-hash", "foo --hash=md5:abc\n", error_line=1),
    Case("hash-without-algorithm", "foo --hash=abc\n", error_line=1),
    Case("config-setting-without-value", "foo -C novalue\n", error_line=1),
    Case("unknown-feature", "--use-feature=no-such-feature\n", error_line=1),
    Case("directory-without-project", "./empty\n", error_line=1),
    Case("invalid-wheel-name", "./dist/not-a-wheel.whl\n", error_line=1),
    Case("editable-missing-directory", "-e ./missing\n", error_line=1),
    Case("editable-git-without-egg", "-e git+https://h.example/repo.git\n", error_line=1),
    Case("editable-not-a-project", "-e foo==1.0\n", error_line=1),
    Case("missing-nested-file", "foo\n-r nowhere.txt\n", error_line=2),
    Case("constraint-editable", "-c pins.txt\n", files={"pins.txt": "-e ./proj\n"}),
    Case("constraint-unnamed", "-c pins.txt\n", files={"pins.txt": "./legacy\n"}),
    Case("constraint-extras", "-c pins.txt\n", files={"pins.txt": "foo[bar]<2\n"}),
    # pip lets these through, to fail later (or to install something else); cove stops here
    Case("missing-archive", "./dist/missing-1.0.tar.gz\n",
         stricter="a file that does not exist cannot be installed"),
    Case("git-without-egg", "git+https://h.example/repo.git\n",
         stricter="cove needs the name before cloning (#egg= or NAME @ URL)"),
    Case("archive-url-without-name", "https://h.example/archive/main.zip\n",
         stricter="cove needs the name before downloading (#egg= or NAME @ URL)"),
    Case("other-vcs", "hg+https://h.example/repo#egg=hgproj\n",
         stricter="cove installs from git repositories only"),
]  # fmt: skip


def _lay_out(root: Path, case: Case) -> Path:
    """The case's directory: its files plus projects, archives and folders the lines name."""
    root.mkdir(parents=True)
    (root / "proj").mkdir()
    (root / "proj" / "pyproject.toml").write_text('[project]\nname = "static-proj"\n')
    (root / "legacy").mkdir()
    (root / "legacy" / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (root / "empty").mkdir()
    (root / "wheels").mkdir()
    (root / "dist").mkdir()
    for name in ("demo-1.0-py3-none-any.whl", "sd_pkg-2.0.tar.gz", "not-a-wheel.whl"):
        (root / "dist" / name).write_bytes(b"")
    for name, text in case.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text.replace("{root}", str(root)))
    data = case.text if isinstance(case.text, bytes) else case.text.replace("{root}", str(root))
    target = root / "requirements.txt"
    if isinstance(data, bytes):
        target.write_bytes(data)
    else:
        target.write_text(data)
    return root


def _pip_wheel() -> Path | None:
    """The newest pip wheel bundled with a pyenv interpreter (per-line -C needs pip 23.1+)."""
    found = []
    for wheel in PYENV.glob("*/lib/python3*/ensurepip/_bundled/pip-*.whl"):
        version = tuple(int(p) for p in wheel.name.split("-")[1].split(".") if p.isdigit())
        if version >= (23, 1):
            found.append((version, wheel))
    return max(found)[1] if found else None


@pytest.fixture(scope="session")
def pip_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What pip's parser makes of every case, from one pip process for the whole corpus."""
    wheel = _pip_wheel()
    if wheel is None:
        pytest.skip("needs a pip wheel (23.1 or newer) bundled with a pyenv interpreter")
    base = tmp_path_factory.mktemp("pip-corpus")
    dirs = [_lay_out(base / case.id, case) for case in CORPUS]
    cases = [
        {"dir": str(where), "file": "requirements.txt", "environ": case.environ}
        for case, where in zip(CORPUS, dirs, strict=True)
    ]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    proc = subprocess.run(
        [sys.executable, "-I", str(ORACLE), str(wheel)],
        input=json.dumps(cases), capture_output=True, text=True, env=environ, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    return {
        "pip": out["pip"],
        "dirs": {case.id: where for case, where in zip(CORPUS, dirs, strict=True)},
        "results": dict(zip((c.id for c in CORPUS), out["results"], strict=True)),
    }


def _url(url: str | None) -> str | None:
    """A URL compared without its egg= fragment part (a name, which cove keeps apart)."""
    if url is None:
        return None
    head, _, fragment = unquote(url).partition("#")
    kept = [p for p in fragment.split("&") if p and not p.startswith("egg=")]
    return head + ("#" + "&".join(kept) if kept else "")


def _from_pip(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in result["requirements"]:
        out.append({
            "where": f"{r['file']}:{r['line']}",
            "name": canonicalize_name(r["name"]) if r["name"] else None,
            "specifier": "" if r["url"] else r["specifier"],
            "extras": sorted(canonicalize_name(e) for e in r["extras"]),
            "marker": r["marker"],
            "url": _url(r["url"]),
            "editable": r["editable"],
            "constraint": r["constraint"],
            "hashes": sorted(h.lower() for h in r["hashes"]),
            "config_settings": r["config_settings"],
        })  # fmt: skip
    return sorted(out, key=lambda r: r["where"])


def _from_cove(reqs: Requirements, root: Path) -> list[dict[str, Any]]:
    from cove.requirements.files import settings_dict

    def where(source: str) -> str:
        path, _, line = source.rpartition(":")
        return f"{Path(path).relative_to(root).as_posix()}:{line}"

    out = []
    for line in reqs.lines:
        req = line.requirement
        out.append({
            "where": where(line.source),
            "name": canonicalize_name(req.name),
            "specifier": "" if req.url else str(req.specifier),
            "extras": sorted(canonicalize_name(e) for e in req.extras),
            "marker": str(req.marker) if req.marker is not None else None,
            "url": _url(req.url),
            "editable": line.editable,
            "constraint": line.constraint,
            "hashes": sorted(line.hashes),
            "config_settings": settings_dict(line.config_settings),
        })  # fmt: skip
    for unnamed in reqs.unnamed:
        out.append({
            "where": where(unnamed.source),
            "name": None,
            "specifier": "",
            "extras": sorted(unnamed.extras),
            "marker": str(unnamed.marker) if unnamed.marker is not None else None,
            "url": _url(unnamed.path.as_uri()),
            "editable": unnamed.editable,
            "constraint": False,
            "hashes": [],
            "config_settings": settings_dict(unnamed.config_settings),
        })  # fmt: skip
    return sorted(out, key=lambda r: r["where"])


def _options(reqs: Requirements) -> dict[str, Any]:
    opts = reqs.options
    indexes = [] if opts.no_index else [opts.index_url or DEFAULT, *opts.extra_index_urls]
    return {
        "index_urls": indexes,
        "no_index": opts.no_index,
        "find_links": [os.path.normpath(f) for f in opts.find_links],
        "pre": opts.pre,
        "prefer_binary": opts.prefer_binary,
        "require_hashes": opts.require_hashes,
        "trusted_hosts": opts.trusted_hosts,
        "only_binary": sorted(option_names(opts.only_binary)),
        "no_binary": sorted(option_names(opts.no_binary)),
    }


def _pip_options(result: dict[str, Any]) -> dict[str, Any]:
    opts = dict(result["options"])
    opts.pop("features")  # pip's features change nothing in cove
    opts["find_links"] = [os.path.normpath(f) for f in opts["find_links"]]
    return opts


def test_the_corpus_covers_pip_format() -> None:
    assert len(CORPUS) >= 40 and len({c.id for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_cove_reads_requirements_files_as_pip_does(case: Case, pip_results: dict[str, Any]) -> None:
    theirs = pip_results["results"][case.id]
    root = pip_results["dirs"][case.id]
    try:
        ours: Requirements | RequirementsError = parse_file(
            root / "requirements.txt", case.environ, cwd=root
        )
    except RequirementsError as exc:
        ours = exc
    if case.stricter:
        assert theirs["error"] is None, f"pip {pip_results['pip']} refuses it: {theirs['error']}"
        assert isinstance(ours, RequirementsError), f"cove accepts it ({case.stricter})"
        assert "requirements.txt:1" in ours.message and ours.hint
        return
    if theirs["error"] is not None:
        assert isinstance(ours, RequirementsError), f"pip refuses it: {theirs['error']}"
        assert ours.hint, ours.message
        named = (
            "requirements.txt" if case.error_line is None else f"requirements.txt:{case.error_line}"
        )
        assert named in ours.message or "pins.txt:1" in ours.message, ours.message
        return
    assert not isinstance(ours, RequirementsError), f"pip accepts it; cove: {ours.message}"
    mine, pips = _from_cove(ours, root), _from_pip(theirs)
    for m, p in zip(mine, pips, strict=False):
        if p["name"] is None:  # pip learns it from a build; cove read it from the project
            m["name"] = None
    assert mine == pips
    assert _options(ours) == _pip_options(theirs)
    if theirs["warnings"] or case.warns:
        assert ours.warnings, f"pip warns {theirs['warnings']}; cove says nothing"
    else:
        assert ours.warnings == []
