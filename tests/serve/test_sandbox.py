"""Against the demo sandbox over HTTP: deliveries out of order end in what Jira says now, and
GET /check/{key} gives bridge check's verdict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jira import JIRA
from pydantic import SecretStr

from bridgeplugin.config import load_config
from bridgeplugin.render import marker_of
from bridgeplugin.sandbox.server import RunningSandbox, start
from bridgeplugin.serve import ServeSettings, create_app
from bridgeplugin.serve.process import SyncProcessor
from bridgeplugin.serve.verdict import CheckService
from bridgeplugin.state import Store

from .conftest import FAST, SECRET, TOKEN, Served, issue_event, wait_for

ADMIN = "admin@example.com"
AISHA = "aisha@example.com"  # marketing; reported MKT-26 ("Fix typo on pricing page")
LABEL = "marketing-tech-request"
ROOT = Path(__file__).resolve().parents[2]
TYPO = {"summary": "Fix typo on pricing page", "description": "recieve -> receive, thx!"}
PIXEL = {
    "summary": "Add the Meta pixel to the pricing page",
    "description": "Please install the Meta Pixel (Facebook pixel) tracking script on /pricing "
    "so we can track conversions and build a retargeting audience for the winter campaign.",
}

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


@pytest.fixture
def served(sandbox: RunningSandbox, tmp_path: Path) -> Iterator[Served]:
    sandbox.app.reset()
    environ = {
        "BRIDGE_JIRA_URL": sandbox.url,
        "BRIDGE_JIRA_EMAIL": ADMIN,
        "BRIDGE_JIRA_TOKEN": "sandbox-token",
        "BRIDGE_STATE": str(tmp_path / "state.db"),
        "BRIDGE_RULES": str(ROOT / "rules"),
        "BRIDGE_RETRY__MAX_ATTEMPTS": "1",
    }
    config = load_config(None, environ=environ)
    settings = ServeSettings(
        state=config.state,
        webhook_secret=SecretStr(SECRET),
        automation_token=SecretStr(TOKEN),
    )

    def processor(store: Store) -> SyncProcessor:
        return SyncProcessor(config, store)

    app = create_app(
        settings, processor=processor, worker_settings=FAST, check=CheckService(config)
    )
    server = Served(app)
    yield server
    server.stop()


def client(sandbox: RunningSandbox, email: str = ADMIN) -> JIRA:
    return JIRA(server=sandbox.url, basic_auth=(email, "sandbox-token"), max_retries=0)


def markers(jira: JIRA, key: str) -> list[str]:
    return [c.body.split("\n", 1)[0] for c in jira.comments(key) if marker_of(c.body)]


def processed(served: Served, n: int) -> bool:
    return f"bridge_processed_total {n}\n" in served.http.get(f"{served.url}/metrics").text


def test_out_of_order_deliveries_end_in_the_current_jira_state(
    sandbox: RunningSandbox, served: Served
) -> None:
    admin = client(sandbox)
    assert LABEL not in admin.issue("MKT-26").fields.labels
    client(sandbox, AISHA).issue("MKT-26").update(fields=PIXEL)
    # The newer event first, then the older one with the stale payload: both name MKT-26.
    assert served.webhook(issue_event("MKT-26", n=2, **PIXEL), ident="new").status_code == 202
    assert served.webhook(issue_event("MKT-26", n=1, **TYPO), ident="old").status_code == 202
    wait_for(lambda: processed(served, 2), timeout=20)
    assert LABEL in admin.issue("MKT-26").fields.labels
    assert len(markers(admin, "MKT-26")) == 1

    # Back to the typo in Jira; a late redelivery of the pixel payload arrives after that.
    client(sandbox, AISHA).issue("MKT-26").update(fields=TYPO)
    late = issue_event("MKT-26", n=2, **PIXEL)
    assert served.webhook(late, ident="late-retry-of-new").status_code == 202
    wait_for(lambda: processed(served, 3), timeout=20)
    assert LABEL not in admin.issue("MKT-26").fields.labels  # Jira's word, not the payload's


def test_check_answers_the_verdict_of_bridge_check(served: Served) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = served.http.get(f"{served.url}/check/MKT-1", headers=auth, timeout=30)
    assert answer.status_code == 200, answer.text
    verdict = answer.json()
    assert verdict["key"] == "MKT-1" and isinstance(verdict["allowed"], bool)
    assert {"rules", "reviews", "missing", "waivers"} <= set(verdict)
    assert served.http.get(f"{served.url}/check/MKT-1", timeout=30).status_code == 401
    bad = served.http.get(f"{served.url}/check/MKT-1%20OR%201=1", headers=auth, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"] == "malformed"
    missing = served.http.get(f"{served.url}/check/MKT-9999", headers=auth, timeout=30)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
