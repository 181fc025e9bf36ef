"""A review policy checked against the demo site: missing names and reviews nobody can give."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bridgeplugin.governance import load_policy
from bridgeplugin.governance.validate import site_problems
from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.sandbox.server import start

pytestmark = pytest.mark.sandbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def jira() -> Iterator[JiraGateway]:
    sandbox = start("demo")
    gateway = JiraGateway(sandbox.url, email="admin@example.com", token=SecretStr("sandbox-token"))
    yield gateway
    gateway.close()
    sandbox.stop()


def test_the_shipped_policy_fits_the_demo_site(jira: JiraGateway) -> None:
    policy = load_policy(ROOT / "rules")
    assert policy is not None
    assert site_problems(policy, jira) == []


def test_every_problem_names_its_line_and_the_fix(jira: JiraGateway, tmp_path: Path) -> None:
    path = tmp_path / "reviews.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            kind: reviews
            reviews:
              security:
                groups: [security-reviewrs]
              sign-off:
                groups: [cio-office]
                approvals: 2
            material:
              fields: [Vendr]
            gate:
              statuses: [Aproved]
              revert_to: In Review
              projects:
                NOPE: {statuses: [Approved]}
            waivers:
              emergency:
                groups: [cio-office, board]
                expires_after_days: 3
            """
        ),
        encoding="utf-8",
    )
    policy = load_policy(tmp_path, vendors=None)
    assert policy is not None
    found = [p.text() for p in site_problems(policy, jira)]
    p = str(path)
    assert (
        f"{p}:3: review 'security' names group 'security-reviewrs', which does not exist "
        "on the site (create it, or name the group whose members do this)" in found
    )
    assert (
        f"{p}:5: review 'sign-off' can never be satisfied: cio-office has only 1 active "
        "member(s), 2 needed (add people to the group)" in found
    )
    assert any(t.startswith(f"{p}:16: waiver 'emergency' names group 'board'") for t in found)
    assert any(
        t.startswith(f"{p}:11: the gate names status 'Aproved', which is in no workflow")
        for t in found
    )
    assert any(t.startswith(f"{p}:14: gate.projects names project 'NOPE'") for t in found)
    assert any(t.startswith(f"{p}:9: unknown field 'Vendr'") and "Vendor" in t for t in found)
    assert len(found) == 6, found
