"""Put a ``SandboxApp`` on a loopback socket (HTTP/1.1, keep-alive, one thread per connection).

The stdlib server is enough: the sandbox serves one client process at a time, and a dependency
free server starts in milliseconds inside tests. ``start()`` runs it in a background thread and
returns a handle; ``serve_forever()`` is what ``bridge sandbox`` runs.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .app import DROP, SandboxApp
from .routing import Request
from .seed import Seed, load_seed

__all__ = ["RunningSandbox", "banner", "running", "serve_until_signalled", "start"]

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024 * 1024  # seeds for 100k issues are large; anything beyond is a mistake
_FLUSH_INTERVAL = 0.5


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bridge-sandbox"
    # Headers and body go out in separate writes; with Nagle's algorithm on, the second
    # waits for the client's delayed ACK (~40 ms) on every keep-alive response.
    disable_nagle_algorithm = True
    app: SandboxApp  # set on the subclass made per server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413, "body too large")
            return
        body = self.rfile.read(length) if length else b""
        request = Request.build(self.command, self.path, dict(self.headers.items()), body)
        response = self.app.handle(request)
        if response.status == DROP:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-request (killed by a fault test, a closed laptop) is
        # routine for a server; socketserver would print a traceback to stderr for each.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("client %s went away", client_address)
            return
        super().handle_error(request, client_address)


@dataclass
class RunningSandbox:
    app: SandboxApp
    server: _Server
    thread: threading.Thread
    url: str
    stop_flush: threading.Event

    @property
    def wiki_url(self) -> str:
        return f"{self.url}/wiki"

    def stop(self) -> None:
        self.stop_flush.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.app.flush()


def _make_server(app: SandboxApp, host: str, port: int) -> _Server:
    handler = type("Handler", (_Handler,), {"app": app})
    return _Server((host, port), handler)


def _flusher(app: SandboxApp, stop: threading.Event) -> None:
    while not stop.wait(_FLUSH_INTERVAL):
        try:
            app.flush()
        except OSError as exc:  # a full disk must not kill the server; say so and go on
            log.error("could not write the sandbox state file: %s", exc)


def start(
    seed: Seed | str = "demo",
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    state_path: Path | None = None,
) -> RunningSandbox:
    """Serve a sandbox in a background thread; port 0 picks a free port."""
    if isinstance(seed, str):
        seed = load_seed(seed)
    app = SandboxApp(seed, state_path=state_path)
    server = _make_server(app, host, port)
    stop_flush = threading.Event()
    if state_path is not None:
        threading.Thread(target=_flusher, args=(app, stop_flush), daemon=True).start()
    thread = threading.Thread(target=server.serve_forever, name="sandbox", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return RunningSandbox(
        app=app,
        server=server,
        thread=thread,
        url=f"http://{bound_host}:{bound_port}",
        stop_flush=stop_flush,
    )


@contextlib.contextmanager
def running(seed: Seed | str = "demo", **kwargs: object) -> Iterator[RunningSandbox]:
    sandbox = start(seed, **kwargs)  # type: ignore[arg-type]
    try:
        yield sandbox
    finally:
        sandbox.stop()


def banner(sandbox: RunningSandbox) -> str:
    """The first line ``bridge sandbox`` prints: where it is and how to log in (INTERFACES.md)."""
    site = sandbox.app.site
    token = site.seed.site.default_token
    users = list(site.accounts.users.values())
    example = next((u for u in users if u.site_admin), users[0] if users else None)
    if example is None:
        login = "the seed has no users"
    elif token:
        login = f"log in as any seeded user's e-mail with token {token!r}, e.g. {example.email}"
    else:
        with_token = next((u for u in users if u.tokens), None)
        login = (
            f"log in as {with_token.email} with that user's token from the seed"
            if with_token
            else "log in with a personal access token from the seed"
        )
    return f"sandbox at {sandbox.url} (Confluence at {sandbox.wiki_url}); {login}"


def serve_until_signalled(
    sandbox: RunningSandbox, on_ready: Callable[[], None] | None = None
) -> None:
    """Block until SIGINT or SIGTERM, then stop cleanly (the state file is flushed).

    ``on_ready`` runs once the handlers are in place, so a supervisor that reads the banner
    and then sends SIGTERM always gets a clean stop.
    """
    stopped = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopped.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if on_ready is not None:
            on_ready()
        stopped.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sandbox.stop()
