"""Helpers of the serve tests: the real app under a real uvicorn on a loopback port (in a
thread), signatures computed here with hmac (never with the code under test), plain requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn
from pydantic import SecretStr

from bridgeplugin.serve import Outcome, ServeSettings, WorkerSettings, create_app
from bridgeplugin.state import Store

SECRET = "whsec-" + secrets.token_hex(16)
TOKEN = "tok-" + secrets.token_hex(16)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def issue_event(key: str, n: int = 0, event: str = "jira:issue_updated", **fields: Any) -> bytes:
    return json.dumps(
        {
            "timestamp": 1_760_000_000_000 + n,
            "webhookEvent": event,
            "issue": {"key": key, "fields": fields},
            "changelog": {"items": []},
        }
    ).encode()


class Served:
    """A uvicorn server for ``app`` on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        self.http = requests.Session()

    def webhook(self, body: bytes, ident: str | None = None, **headers: str) -> requests.Response:
        sent = {"Content-Type": "application/json", "X-Hub-Signature": sign(body)}
        if ident is not None:
            sent["X-Atlassian-Webhook-Identifier"] = ident
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return self.http.post(f"{self.url}/webhooks/jira", data=body, headers=sent, timeout=10)

    def automation(self, payload: Any, token: str | None = TOKEN) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(f"{self.url}/automation", json=payload, headers=headers, timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)
        self.http.close()


@dataclass
class FakeProcessor:
    """Records every run; fails the keys in ``poison`` (the whole run, as Jira would)."""

    runs: list[tuple[str, ...]] = field(default_factory=list)
    sweeps: int = 0
    poison: set[str] = field(default_factory=set)
    deferred: bool = False

    def sync_keys(self, keys: Sequence[str]) -> Outcome:
        self.runs.append(tuple(keys))
        if self.deferred:
            return Outcome(deferred="another sync holds the lease")
        bad = self.poison & set(keys)
        if bad:
            return Outcome(error=f"Jira refused {sorted(bad)[0]}")
        return Outcome()

    def sweep(self) -> Outcome:
        self.sweeps += 1
        return Outcome()

    def close(self) -> None:
        pass

    def processed(self, key: str) -> int:
        return sum(1 for run in self.runs if key in run and not self.poison & set(run))


FAST = WorkerSettings(settle=0.3, max_delay=2.0, poll=0.02, backoff=0.0, max_attempts=3)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.db"


@pytest.fixture
def serve_app(state: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def make(
        processor: FakeProcessor | None = None,
        worker: WorkerSettings = FAST,
        **settings: Any,
    ) -> Served:
        options: dict[str, Any] = {
            "state": state,
            "webhook_secret": SecretStr(SECRET),
            "automation_token": SecretStr(TOKEN),
            **settings,
        }
        factory: Callable[[Store], FakeProcessor] | None = (
            None if processor is None else (lambda store: processor)
        )
        app = create_app(ServeSettings(**options), processor=factory, worker_settings=worker)
        served = Served(app)
        started.append(served)
        return served

    yield make
    for served in started:
        served.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
