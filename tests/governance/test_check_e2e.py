"""``bridge check`` end to end: the real CLI and gateway over HTTP against the demo sandbox.

People act through the real ``jira`` client with their own accounts (the changelog and the
comments then say who did what), and ``bridge check`` reads it back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jira import JIRA

from bridgeplugin.cli import main
from bridgeplugin.governance import STATES
from bridgeplugin.sandbox.server import RunningSandbox, start

pytestmark = pytest.mark.sandbox

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "sandbox-token"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


@pytest.fixture
def site(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> RunningSandbox:
    sandbox.app.reset()  # the demo seed again, an empty ledger, the seed's clock
    monkeypatch.chdir(tmp_path)  # no ./bridge.yaml from wherever the tests run
    return sandbox


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]


def bridge(site: RunningSandbox, *args: str, rules: Path = ROOT / "rules") -> Run:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("BRIDGE_")}
    env.update(
        BRIDGE_JIRA_URL=site.url,
        BRIDGE_JIRA_EMAIL="admin@example.com",
        BRIDGE_JIRA_TOKEN=TOKEN,
        BRIDGE_RULES=str(rules),
        BRIDGE_RETRY__MAX_ATTEMPTS="1",
    )
    result = CliRunner().invoke(main, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def as_user(site: RunningSandbox, name: str) -> JIRA:
    return JIRA(server=site.url, basic_auth=(f"{name}@example.com", TOKEN), max_retries=0)


def check_json(site: RunningSandbox, key: str, *args: str) -> tuple[int, dict[str, Any]]:
    run = bridge(site, "check", key, "--format", "json", *args)
    assert run.code in (0, 1), run.err
    return run.code, run.json()


def states(doc: dict[str, Any]) -> dict[str, str]:
    return {r["name"]: r["state"] for r in doc["reviews"]}


def missing(doc: dict[str, Any]) -> list[str]:
    return [m["name"] for m in doc["missing"]]


# -- the demo seed's governance cases -------------------------------------------------------------


def test_mkt2_reviewed_by_the_right_people_is_allowed(site: RunningSandbox) -> None:
    code, doc = check_json(site, "MKT-2")
    assert code == 0
    assert doc["allowed"] is True and doc["missing"] == []
    by = {r["name"]: (r["state"], r["by"], r["sub_task"]) for r in doc["reviews"]}
    assert by == {
        "integration": ("given", "Grace Liu", "MKT-3"),
        "security": ("given", "Marcus Brennan", "MKT-4"),
    }
    assert doc["reviews"][1]["at"] == "2026-11-03T11:30:00+00:00"
    assert doc["violation"] is False


def test_mkt5_approved_without_reviews_is_not_allowed(site: RunningSandbox) -> None:
    code, doc = check_json(site, "MKT-5")
    assert code == 1
    assert missing(doc) == ["integration", "security"]
    assert states(doc) == {"integration": "pending", "security": "pending"}
    assert [m["groups"] for m in doc["missing"]] == [["it-architecture"], ["security-reviewers"]]
    assert doc["gate"]["active"] and doc["gate"]["revert_to"] == "In Review"
    assert doc["gate"]["entered_by"] == "Chloé Martin"
    assert doc["enforcement"]["revert"] == {
        "from": "Approved",
        "to": "In Review",
        "source": "history",
    }
    assert [c["summary"] for c in doc["enforcement"]["create"]] == [
        "Integration review: Add Meta pixel and TikTok pixel to the checkout",
        "Security review: Add Meta pixel and TikTok pixel to the checkout",
    ]


def test_mkt6_security_review_closed_by_an_architect_does_not_count(site: RunningSandbox) -> None:
    code, doc = check_json(site, "MKT-6")
    assert code == 1
    assert missing(doc) == ["security"]
    assert states(doc) == {"integration": "given", "security": "pending"}
    (sec,) = doc["missing"]
    assert sec["sub_task"] == "MKT-8"
    assert (
        sec["reason"] == "MKT-8 was approved by Olumide Adeyemi, who is not in security-reviewers"
    )


def test_mkt12_approved_by_its_reporter_is_not_allowed(site: RunningSandbox) -> None:
    code, doc = check_json(site, "MKT-12")
    assert code == 1
    assert states(doc) == {"integration": "given", "security": "given"}
    assert missing(doc) == ["approval"]
    assert doc["missing"][0]["kind"] == "approval"
    assert "Aisha Bello, the request's reporter (no self-approval)" in doc["missing"][0]["reason"]
    assert doc["gate"]["approval_counts"] is False


def test_mkt9_in_review_is_not_allowed_yet_but_nothing_is_reverted(site: RunningSandbox) -> None:
    code, doc = check_json(site, "MKT-9")
    assert code == 1
    assert states(doc) == {"integration": "pending", "security": "pending"}
    assert doc["gate"]["active"] is False and doc["violation"] is False
    assert doc["enforcement"]["revert"] is None


def test_the_json_has_the_documented_shape(site: RunningSandbox) -> None:
    _, doc = check_json(site, "MKT-6")
    assert {"key", "allowed", "rules", "reviews", "missing", "waivers"} <= set(doc)
    assert doc["key"] == "MKT-6" and isinstance(doc["allowed"], bool)
    for review in doc["reviews"]:
        assert {"name", "state", "by", "at"} <= set(review)
        assert review["state"] in STATES
    (rule,) = doc["rules"]
    assert rule["name"] == "marketing-technology" and rule["applies"] is True
    assert rule["result"]["predicate"] == "tagged"
    assert doc["waivers"][0]["name"] == "emergency" and doc["waivers"][0]["state"] == "none"


def test_the_text_output_is_the_verdict_tree(site: RunningSandbox) -> None:
    run = bridge(site, "check", "MKT-6")
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == "MKT-6  Send customer list to agency for lookalike audiences"
    assert lines[1] == "NOT ALLOWED: missing Security review"
    assert any(line.startswith("  [true]  marketing-technology (mandatory)") for line in lines)
    assert any("given        integration    MKT-7" in line for line in lines)
    assert any("violation    bridge sync moves it back to In Review" in line for line in lines)


def test_check_reads_and_never_writes(site: RunningSandbox) -> None:
    site.app.ledger.clear()
    bridge(site, "check", "MKT-5")
    calls = site.app.ledger.calls()
    assert calls and not [c for c in calls if c.is_write]


# -- what changes in Jira changes the verdict -----------------------------------------------------


def test_assume_simulates_without_touching_jira(site: RunningSandbox) -> None:
    site.app.ledger.clear()
    code, doc = check_json(site, "MKT-6", "--assume", "security=approved")
    assert code == 0
    assert doc["assumed"] == ["security=approved"]
    assert not [c for c in site.app.ledger.calls() if c.is_write]


def test_a_material_change_after_the_reviews_lapses_them(site: RunningSandbox) -> None:
    as_user(site, "tomasz").issue("MKT-2").update(fields={"customfield_10104": "Zapier"})
    code, doc = check_json(site, "MKT-2")
    assert code == 1
    assert states(doc) == {"integration": "lapsed", "security": "lapsed"}
    assert "then Vendor changed by Tomasz Kowalczyk" in doc["reviews"][1]["reason"]
    assert doc["reviews"][1]["changes"][0]["to"] == "Zapier"
    assert doc["enforcement"]["reopen"] == [
        {"review": "integration", "sub_task": "MKT-3"},
        {"review": "security", "sub_task": "MKT-4"},
    ]


def test_a_rejected_review_blocks_with_the_reason(site: RunningSandbox) -> None:
    as_user(site, "ingrid").transition_issue("MKT-11", "Reject")
    code, doc = check_json(site, "MKT-9")
    assert code == 1
    assert states(doc)["security"] == "rejected"
    (sec,) = [m for m in doc["missing"] if m["name"] == "security"]
    assert sec["reason"] == "MKT-11 was rejected by Ingrid Solberg (resolution Rejected)"


def test_a_review_approved_by_the_right_person_counts_at_once(site: RunningSandbox) -> None:
    as_user(site, "ingrid").transition_issue("MKT-8", "Reopen")
    as_user(site, "fatima").transition_issue("MKT-8", "Approve")
    code, doc = check_json(site, "MKT-6")
    assert code == 0, doc["missing"]
    assert doc["reviews"][1]["by"] == "Fatima Zahra El Idrissi"


def test_a_waiver_signed_by_the_cio_and_the_cmo_passes_then_expires(
    site: RunningSandbox,
) -> None:
    as_user(site, "samuel").add_comment("MKT-5", "/bridge waive emergency: launch on the 1st")
    as_user(site, "diane").add_comment("MKT-5", "/bridge waive emergency until 2026-12-02")
    code, doc = check_json(site, "MKT-5", "--at", "2026-11-25T09:00:00Z")
    assert code == 0
    (waiver,) = doc["waivers"]
    assert waiver["state"] == "active"
    assert [a["by"] for a in waiver["approvals"]] == ["Samuel Osei", "Diane Foster"]
    assert waiver["expires"] == "2026-12-03T00:00:00+00:00"
    assert {r["waived_by"] for r in doc["reviews"]} == {"emergency"}
    code, doc = check_json(site, "MKT-5", "--at", "2026-12-03T00:00:00Z")
    assert code == 1
    assert doc["waivers"][0]["state"] == "expired"


def test_a_waiver_comment_by_the_reporter_counts_for_nothing(site: RunningSandbox) -> None:
    as_user(site, "mateo").add_comment("MKT-5", "/bridge waive emergency: the CIO said yes")
    code, doc = check_json(site, "MKT-5")
    assert code == 1
    assert doc["waivers"][0]["state"] == "none"
    assert doc["waivers"][0]["ignored"] == ["waive by Mateo García: the request's reporter"]


# -- errors ---------------------------------------------------------------------------------------


def test_an_unknown_review_in_assume_is_a_usage_error(site: RunningSandbox) -> None:
    run = bridge(site, "check", "MKT-5", "--assume", "secruity=approved")
    assert run.code == 2
    assert "did you mean 'security'?" in run.err


def test_an_unknown_issue_is_an_api_error(site: RunningSandbox) -> None:
    run = bridge(site, "check", "MKT-999")
    assert run.code == 3
    assert "MKT-999" in run.err


def test_a_broken_review_file_stops_check_with_its_line(
    site: RunningSandbox, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("tagging.yaml", "vendors.yaml"):
        (rules / name).write_text((ROOT / "rules" / name).read_text(encoding="utf-8"))
    (rules / "reviews.yaml").write_text(
        "kind: reviews\nreviews:\n  security:\n    title: Security\n", encoding="utf-8"
    )
    run = bridge(site, "check", "MKT-5", rules=rules)
    assert run.code == 2
    assert f"{rules / 'reviews.yaml'}:4: reviews.security: missing key 'groups'" in run.err
