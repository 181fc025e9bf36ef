"""Shared helpers of the fake-Jira tests: a small seed, a running sandbox, clients, contract.

Not the demo seed (someone else owns it): a site small enough to read in one screen. People:

* ada (marketing), mia (marketing), ivan (it-architecture), sara (security-reviewers),
  eve (no group), root (site admin, no group).

Projects: ``MKT`` (business, the request workflow, comments limited to marketing and IT),
``IT`` (software, default workflow, a Scrum board with a closed, an active and a future sprint),
``SEC`` (only security-reviewers may browse it; create only by them).

Every exchange can be checked against the official OpenAPI description (``contract``): the
same check ``tests/contract`` runs, except that Jira's own timestamp format (``+0000``, which
Jira Cloud sends although the description says RFC 3339 ``date-time``) is accepted.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jira
import requests

from bridgeplugin.sandbox.routing import Request, Response
from bridgeplugin.sandbox.seed import Seed, parse_seed
from bridgeplugin.sandbox.server import RunningSandbox, running

TOKEN = "sandbox-token"
ADA = "ada@example.com"
MIA = "mia@example.com"
IVAN = "ivan@example.com"
SARA = "sara@example.com"
EVE = "eve@example.com"
ROOT = "root@example.com"
NOW = "2026-11-24T09:00:00+00:00"

REQUEST_WORKFLOW = {
    "name": "Request workflow",
    "statuses": [
        {"name": "To Do", "category": "new"},
        {"name": "In Review", "category": "indeterminate"},
        {"name": "Approved", "category": "indeterminate"},
        {"name": "Done", "category": "done"},
    ],
    "transitions": [
        {"name": "Submit for review", "to": "In Review", "from": ["To Do"]},
        {"name": "Approve", "to": "Approved", "from": ["In Review"]},
        {"name": "Complete", "to": "Done", "from": ["Approved"], "resolution": "Done"},
        {"name": "Send back", "to": "To Do", "from": ["In Review", "Approved"]},
        {"name": "Reopen", "to": "To Do", "from": ["Done"]},
    ],
}


def seed_doc(**site: Any) -> dict[str, Any]:
    """The seed as a plain document, so a test can change a part before parsing it."""
    return {
        "site": {"clock": NOW, **site},
        "users": [
            {"account_id": "acc-ada", "display_name": "Ada Lovelace", "email": ADA},
            {"account_id": "acc-mia", "display_name": "Mia Wong", "email": MIA},
            {"account_id": "acc-ivan", "display_name": "Ivan Petrov", "email": IVAN},
            {"account_id": "acc-sara", "display_name": "Sara Quinn", "email": SARA},
            {"account_id": "acc-eve", "display_name": "Eve Outsider", "email": EVE},
            {
                "account_id": "acc-root",
                "display_name": "Site Admin",
                "email": ROOT,
                "site_admin": True,
            },
        ],
        "groups": [
            {"name": "marketing", "members": [ADA, MIA]},
            {"name": "it-architecture", "members": [IVAN]},
            {"name": "security-reviewers", "members": [SARA]},
        ],
        "fields": [
            {"name": "Cost", "type": "number"},
            {"name": "Initiative", "type": "string"},
            {"name": "Notes", "type": "text"},
            {"name": "Channel", "type": "select", "options": ["Email", "Social", "Web"]},
            {"name": "Reviewer", "type": "user"},
            {"name": "Go-live", "type": "date"},
        ],
        "workflows": [REQUEST_WORKFLOW],
        "projects": [
            {
                "key": "MKT",
                "name": "Marketing",
                "type": "business",
                "lead": ADA,
                "workflow": "Request workflow",
                "components": ["Web", "CRM"],
                "permissions": {"ADD_COMMENTS": ["marketing", "it-architecture"]},
            },
            {"key": "IT", "name": "IT", "type": "software", "lead": IVAN},
            {
                "key": "SEC",
                "name": "Security",
                "permissions": {
                    "BROWSE_PROJECTS": ["security-reviewers"],
                    "CREATE_ISSUES": ["security-reviewers"],
                },
            },
        ],
        "boards": [
            {"id": 1, "name": "IT board", "type": "scrum", "project": "IT"},
            {"id": 2, "name": "MKT kanban", "type": "kanban", "project": "MKT"},
        ],
        "sprints": [
            {
                "id": 1,
                "board": 1,
                "name": "IT Sprint 1",
                "state": "closed",
                "start": "2026-10-26T09:00:00+00:00",
                "end": "2026-11-09T09:00:00+00:00",
                "complete": "2026-11-09T10:00:00+00:00",
            },
            {
                "id": 2,
                "board": 1,
                "name": "IT Sprint 2",
                "state": "active",
                "start": "2026-11-09T09:00:00+00:00",
                "end": "2026-11-23T09:00:00+00:00",
                "goal": "Ship the CRM bridge",
            },
            {"id": 3, "board": 1, "name": "IT Sprint 3", "state": "future"},
        ],
        "issues": [
            {
                "key": "MKT-1",
                "project": "MKT",
                "type": "Epic",
                "summary": "Spring campaign",
                "reporter": ADA,
                "created": "2026-11-01T09:00:00+00:00",
            },
            {
                "key": "MKT-2",
                "project": "MKT",
                "type": "Task",
                "summary": "Buy a newsletter tool",
                "description": "We need one.\n\nBudget is small.",
                "reporter": ADA,
                "parent": "MKT-1",
                "labels": ["saas"],
                "fields": {"Cost": 1200, "Channel": "Email"},
                "created": "2026-11-02T09:00:00+00:00",
                "comments": [{"author": IVAN, "body": "Which vendor?"}],
            },
            {
                "key": "IT-1",
                "project": "IT",
                "type": "Story",
                "summary": "CRM bridge",
                "reporter": IVAN,
                "sprint": 2,
                "created": "2026-11-03T09:00:00+00:00",
            },
            {
                "key": "IT-2",
                "project": "IT",
                "type": "Task",
                "summary": "Old cleanup",
                "reporter": IVAN,
                "sprint": 1,
                "status": "Done",
                "created": "2026-10-27T09:00:00+00:00",
            },
            {
                "key": "SEC-1",
                "project": "SEC",
                "type": "Task",
                "summary": "Pen test",
                "reporter": SARA,
                "created": "2026-11-04T09:00:00+00:00",
            },
        ],
    }


def make_seed(**site: Any) -> Seed:
    return parse_seed(seed_doc(**site))


DEFAULT_SEED = make_seed()


def fresh(sb: RunningSandbox, seed: Seed | None = None) -> RunningSandbox:
    """Give a shared sandbox a new site (a reset is much cheaper than a new server)."""
    sb.app.reset(seed or DEFAULT_SEED)
    return sb


@contextlib.contextmanager
def sandbox(seed: Seed | None = None, **kwargs: Any) -> Iterator[RunningSandbox]:
    with running(seed or make_seed(), **kwargs) as sb:
        # The stdlib server writes headers and body in two segments; with Nagle's algorithm on,
        # each answer then waits ~40 ms for the client's delayed ACK. Only this test server's
        # own handler class is touched (server.py makes one per server).
        sb.server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        yield sb


def client(sb: RunningSandbox, email: str = ADA, token: str = TOKEN) -> jira.JIRA:
    """The real ``jira`` client, configured as the gateway configures it."""
    return jira.JIRA(server=sb.url, basic_auth=(email, token), max_retries=0, timeout=5)


def rest(
    sb: RunningSandbox, method: str, path: str, *, email: str = ADA, **kwargs: Any
) -> requests.Response:
    """A raw call, for endpoints and answers the ``jira`` client does not expose."""
    return requests.request(method, sb.url + path, auth=(email, TOKEN), timeout=5, **kwargs)


def ledger(sb: RunningSandbox) -> list[dict[str, Any]]:
    return requests.get(sb.url + "/_sandbox/ledger", timeout=5).json()["calls"]


# ---------------------------------------------------------------------- contract


def _rfc_or_jira_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


_SPECS = Path(__file__).resolve().parents[1] / "contract" / "openapi"
# Answers the description types as JSON with an empty schema ``{}`` while Jira sends no body
# (204s, and the 200/201 of property PUT and issueLink POST): nothing there to validate.
_EMPTY_BODIES = [
    ("PUT", r"/issue/[^/]+$"),
    ("DELETE", r"/issue/[^/]+$"),
    ("POST", r"/issue/[^/]+/transitions$"),
    ("PUT", r"/issue/[^/]+/properties/[^/]+$"),
    ("DELETE", r"/issue/[^/]+/properties/[^/]+$"),
    ("POST", r"/issueLink$"),
    ("DELETE", r"/issueLink/[^/]+$"),
]


@cache
def _spec(file: str) -> Any:
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_file_path(
        str(_SPECS / file),
        config=Config(
            spec_validator_cls=None,
            extra_format_validators={"date-time": _rfc_or_jira_time},
        ),
    )


def contract_problem(request: Request, response: Response) -> str | None:
    """Why the exchange does not match Jira's description, or None when it does."""
    from openapi_core.testing import MockRequest, MockResponse

    path = request.path
    if path.startswith(("/rest/api/2/", "/rest/api/latest/")):
        file, host = "jira-platform-swagger-v3.v3.json", "https://your-domain.atlassian.net"
        path = "/rest/api/3/" + path.split("/", 4)[4]
    elif path.startswith("/rest/api/3/"):
        file, host = "jira-platform-swagger-v3.v3.json", "https://your-domain.atlassian.net"
    elif path.startswith("/rest/agile/1.0/"):
        file, host = "jira-software-swagger.v3.json", "https://your-domain.atlassian.com"
    else:
        return None
    if not response.body and any(
        request.method == m and re.search(p, request.path) for m, p in _EMPTY_BODIES
    ):
        return None
    content_type = response.headers.get("Content-Type", "application/json").split(";")[0]
    mock_request = MockRequest(
        host, request.method.lower(), path, args={k: v[0] for k, v in request.query.items()}
    )
    mock_response = MockResponse(
        response.body, status_code=response.status, content_type=content_type
    )
    try:
        _spec(file).validate_response(mock_request, mock_response)
    except Exception as exc:  # openapi-core raises many types; each one is a finding
        cause = exc.__cause__ or exc
        detail = getattr(cause, "schema_errors", None)
        text = "; ".join(str(e.message) for e in detail) if detail else str(cause)
        return f"{request.method} {request.path} -> {response.status}: {text[:400]}"
    return None


@contextlib.contextmanager
def contract_checked(sb: RunningSandbox) -> Iterator[list[str]]:
    """Collect contract findings of every exchange while the block runs."""
    findings: list[str] = []

    def observe(request: Request, response: Response) -> None:
        problem = contract_problem(request, response)
        if problem:
            findings.append(problem)

    sb.app.observers.append(observe)
    try:
        yield findings
    finally:
        sb.app.observers.remove(observe)


def body(resp: requests.Response) -> Any:
    return json.loads(resp.text) if resp.text else None
