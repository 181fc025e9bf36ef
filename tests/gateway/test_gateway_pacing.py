"""The per-issue write pacer: waits just enough to stay inside Jira's per-issue windows, and
the gateway, through it, never draws a 429 from the sandbox's per-issue limiter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.pace import IssueWritePacer
from bridgeplugin.sandbox.server import RunningSandbox, start


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_writes_within_the_window_go_at_once_and_the_next_one_waits_for_the_oldest() -> None:
    clock = FakeClock()
    pacer = IssueWritePacer(((2.0, 3), (30.0, 100)), clock=clock, sleep=clock.sleep)
    for _ in range(3):
        pacer.before_write(["MKT-1"])
        clock.now += 0.1
    assert clock.slept == []
    pacer.before_write(["mkt-1"])  # keys are case-insensitive, as in Jira
    # The first write was at 100.0: the fourth may go at 102.0.
    assert clock.slept == [pytest.approx(1.7)]
    pacer.before_write(["MKT-2"])  # another issue: no wait
    assert len(clock.slept) == 1


def test_the_longer_window_holds_too_and_idle_issues_are_forgotten() -> None:
    clock = FakeClock()
    pacer = IssueWritePacer(((2.0, 100), (30.0, 2)), clock=clock, sleep=clock.sleep)
    pacer.before_write(["IT-1", "IT-2"])  # a link counts on both issues
    pacer.before_write(["IT-2"])
    pacer.before_write(["IT-2"])
    assert clock.slept == [pytest.approx(30.0)]
    clock.now += 60
    pacer._sweep(clock.now)
    assert len(pacer) == 0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


def test_thirty_comments_on_one_issue_draw_no_429(sandbox: RunningSandbox) -> None:
    jira = JiraGateway(sandbox.url, email="admin@example.com", token=SecretStr("sandbox-token"))
    sandbox.app.ledger.clear()
    try:
        for n in range(30):
            jira.add_comment("MKT-9", f"note {n}")
    finally:
        jira.close()
    statuses = [c.status for c in sandbox.app.ledger.calls() if c.method == "POST"]
    assert statuses == [201] * 30  # 20 per 2 s is the limit: the pacer spread them out
    assert jira.pacer.waited > 0
