"""kill -9 of bridge serve under load: every delivery it acknowledged is processed after a
restart. The server is a real subprocess; the sandbox it syncs against runs here."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from jira import JIRA

from bridgeplugin.sandbox.server import RunningSandbox, start

from .conftest import SECRET, issue_event, sign, wait_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(
    sandbox: RunningSandbox, state: Path, port: int, *options: str
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(
        BRIDGE_JIRA_URL=sandbox.url,
        BRIDGE_JIRA_EMAIL="admin@example.com",
        BRIDGE_JIRA_TOKEN="sandbox-token",
        BRIDGE_STATE=str(state),
        BRIDGE_RULES=str(ROOT / "rules"),
        BRIDGE_WEBHOOK_SECRET=SECRET,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridgeplugin", "-v", "serve", "--port", str(port), *options],
        env=env,
        cwd=state.parent,
        stdout=subprocess.DEVNULL,
        stderr=(state.parent / "serve.log").open("ab"),
    )
    url = f"http://127.0.0.1:{port}/healthz"

    def ready() -> bool:
        assert proc.poll() is None, f"bridge serve exited with {proc.returncode}"
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    wait_for(ready, timeout=30)
    return proc


def states(state: Path, ids: set[str]) -> dict[str, str]:
    with sqlite3.connect(state) as db:
        return {i: s for i, s in db.execute("SELECT id, state FROM inbox") if i in ids}


def test_every_acknowledged_delivery_is_processed_after_a_kill_9(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    sandbox.app.reset()
    state, port = tmp_path / "state.db", free_port()
    # Killed while receiving only, so that the count below is of the inbox alone. Kills in the
    # middle of a sync run are the kill -9 rows of tests/faults/test_receiver_faults.py.
    server = launch(sandbox, state, port, "--no-worker")
    acked: set[str] = set()
    sent = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        http = requests.Session()
        n = 0
        while not stop.is_set():
            n += 1
            ident = f"k9-{worker}-{n}"
            body = issue_event(f"MKT-{1 + (worker * 7 + n) % 12}", n=n)
            headers = {"X-Hub-Signature": sign(body), "X-Atlassian-Webhook-Identifier": ident}
            try:
                answer = http.post(
                    f"http://127.0.0.1:{port}/webhooks/jira", data=body, headers=headers, timeout=5
                )
            except requests.RequestException:
                continue  # the server is gone: not acknowledged, Jira would retry
            with lock:
                sent[0] += 1
                if answer.status_code in (200, 202):
                    acked.add(f"jira:{ident}")
        http.close()

    threads = [threading.Thread(target=load, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    wait_for(lambda: len(acked) >= 300, timeout=20)
    server.send_signal(signal.SIGKILL)  # mid-load, mid-batch, maybe mid-sync
    server.wait(10)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(10)
    before = states(state, acked)
    assert len(before) == len(acked)  # every acknowledged delivery is in the inbox ...
    assert set(before.values()) == {"queued"}  # ... and none processed yet

    server = launch(sandbox, state, port)
    try:
        wait_for(lambda: set(states(state, acked).values()) == {"done"}, timeout=30)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)
    done = states(state, acked)
    print(f"acknowledged {len(acked)} of {sent[0]} answered; processed {len(done)}")
    assert len(done) == len(acked) and set(done.values()) == {"done"}
    jira = JIRA(server=sandbox.url, basic_auth=("admin@example.com", "sandbox-token"))
    for key in ("MKT-1", "MKT-5"):  # tagged by the processing, as bridge sync would
        assert "marketing-tech-request" in jira.issue(key).fields.labels, key
