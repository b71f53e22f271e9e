"""URL helpers: split credentials out of a URL and redact them for display."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit


def split_auth(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without ``user:password@``, and the credentials it carried (unquoted)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password))


def redact(url: str) -> str:
    """``url`` safe to print: any password becomes ``****`` (a lone token is hidden too)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user, sep, _ = userinfo.partition(":")
    shown = f"{user}:****" if sep else "****"
    return urlunsplit(parts._replace(netloc=f"{shown}@{host}"))


def host_of(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2]
