"""Fixtures for gateway tests: the real clients over HTTP, intercepted by ``responses``.

Nothing here patches a client method: every test sends real requests through the ``jira`` and
atlassian-python-api sessions, and ``responses`` answers at the transport adapter. Sleeps are
recorded, never slept.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import responses
from pydantic import SecretStr

from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.retry import RetryPolicy

JIRA = "https://acme.atlassian.net"
API = f"{JIRA}/rest/api/3"
AGILE = f"{JIRA}/rest/agile/1.0"
NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)

FIELDS = [
    {"id": "summary", "name": "Summary", "custom": False, "schema": {"type": "string"}},
    {"id": "status", "name": "Status", "custom": False, "schema": {"type": "status"}},
    {"id": "labels", "name": "Labels", "custom": False, "schema": {"type": "array"}},
    {"id": "description", "name": "Description", "custom": False, "schema": {"type": "string"}},
    {"id": "customfield_10010", "name": "Cost", "custom": True, "schema": {"type": "number"}},
    {
        "id": "customfield_10011",
        "name": "Initiative",
        "custom": True,
        "schema": {"type": "string"},
    },
    {
        "id": "customfield_10012",
        "name": "Business case",
        "custom": True,
        "schema": {
            "type": "string",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea",
        },
    },
]


class SleepRecorder:
    """Stands in for ``time.sleep``: remembers every wait so tests can assert on it."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def policy(sleeps: SleepRecorder) -> RetryPolicy:
    """Deterministic: jitter takes the cap, the clock is frozen, sleeping is recorded."""
    return RetryPolicy(
        max_attempts=3,
        base_delay=1.0,
        max_delay=30.0,
        max_wait=60.0,
        sleep=sleeps,
        now=lambda: NOW,
        jitter=lambda cap: cap,
    )


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def gateway(rsps: responses.RequestsMock, policy: RetryPolicy) -> Iterator[JiraGateway]:
    """A Cloud gateway that has already read serverInfo (registered here)."""
    rsps.get(
        f"{JIRA}/rest/api/2/serverInfo",
        json={"baseUrl": JIRA, "deploymentType": "Cloud", "version": "1001.0.0-SNAPSHOT"},
    )
    gw = JiraGateway(
        JIRA,
        email="bridge@example.com",
        token=SecretStr("not-a-real-token"),
        policy=policy,
        timeout=(3.0, 20.0),
    )
    gw.server_info()
    yield gw
    gw.close()


def add_fields(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/field", json=FIELDS)
