"""The CLI end to end: real processes against a real sandbox over HTTP.

Each bad-input case from the foundation issue gets one line on stderr, a non-zero exit code
and no traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridgeplugin.sandbox.server import RunningSandbox, start

BRIDGE = [sys.executable, "-m", "bridgeplugin"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site() -> Iterator[RunningSandbox]:
    sandbox = start("demo")
    yield sandbox
    sandbox.stop()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(extra)
    return env


def site_env(site: RunningSandbox, **extra: str) -> dict[str, str]:
    values = {
        "BRIDGE_JIRA_URL": site.url,
        "BRIDGE_JIRA_EMAIL": "admin@example.com",
        "BRIDGE_JIRA_TOKEN": "sandbox-token",
        # Keep failing-connection cases fast: one attempt, no backoff.
        "BRIDGE_RETRY__MAX_ATTEMPTS": "1",
    }
    return clean_env(**{**values, **extra})


def bridge(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*BRIDGE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def assert_one_clean_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


def test_doctor_passes_every_check_on_the_demo_site(site):
    proc = bridge("doctor", env=site_env(site))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and not [line for line in lines if line.startswith("FAIL")], proc.stdout
    names = {line.split(":")[0].split(None, 1)[1] for line in lines}
    assert {"jira", "credentials", "project MKT", "project IT", "field 'Cost'"} <= names
    assert {"permissions on MKT", "permissions on IT", "board", "report parent page"} <= names
    assert "tagging rules" in names
    # The shipped tagging rules name a larger company's groups: a warning, not a failure.
    warned = [line for line in lines if line.startswith("warn")]
    assert any("groups named by the tagging rules" in line and "brand" in line for line in warned)


def test_doctor_fails_on_a_broken_rule_file_naming_its_line(site, tmp_path):
    (tmp_path / "tagging.yaml").write_text(
        "kind: tagging\nrules:\n  - name: x\n    if: {project_inn: [MKT]}\n"
        "    then: {tech_request: true, category: saas}\n"
    )
    proc = bridge("doctor", env=site_env(site, BRIDGE_RULES=str(tmp_path)))
    assert proc.returncode == 1
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and "tagging rules" in failed[0]
    assert "tagging.yaml:4" in failed[0] and "project_in" in failed[0]


def test_doctor_names_each_missing_thing_with_a_fix_and_exits_1(site):
    env = site_env(
        site,
        BRIDGE_PROJECTS__MARKETING="NOPE",
        BRIDGE_CUSTOM_FIELDS__COST="Cots",
        BRIDGE_CONFLUENCE_SPACE="XX",
    )
    proc = bridge("doctor", "--format", "json", env=env)
    assert proc.returncode == 1
    checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
    assert checks["project NOPE"]["outcome"] == "fail"
    assert checks["field 'Cots'"]["outcome"] == "fail"
    assert "'Cost'" in checks["field 'Cots'"]["fix"]  # the close match is offered
    assert checks["confluence space"]["outcome"] == "fail"
    assert checks["project IT"]["outcome"] == "ok"
    assert all(c["fix"] for c in checks.values() if c["outcome"] == "fail")


def test_doctor_with_a_bad_token_stops_after_the_credentials_check(site):
    proc = bridge("doctor", env=site_env(site, BRIDGE_JIRA_TOKEN="not-the-token"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ok   jira")
    assert lines[1].startswith("FAIL credentials") and "BRIDGE_JIRA_TOKEN" in lines[1]
    assert all(line.startswith("skip") for line in lines[2:])
    assert "not-the-token" not in proc.stdout + proc.stderr


def test_a_refused_connection_is_one_line_naming_the_url(site):
    proc = bridge("doctor", env=site_env(site, BRIDGE_JIRA_URL="http://127.0.0.1:9"))
    assert proc.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in proc.stdout
    assert "BRIDGE_JIRA_URL" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_a_url_that_is_not_http_is_a_configuration_error():
    env = clean_env(BRIDGE_JIRA_URL="ftp://acme", BRIDGE_JIRA_EMAIL="a@b.c", BRIDGE_JIRA_TOKEN="t")
    assert_one_clean_error(bridge("doctor", env=env), 2, "BRIDGE_JIRA_URL")


def test_missing_credentials_name_the_variables_to_set():
    proc = bridge("doctor", env=clean_env(BRIDGE_JIRA_URL="http://127.0.0.1:9"))
    assert_one_clean_error(proc, 2, "BRIDGE_JIRA_TOKEN")


def test_a_missing_config_file_is_a_configuration_error(tmp_path):
    proc = bridge("--config", str(tmp_path / "nope.yaml"), "doctor", env=clean_env())
    assert_one_clean_error(proc, 2, "nope.yaml")


def test_a_malformed_config_file_names_the_line(tmp_path):
    cfg = tmp_path / "bridge.yaml"
    cfg.write_text("jira_url: http://127.0.0.1:9\nprojects:\n  marketing: [unclosed\n")
    proc = bridge("--config", str(cfg), "doctor", env=clean_env())
    assert_one_clean_error(proc, 2, "bridge.yaml:")


def test_demo_reads_the_site_tags_requests_and_a_second_sync_writes_nothing():
    proc = bridge("demo", "--format", "json", env=clean_env())
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["deployment"] == "Cloud"
    assert set(result["issues_by_project"]) == {"MKT", "IT"}
    assert sum(result["issues_by_project"].values()) >= 40
    # Both shared initiatives span the two teams.
    assert len(result["initiatives"]) == 2
    assert all(set(teams) == {"MKT", "IT"} for teams in result["initiatives"].values())
    states = {s["state"] for s in result["sprints"]}
    assert {"active", "closed"} <= states
    assert result["pages"][0] == "Marketing x IT reports"
    # The tagging read back from Jira is what the sync said it tagged, each with reasons.
    tagged = [row["key"] for row in result["tagged"]]
    assert tagged and result["sync"]["tagged"] == len(tagged)
    assert "MKT-1" in tagged  # "Trial of Sprout Social for the social team"
    assert "MKT-25" not in tagged  # hero image update in the CMS: content, not technology
    assert all(row["category"] and row["reasons"] for row in result["tagged"])
    # Tagging used one bulk label edit for all the tagged requests, and one comment each.
    actions = result["sync"]["actions"]
    assert sorted(a["key"] for a in actions if a["kind"] == "add_comment") == sorted(tagged)
    # Governance: the approvals made without reviews are reverted, the clean one stands.
    reverted = result["governance"]["reverted"]
    assert {"MKT-5", "MKT-6", "MKT-12"} <= set(reverted) and "MKT-2" not in reverted
    # One cross-team epic per shared initiative.
    assert len(result["epics"]) == 2
    # Everything is idempotent: a second sync with all of it switched on writes nothing.
    assert result["second_sync_writes"] == 0
    # The sprint page and the index are created once, with the chart; republishing is a no-op.
    assert result["page"]["title"] == "Marketing x IT — IT Sprint 25"
    assert all("unchanged" in action for action in result["page"]["republish_actions"])
    assert result["writes"] == result["sync"]["writes"] + 3  # page, index, chart
    # One search page for the whole demo site: no per-issue reads.
    assert result["calls_by_route"]["POST /rest/api/{ver}/search/jql"] >= 1


def test_sandbox_command_prints_url_and_credentials_first(tmp_path):
    proc = subprocess.Popen(
        [*BRIDGE, "sandbox", "--port", "0", "--state", str(tmp_path / "site.json")],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("sandbox at http://127.0.0.1:")
        assert "sandbox-token" in first and "/wiki" in first
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert (tmp_path / "site.json").is_file()  # flushed on SIGTERM


def test_sandbox_on_a_busy_port_is_one_clean_line(site):
    port = site.url.rsplit(":", 1)[1]
    proc = bridge("sandbox", "--port", port, env=clean_env())
    assert_one_clean_error(proc, 2, f"127.0.0.1:{port}", "--port")


def _rules_with_a_typo_in_a_review_group(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    reviews = rules / "reviews.yaml"
    text = reviews.read_text(encoding="utf-8")
    assert "groups: [security-reviewers]" in text
    reviews.write_text(text.replace("[security-reviewers]", "[security-reviewerz]"), "utf-8")
    return rules


def test_doctor_fails_when_a_review_names_a_group_the_site_lacks(site, tmp_path):
    rules = _rules_with_a_typo_in_a_review_group(tmp_path)
    proc = bridge("doctor", env=site_env(site, BRIDGE_RULES=str(rules)))
    assert proc.returncode == 1
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1, proc.stdout
    assert "security-reviewerz" in failed[0] and "reviews.yaml:" in failed[0]


def test_rules_validate_names_the_review_group_with_file_and_line(site, tmp_path):
    rules = _rules_with_a_typo_in_a_review_group(tmp_path)
    proc = bridge("rules", "validate", "--site", env=site_env(site, BRIDGE_RULES=str(rules)))
    assert proc.returncode == 1
    line = next(x for x in proc.stdout.splitlines() if "security-reviewerz" in x)
    assert line.startswith(f"{rules}/reviews.yaml:")
