"""The oracle of the differential test: pip's own requirements-file parser, run from a pip wheel
on sys.path, prints what it makes of each case as JSON.

    python pip_requirements.py PIP_WHEEL < cases.json > results.json

Each case is {"dir": ..., "file": ..., "environ": {...}}: the file is parsed with the working
directory at "dir" and those environment variables set. Each result holds the requirements
(name, specifier, extras, marker, url, editable, constraint, hashes, config settings, line),
the options the file set (indexes, find-links, flags, trusted hosts, binary choices), pip's
warnings, and the error pip stopped with, if any. Only pip's public-by-use entry points are
called: parse_requirements, install_req_from_parsed_requirement and, for constraints, the check
pip's resolver makes before it starts, with a finder and a session stubbed to the few attributes
they touch."""

from __future__ import annotations

import json
import logging
import optparse
import os
import re
import sys
from typing import Any

DEFAULT_INDEX = "<default index>"


class _Finder:
    """What handle_option_line reads and writes on a PackageFinder."""

    def __init__(self) -> None:
        from pip._internal.models.format_control import FormatControl
        from pip._internal.models.search_scope import SearchScope

        self.search_scope = SearchScope(find_links=[], index_urls=[DEFAULT_INDEX], no_index=False)
        self.format_control = FormatControl(set(), set())
        self.pre = False
        self.prefer_binary = False

    @property
    def find_links(self) -> list[str]:
        return self.search_scope.find_links

    @property
    def index_urls(self) -> list[str]:
        return self.search_scope.index_urls

    def set_allow_all_prereleases(self) -> None:
        self.pre = True

    def set_prefer_binary(self) -> None:
        self.prefer_binary = True


class _Session:
    """What the parser asks of a PipSession for files on disk."""

    def __init__(self) -> None:
        self.trusted_hosts: list[str] = []

    def update_index_urls(self, urls: list[str]) -> None:
        pass

    def add_trusted_host(self, host: str, source: str | None = None) -> None:
        self.trusted_hosts.append(host)

    def get(self, url: str) -> Any:
        raise OSError(f"the oracle reads no requirements file over the network ({url})")


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _requirement(ireq: Any) -> dict[str, Any]:
    req = ireq.req
    line = re.search(r"\(line (\d+)\)", str(ireq.comes_from or ""))
    return {
        "name": req.name if req is not None else None,
        "specifier": str(req.specifier) if req is not None else "",
        "extras": sorted(ireq.extras),
        "marker": str(ireq.markers) if ireq.markers is not None else None,
        "url": ireq.link.url if ireq.link is not None else None,
        "editable": bool(ireq.editable),
        "constraint": bool(ireq.constraint),
        "hashes": sorted(
            f"{algo}:{digest}" for algo, digests in ireq.hash_options.items() for digest in digests
        ),
        "config_settings": ireq.config_settings or {},
        "global_options": list(ireq.global_options or []),
        "file": str(ireq.comes_from).split(" ", 1)[1].rsplit(" (line", 1)[0],
        "line": int(line.group(1)) if line else None,
    }


def parse(case: dict[str, Any]) -> dict[str, Any]:
    from pip._internal.exceptions import InstallationError
    from pip._internal.req.constructors import install_req_from_parsed_requirement
    from pip._internal.req.req_file import parse_requirements
    from pip._internal.req.req_install import check_invalid_constraint_type

    saved = dict(os.environ)
    os.environ.update(case.get("environ", {}))
    os.chdir(case["dir"])
    finder, session = _Finder(), _Session()
    options = optparse.Values({"require_hashes": False, "features_enabled": []})
    warnings = _Warnings()
    logging.getLogger("pip").addHandler(warnings)
    requirements: list[dict[str, Any]] = []
    error = None
    try:
        for parsed in parse_requirements(
            case["file"], session, finder=finder, options=options,  # type: ignore[arg-type]
            constraint=case.get("constraint", False),
        ):  # fmt: skip
            per_line = parsed.options or {}
            ireq = install_req_from_parsed_requirement(
                parsed, user_supplied=True, config_settings=per_line.get("config_settings")
            )
            if ireq.constraint:  # what pip's resolver refuses before it starts
                problem = check_invalid_constraint_type(ireq)
                if problem:
                    raise InstallationError(problem)
            requirements.append(_requirement(ireq))
    except Exception as exc:
        error = {"type": type(exc).__name__, "message": str(exc)}
    finally:
        logging.getLogger("pip").removeHandler(warnings)
        os.environ.clear()
        os.environ.update(saved)
    scope = finder.search_scope
    return {
        "requirements": requirements,
        "options": {
            "index_urls": list(scope.index_urls),
            "no_index": scope.no_index,
            "find_links": list(scope.find_links),
            "pre": finder.pre,
            "prefer_binary": finder.prefer_binary,
            "require_hashes": bool(options.require_hashes),
            "trusted_hosts": session.trusted_hosts,
            "only_binary": sorted(finder.format_control.only_binary),
            "no_binary": sorted(finder.format_control.no_binary),
            "features": list(options.features_enabled),
        },
        "warnings": warnings.messages,
        "error": error,
    }


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    import pip

    cases = json.load(sys.stdin)
    results = [parse(case) for case in cases]
    json.dump({"pip": pip.__version__, "results": results}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
