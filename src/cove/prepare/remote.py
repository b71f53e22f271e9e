"""A wheel on a server read with HTTP range requests, for its METADATA where the index serves
no PEP 658 file: the end of the file (the zip's central directory), then the one member, in
two or three requests instead of the whole wheel."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cove.http.client import HttpClient, Ranged

TAIL = 64 * 1024  # the first request: the end record and, for most wheels, the whole directory
AHEAD = 64 * 1024  # each later request reads this much past what was asked (a local header and
# its member's bytes come in one)


class RemoteWheel:
    """The RandomAccess that cove.archive.zip.ZipArchive reads: bytes fetched by range once
    and kept for the life of the object."""

    def __init__(self, client: HttpClient, url: str, name: str, first: Ranged) -> None:
        self.client = client
        self.url = url
        self.name = name
        self.size = first.total
        self.requests = 1
        self._spans: list[tuple[int, bytes]] = [(first.start, first.data)]
        self._lock = threading.Lock()

    @classmethod
    def open(cls, client: HttpClient, url: str, name: str) -> RemoteWheel | None:
        """None when the server does not serve ranges."""
        first = client.get_range(url, f"-{TAIL}")
        return None if first is None else cls(client, url, name, first)

    def read_at(self, offset: int, n: int) -> bytes:
        end = min(offset + n, self.size)
        if offset >= end:
            return b""
        with self._lock:
            for start, data in self._spans:
                if start <= offset and end <= start + len(data):
                    return data[offset - start : end - start]
        last = min(max(end, offset + AHEAD), self.size) - 1
        got = self.client.get_range(self.url, f"{offset}-{last}")
        if got is None or got.start != offset or got.total != self.size:
            from cove.http.client import NetworkError

            raise NetworkError(
                f"{self.url} stopped answering range requests consistently",
                hint="try again; the server may be changing the file",
            )
        with self._lock:
            self._spans.append((got.start, got.data))
            self.requests += 1
        return got.data[: end - offset]

    def close(self) -> None:
        with self._lock:
            self._spans.clear()
