"""Fixtures of the sync tests: a sandbox per module, reset per test, `bridge sync` run in-process
through the real CLI and gateway over HTTP, and the real ``jira`` client to read Jira back."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jira import JIRA

from bridgeplugin.cli import main
from bridgeplugin.render import marker_of
from bridgeplugin.sandbox.faults import FaultRule, FaultSchedule
from bridgeplugin.sandbox.ledger import Call
from bridgeplugin.sandbox.server import RunningSandbox, start
from bridgeplugin.state import SqliteStore, open_store

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED_RULES = ROOT / "rules"
RULES_V1 = FIXTURES / "rules_v1"
RULES_V2 = FIXTURES / "rules_v2"
RULES_ALL_MKT = FIXTURES / "rules_all_mkt"
ADMIN = "admin@example.com"
ADMIN_ID = "557058:0e2f4b6a-8c1d-4e3f-9a5b-7c6d8e9f0a1b"
TOKEN = "sandbox-token"
LABEL = "marketing-tech-request"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]


class SyncSite:
    """One sandbox, a state file, and helpers to sync against it and look at the result."""

    def __init__(self, sandbox: RunningSandbox, state: Path) -> None:
        self.sandbox = sandbox
        self.state = state
        self._client: JIRA | None = None

    @property
    def url(self) -> str:
        return self.sandbox.url

    def env(self, rules: Path = SHIPPED_RULES, **extra: str) -> dict[str, str | None]:
        env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("BRIDGE_")}
        env.update(
            BRIDGE_JIRA_URL=self.url,
            BRIDGE_JIRA_EMAIL=ADMIN,
            BRIDGE_JIRA_TOKEN=TOKEN,
            BRIDGE_STATE=str(self.state),
            BRIDGE_RULES=str(rules),
            # Failures in these tests are injected on purpose: give up at once, don't wait.
            BRIDGE_RETRY__MAX_ATTEMPTS="1",
            # These tests count tagging's calls; sprint pages after a sync are tested apart.
            BRIDGE_SYNC__PUBLISH="never",
        )
        env.update(extra)
        return env

    def sync(self, *args: str, rules: Path = SHIPPED_RULES, **extra: str) -> Run:
        result = CliRunner().invoke(main, ["sync", *args], env=self.env(rules, **extra))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    # -- the sandbox ---------------------------------------------------------------------------

    def calls(self) -> list[Call]:
        return self.sandbox.app.ledger.calls()

    def writes(self) -> Counter[str]:
        return Counter(f"{c.method} {c.route}" for c in self.calls() if c.is_write)

    def reads(self) -> int:
        return sum(1 for c in self.calls() if not c.is_write)

    def clear_ledger(self) -> None:
        self.sandbox.app.ledger.clear()

    def faults(self, *rules: dict[str, Any]) -> None:
        self.sandbox.app.faults.set(FaultSchedule(rules=[FaultRule(**r) for r in rules]))

    def advance(self, seconds: float) -> None:
        self.sandbox.app.site.clock.advance(seconds)

    def store(self) -> SqliteStore:
        return open_store(self.state)

    # -- Jira, read back with the real client ----------------------------------------------------

    def client(self, email: str = ADMIN) -> JIRA:
        if email != ADMIN:
            return JIRA(server=self.url, basic_auth=(email, TOKEN), max_retries=0)
        if self._client is None:
            self._client = JIRA(server=self.url, basic_auth=(ADMIN, TOKEN), max_retries=0)
        return self._client

    def labels(self, key: str) -> list[str]:
        return list(self.client().issue(key, fields="labels").fields.labels)

    def record(self, key: str) -> dict[str, Any] | None:
        """The ``bridge`` property's value, or None."""
        keys = [p.key for p in self.client().issue_properties(key)]
        if "bridge" not in keys:
            return None
        return self.client().issue_property(key, "bridge").raw["value"]  # type: ignore[no-any-return]

    def comments(self, key: str) -> list[str]:
        return [c.body for c in self.client().comments(key)]

    def markers(self, key: str) -> list[str]:
        """The plugin comments' first lines, oldest first."""
        return [b.split("\n", 1)[0] for b in self.comments(key) if marker_of(b)]

    def all_keys(self) -> list[str]:
        return sorted(self.sandbox.app.site.jira.issues)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


@pytest.fixture
def site(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SyncSite]:
    sandbox.app.reset()  # the demo seed again, no faults, an empty ledger, the seed's clock
    monkeypatch.chdir(tmp_path)  # no ./bridge.yaml from wherever the tests run
    helper = SyncSite(sandbox, tmp_path / "state" / "state.db")
    yield helper
    helper.close()
