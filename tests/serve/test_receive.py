"""The acknowledge path over real HTTP: every answer, its JSON body, and what got stored."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

from bridgeplugin.state import open_store

from .conftest import SECRET, TOKEN, Served, issue_event, sign


def rows(state: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(state) as db:
        return db.execute("SELECT id, keys, state FROM inbox ORDER BY received_at").fetchall()


def test_a_signed_delivery_is_stored_then_acknowledged_and_a_redelivery_is_a_duplicate(
    serve_app: Callable[..., Served], state: Path
) -> None:
    served = serve_app()
    body = issue_event("MKT-1")
    first = served.webhook(body, ident="d-1")
    assert first.status_code == 202
    assert first.json() == {"status": "accepted", "id": "jira:d-1"}
    assert rows(state) == [("jira:d-1", "MKT-1", "queued")]  # stored before the answer
    again = served.webhook(body, ident="d-1", X_Atlassian_Webhook_Retry="1")
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "id": "jira:d-1"}
    assert len(rows(state)) == 1


def test_without_an_identifier_the_same_body_is_recognised_by_its_hash(
    serve_app: Callable[..., Served], state: Path
) -> None:
    served = serve_app()
    body = issue_event("MKT-2", n=7)
    assert served.webhook(body).status_code == 202
    assert served.webhook(body).status_code == 200
    assert served.webhook(issue_event("MKT-2", n=8)).status_code == 202


def test_a_tampered_body_or_a_missing_or_foreign_signature_is_401_and_not_stored(
    serve_app: Callable[..., Served], state: Path
) -> None:
    served = serve_app()
    body = issue_event("MKT-1")
    cases = [
        {"X-Hub-Signature": sign(body + b" ")},  # signed another body
        {"X-Hub-Signature": sign(body, "not-the-secret")},
        {"X-Hub-Signature": "sha1=" + sign(body)[7:]},  # an unknown method
        {},
    ]
    for headers in cases:
        answer = served.http.post(
            f"{served.url}/webhooks/jira", data=body, headers=headers, timeout=10
        )
        assert answer.status_code == 401
        assert answer.json()["error"] == "unauthorized"
    tampered = body.replace(b"MKT-1", b"MKT-9")
    answer = served.http.post(
        f"{served.url}/webhooks/jira",
        data=tampered,
        headers={"X-Hub-Signature": sign(body)},
        timeout=10,
    )
    assert answer.status_code == 401
    assert rows(state) == []


def test_malformed_bodies_are_400_with_a_json_error(
    serve_app: Callable[..., Served], state: Path
) -> None:
    served = serve_app()
    for body in (b"{not json", b"[1]", b'{"issue": {"key": "MKT-1"}}'):
        answer = served.webhook(body)
        assert answer.status_code == 400, body
        assert answer.json()["error"] == "malformed"
    answer = served.automation({"key": "MKT-1 OR 1=1"})
    assert answer.status_code == 400
    assert rows(state) == []


def test_a_body_over_1_mb_is_413_whether_declared_or_streamed(
    serve_app: Callable[..., Served], state: Path
) -> None:
    served = serve_app()
    big = b'{"webhookEvent": "x", "pad": "' + b"a" * (1024 * 1024) + b'"}'
    answer = served.webhook(big)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    # Chunked, no Content-Length: refused while reading, once past the limit.
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /webhooks/jira HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            + b"X-Hub-Signature: "
            + sign(big).encode()
            + b"\r\n\r\n"
        )
        chunk = b"a" * 65536
        head = b""
        try:
            for _ in range(40):  # up to 2.5 MB, but the answer comes after 1 MB
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server may close the connection once it has answered
        while b"\r\n\r\n" not in head:
            data = sock.recv(65536)
            if not data:
                break
            head += data
    assert head.startswith(b"HTTP/1.1 413")
    assert rows(state) == []


def test_automation_takes_a_bearer_or_header_token_in_jira_and_automation_formats(
    serve_app: Callable[..., Served], state: Path
) -> None:
    served = serve_app()
    assert served.automation({"issue": {"key": "MKT-3", "fields": {}}}).status_code == 202
    assert served.automation({"key": "MKT-4", "fields": {}, "self": "x"}).status_code == 202
    answer = served.http.post(
        f"{served.url}/automation", json={"key": "MKT-5"}, headers={"X-Bridge-Token": TOKEN}
    )
    assert answer.status_code == 202
    assert served.automation({"key": "MKT-6"}, token="wrong").status_code == 401
    assert served.automation({"key": "MKT-6"}, token=None).status_code == 401
    # Automation cannot sign; a webhook secret is not an automation token either.
    assert served.automation({"key": "MKT-6"}, token=SECRET).status_code == 401
    assert sorted(r[1] for r in rows(state)) == ["MKT-3", "MKT-4", "MKT-5"]


def test_a_locked_store_is_503_with_retry_after_and_the_next_delivery_is_stored(
    serve_app: Callable[..., Served], state: Path
) -> None:
    served = serve_app(store_timeout=0.2)
    assert served.webhook(issue_event("MKT-1"), ident="a").status_code == 202
    locker = sqlite3.connect(state, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        answer = served.webhook(issue_event("MKT-1", n=1), ident="b")
        assert answer.status_code == 503
        assert answer.json()["error"] == "unavailable"
        assert answer.headers["Retry-After"]
        health = served.http.get(f"{served.url}/healthz", timeout=10)
        assert health.status_code == 503 and health.json()["error"] == "unavailable"
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert served.webhook(issue_event("MKT-1", n=1), ident="b").status_code == 202  # Jira's retry
    assert [r[0] for r in rows(state)] == ["jira:a", "jira:b"]
    assert served.http.get(f"{served.url}/healthz", timeout=10).json()["status"] == "ok"


def test_unknown_paths_and_methods_answer_json(serve_app: Callable[..., Served]) -> None:
    served = serve_app()
    missing = served.http.get(f"{served.url}/nope", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = served.http.get(f"{served.url}/webhooks/jira", timeout=10)
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


def test_metrics_count_what_arrived(serve_app: Callable[..., Served], state: Path) -> None:
    served = serve_app()
    served.webhook(issue_event("MKT-1"), ident="m-1")
    served.webhook(issue_event("MKT-1"), ident="m-1")
    served.webhook(b"{}", X_Hub_Signature="sha256=00")
    text = served.http.get(f"{served.url}/metrics", timeout=10).text
    assert 'bridge_received_total{source="jira"} 2' in text
    assert 'bridge_duplicates_total{source="jira"} 1' in text
    assert 'bridge_rejected_total{reason="unauthorized"} 1' in text
    for name in ("queued", "processed_total", "failed_total", "retries_total", "lag_seconds"):
        assert f"# TYPE bridge_{name} " in text
    with open_store(state) as store:
        assert store.inbox_stats().queued == 1
