"""Which URLs a webhook may be sent to (SPEC 12.3), checked when saved and again when sent.

Only `https://` URLs whose host resolves to public addresses, so that a webhook cannot make the
server reach loopback, private networks, link-local or cloud metadata addresses (server-side
request forgery). `DAYPASS_WEBHOOK_ALLOW_PRIVATE=true` lifts both rules for on-premise
installations and tests. Anything that is not an http(s) URL is always refused.

At send time the sender connects to an address this module checked (never resolving the name
again), so a DNS answer that changes between check and connect cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from django.conf import settings
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from daypass.core.errors import ValidationFailed

URL_MAX_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlRefused(ValidationFailed):
    """The URL is not one webhooks may reach."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (sent as Host and, for https, as the TLS server name)
    port: int
    request_path: str  # path and query
    address: str  # the checked IP address to connect to


def private_allowed() -> bool:
    return bool(getattr(settings, "DAYPASS_WEBHOOK_ALLOW_PRIVATE", False))


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


def _parse(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url or len(url) > URL_MAX_LENGTH:
        raise UrlRefused(
            message=f"url must be an http(s) URL of at most {URL_MAX_LENGTH} characters.",
            field="url",
        )
    if any(ch.isspace() or ord(ch) < 32 or ch == "\x7f" for ch in url):
        raise UrlRefused(message="url must not contain spaces or control characters.", field="url")
    try:
        parsed = parse_url(url)
    except LocationParseError:
        raise UrlRefused(message="url is not a valid URL.", field="url") from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in DEFAULT_PORTS or not url.lower().startswith(f"{scheme}://"):
        raise UrlRefused(message="url must be an http:// or https:// URL.", field="url")
    if not parsed.host:
        raise UrlRefused(message="url has no host.", field="url")
    host = parsed.host.strip("[]")
    port = parsed.port or DEFAULT_PORTS[scheme]
    return scheme, host, port, parsed.request_uri


def _check(url: str) -> tuple[str, str, int, str, list[str]]:
    scheme, host, port, request_path = _parse(url)
    if private_allowed():
        return scheme, host, port, request_path, []
    if scheme != "https":
        raise UrlRefused(message="url must use https://.", field="url")
    addresses = resolve(host, port)
    if not addresses:
        raise UrlRefused(message=f"url host {host} does not resolve.", field="url")
    refused = [address for address in addresses if not address_is_public(address)]
    if refused:
        raise UrlRefused(
            message=(
                f"url host {host} resolves to {refused[0]}, which is not a public address "
                "(loopback, private, link-local and metadata addresses are refused)."
            ),
            field="url",
        )
    return scheme, host, port, request_path, addresses


def webhook_url_validate(url: str) -> str:
    """The URL to store, or `validation_error` (422) saying why it is refused."""
    _check(url)
    return url


def webhook_url_target(url: str) -> Target:
    """Where to connect for `url` now, checked again; raises UrlRefused if it is not allowed."""
    scheme, host, port, request_path, addresses = _check(url)
    if not addresses:  # private addresses allowed: any address the name resolves to will do
        addresses = resolve(host, port)
        if not addresses:
            raise UrlRefused(message=f"url host {host} does not resolve.", field="url")
    return Target(
        scheme=scheme, host=host, port=port, request_path=request_path, address=addresses[0]
    )
