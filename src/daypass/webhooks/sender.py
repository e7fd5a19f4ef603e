"""One HTTP attempt of one delivery, signed per Standard Webhooks (SPEC 12.3).

- signed with the `standardwebhooks` library (the one receivers verify with): `v1,<base64
  HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one signature per live secret, space-separated;
- `webhook-timestamp` is the wall-clock second the request leaves (receivers compare it with
  their own clock, so it cannot be the scheduler's `now`);
- connects to the address `url_rules` checked just now (never re-resolving), follows no
  redirects, gives up after 15 s, keeps the first 1 KB of the answer;
- keep-alive connection pools per (address, port, host), shared by the sending threads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import urllib3
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from daypass.webhooks.url_rules import Target, UrlRefused, webhook_url_target

# SPEC 12.3: a 2xx answer within 15 s delivers (settings.DAYPASS_WEBHOOK_TIMEOUT_SECONDS, which
# tests shorten to show a timeout without waiting for it).
RESPONSE_BODY_LIMIT = 1024
# A longer answer is not read to its end: its connection is closed instead of reused.
DRAIN_LIMIT = 64 * 1024
USER_AGENT = "daypass-webhooks/1"


@dataclass(frozen=True)
class Attempt:
    """What one POST gave: an HTTP status (None if there was no answer) and why it failed."""

    status_code: int | None
    error: str
    body: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature_header(*, secrets: list[str], msg_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` value: one `v1,…` per secret, separated by a space."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return " ".join(
        Webhook(secret).sign(msg_id=msg_id, timestamp=moment, data=body) for secret in secrets
    )


_pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(target: Target, maxsize: int) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, target.address, target.port, target.host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            common = {
                "host": target.address,
                "port": target.port,
                "maxsize": maxsize,
                "block": False,
                "retries": False,
            }
            if target.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    **common,
                    server_hostname=target.host,
                    assert_hostname=target.host,
                    cert_reqs="CERT_REQUIRED",
                )
            else:
                pool = urllib3.HTTPConnectionPool(**common)
            _pools[key] = pool
        return pool


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def send_target(url: str) -> Target | Attempt:
    """Where to send for `url`, checked now (SPEC 12.3), or the failed attempt saying why not."""
    try:
        return webhook_url_target(url)
    except UrlRefused as refused:
        return Attempt(None, f"refused: {refused.message}"[:500], "")


def attempt_send(
    *, target: Target, msg_id: str, body: bytes, secrets: list[str], pool_size: int = 16
) -> Attempt:
    """POST `body` to the checked `target` once. Never raises for what the network or the
    receiver does."""
    timeout = settings.DAYPASS_WEBHOOK_TIMEOUT_SECONDS
    timestamp = int(time.time())
    headers = {
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets=secrets, msg_id=msg_id, timestamp=timestamp, body=body.decode()
        ),
    }
    try:
        response = _pool(target, pool_size).urlopen(
            "POST",
            target.request_path,
            body=body,
            headers=headers,
            redirect=False,
            retries=False,
            assert_same_host=False,
            preload_content=False,
            timeout=urllib3.Timeout(total=timeout),
        )
    except urllib3.exceptions.TimeoutError:
        return Attempt(None, f"no answer within {timeout:g} s", "")
    except urllib3.exceptions.HTTPError as error:
        return Attempt(None, _describe(error, timeout), "")
    try:
        kept = response.read(RESPONSE_BODY_LIMIT, decode_content=False)
        # Read (and drop) a short rest so the connection can be reused; a long one is cut off.
        if len(kept) == RESPONSE_BODY_LIMIT:
            response.read(DRAIN_LIMIT, decode_content=False)
            if response.read(1, decode_content=False):
                response.close()
    except (urllib3.exceptions.HTTPError, OSError) as error:
        kept, error_text = b"", _describe(error, timeout)
    else:
        error_text = ""
    finally:
        response.release_conn()
    status = response.status
    if not error_text and not 200 <= status < 300:
        error_text = (
            f"HTTP {status} (redirects are not followed)"
            if 300 <= status < 400
            else f"HTTP {status}"
        )
    return Attempt(status, error_text, kept.decode("utf-8", errors="replace"))


def _describe(error: Exception, timeout: float) -> str:
    reason = getattr(error, "reason", None) or error
    text = str(reason) or type(reason).__name__
    if "timed out" in text.lower():
        return f"no answer within {timeout:g} s"
    return f"connection failed: {text}"[:500]
