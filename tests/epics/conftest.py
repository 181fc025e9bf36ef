"""Fixtures of the epics tests: the demo sandbox per module (reset per test), ``bridge sync``
run in-process through the real CLI and gateway over HTTP with epics enabled, the real ``jira``
client to read Jira back, and the sandbox ledger to count calls."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jira import JIRA

from bridgeplugin.cli import main
from bridgeplugin.sandbox.faults import FaultRule, FaultSchedule
from bridgeplugin.sandbox.server import RunningSandbox, start

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RULES = ROOT / "rules"
ADMIN = "admin@example.com"
TOKEN = "sandbox-token"
CDP = "customer-data-platform"
AUTUMN = "autumn-campaign-2026"
CREATE = "POST /rest/api/{ver}/issue"
BULK_CREATE = "POST /rest/api/{ver}/issue/bulk"
EDIT = "PUT /rest/api/{ver}/issue/{key}"


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]


def enabled_rules(target: Path, text: str | None = None) -> Path:
    """The shipped rules with ``epics.yaml`` turned on (or replaced by ``text``).

    Without ``reviews.yaml`` and ``budgets.yaml``: governance's step (review sub-tasks,
    reverts) and the sprint page published after a sync would add their writes to the ledger
    these tests count; tagging stays, the epics read its categories.
    """
    shutil.copytree(SHIPPED_RULES, target)
    (target / "reviews.yaml").unlink(missing_ok=True)
    (target / "budgets.yaml").unlink(missing_ok=True)
    path = target / "epics.yaml"
    if text is None:
        text = path.read_text(encoding="utf-8").replace("enabled: false", "enabled: true")
    path.write_text(text, encoding="utf-8")
    return target


class EpicSite:
    def __init__(self, sandbox: RunningSandbox, tmp: Path) -> None:
        self.sandbox = sandbox
        self.state = tmp / "state" / "state.db"
        self.rules = enabled_rules(tmp / "rules")
        self._client: JIRA | None = None

    @property
    def url(self) -> str:
        return self.sandbox.url

    def sync(self, *args: str, state: Path | None = None, **extra: str) -> Run:
        env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("BRIDGE_")}
        env.update(
            BRIDGE_JIRA_URL=self.url,
            BRIDGE_JIRA_EMAIL=ADMIN,
            BRIDGE_JIRA_TOKEN=TOKEN,
            BRIDGE_STATE=str(state or self.state),
            BRIDGE_RULES=str(self.rules),
            BRIDGE_RETRY__MAX_ATTEMPTS="1",  # injected failures: give up at once
        )
        env.update(extra)
        result = CliRunner().invoke(main, ["sync", "--format", "json", *args], env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    def writes(self) -> Counter[str]:
        calls = self.sandbox.app.ledger.calls()
        return Counter(f"{c.method} {c.route}" for c in calls if c.is_write)

    def clear_ledger(self) -> None:
        self.sandbox.app.ledger.clear()

    def faults(self, *rules: dict[str, Any]) -> None:
        self.sandbox.app.faults.set(FaultSchedule(rules=[FaultRule(**r) for r in rules]))

    def client(self) -> JIRA:
        if self._client is None:
            self._client = JIRA(server=self.url, basic_auth=(ADMIN, TOKEN), max_retries=0)
        return self._client

    def search(self, jql: str) -> list[Any]:
        return list(self.client().search_issues(jql, maxResults=200))

    def epics(self, key: str | None = None) -> list[Any]:
        label = f"bridge-initiative-{key}" if key else "bridge-epic"
        return self.search(f'labels = "{label}" ORDER BY created ASC')

    def record(self, key: str) -> dict[str, Any] | None:
        keys = [p.key for p in self.client().issue_properties(key)]
        if "bridge" not in keys:
            return None
        return self.client().issue_property(key, "bridge").raw["value"]  # type: ignore[no-any-return]

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
) -> Iterator[EpicSite]:
    sandbox.app.reset()  # the demo seed again, no faults, an empty ledger
    monkeypatch.chdir(tmp_path)
    helper = EpicSite(sandbox, tmp_path)
    yield helper
    helper.close()
