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


def is_secure_origin(url: str, trusted_hosts: tuple[str, ...] = ()) -> bool:
    """Whether pages may be read from ``url`` as pip allows: https, file://, loopback
    addresses and localhost, or a host (``host`` or ``host:port``) given with --trusted-host."""
    import ipaddress

    parts = urlsplit(url)
    if parts.scheme != "http":
        return True
    host = parts.hostname or ""
    netloc = parts.netloc.rpartition("@")[2]
    if host == "localhost" or host in trusted_hosts or netloc in trusted_hosts:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
