"""A real HTTP receiver on 127.0.0.1 for webhook tests: it verifies every delivery with the
`standardwebhooks` library, as an integrator's server would, and answers as the test says."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified_by: list[str]  # the secrets (of those the receiver knows) that verify it

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    @property
    def signatures(self) -> list[str]:
        return self.headers["webhook-signature"].split(" ")


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # every sending thread of two workers may connect at once


class Receiver:
    """`answers` is consumed one per request; when empty, `default` answers."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.received: list[Received] = []
        self.answers: list[Answer] = []
        self.default = Answer()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender died mid-request (a killed worker): a real receiver reads a
                    # truncated body as no request at all, and so does this one.
                    self.close_connection = True
                    return
                headers = {key.lower(): value for key, value in self.headers.items()}
                verified = []
                for secret in receiver.secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                    except WebhookVerificationError:
                        continue
                    verified.append(secret)
                with receiver.lock:
                    receiver.received.append(Received(self.path, headers, body, verified))
                    answer = receiver.answers.pop(0) if receiver.answers else receiver.default
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the sender gave up (timeout) and closed the connection

            def log_message(self, format, *args):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
