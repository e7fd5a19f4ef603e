"""The client address of the request being served, so audit events can name it.

Set by `RequestContextMiddleware` for web and API requests; empty for commands and the sweep.
"""

from contextvars import ContextVar

client_ip: ContextVar[str | None] = ContextVar("daypass_client_ip", default=None)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
