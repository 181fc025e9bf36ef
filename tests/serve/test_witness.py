"""Witness: the webhook secret and the automation token never reach a log record or an answer,
whatever a caller sends (right or wrong signatures and tokens, the secret used as a token)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from bridgeplugin.serve import ServeSettings

from .conftest import SECRET, TOKEN, FakeProcessor, Served, issue_event, sign, wait_for


def forms(secret: str) -> list[str]:
    return [secret, base64.b64encode(secret.encode()).decode()]


def test_secrets_never_reach_logs_or_responses(
    serve_app: Callable[..., Served], state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    processor = FakeProcessor(poison={"MKT-13"})
    served = serve_app(processor)
    answers = []
    body = issue_event("MKT-1")
    answers.append(served.webhook(body, ident="w-1"))
    answers.append(  # tampered: the signature of another body
        served.http.post(
            f"{served.url}/webhooks/jira", data=body + b" ", headers={"X-Hub-Signature": sign(body)}
        )
    )
    answers.append(
        served.http.post(
            f"{served.url}/webhooks/jira",
            data=body,
            headers={"X-Hub-Signature": "sha1=" + sign(body)[7:]},
        )
    )
    answers.append(served.automation({"key": "MKT-13"}))
    answers.append(served.automation({"key": "MKT-2"}, token=SECRET))  # secret as a token
    answers.append(served.automation({"key": "MKT-2"}, token=TOKEN + "x"))
    answers.append(served.automation({"key": "nope"}))
    answers.append(served.http.get(f"{served.url}/healthz"))
    wait_for(lambda: processor.processed("MKT-1") == 1)
    answers.append(served.http.get(f"{served.url}/metrics"))
    assert [a.status_code for a in answers] == [202, 401, 401, 202, 401, 401, 400, 200, 200]

    texts = [a.text for a in answers] + [str(dict(a.headers)) for a in answers]
    texts += [r.getMessage() for r in caplog.records]
    texts += [logging.Formatter().format(r) for r in caplog.records if r.exc_info]
    texts.append(repr(ServeSettings(state, SecretStr(SECRET), SecretStr(TOKEN))))
    assert caplog.records, "the witness saw no log record at all"
    for text in texts:
        for secret in (*forms(SECRET), *forms(TOKEN)):
            assert secret not in text
