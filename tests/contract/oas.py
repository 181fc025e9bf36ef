"""Check sandbox responses against Atlassian's official OpenAPI descriptions.

Each description has its own server URL; requests are matched after rewriting the sandbox's
path onto it (see ATLASSIAN-NOTES.md, "Validating against the OpenAPI descriptions"):

    /rest/api/{2,latest}/...  -> the Jira platform description's /rest/api/3/... (same shapes;
                                 v2 only differs in rich-text fields the schemas leave open)
    /rest/agile/1.0/...       -> the Jira Software description
    /wiki/rest/api/...        -> the Confluence v1 description
    /wiki/api/v2/...          -> the Confluence v2 description

The descriptions are not strictly valid OpenAPI, so they load with the spec validator off.
Where Jira itself departs from its own description, the exchange is excused only by an entry of
``ALLOWED`` (below), each with its reason; ``used`` counts what every entry excused, so a test
can prove each one is still needed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from rfc3339_validator import validate_rfc3339

from bridgeplugin.sandbox.routing import Request, Response

# A verbatim copy of ../shared/atlassian-openapi (see its README for provenance and hashes), so
# a clone of this repository runs its contract tests on its own.
SPEC_DIR = Path(__file__).parent / "openapi"


@dataclass(frozen=True)
class _Target:
    file: str
    host: str


_JIRA = _Target("jira-platform-swagger-v3.v3.json", "https://your-domain.atlassian.net")
_AGILE = _Target("jira-software-swagger.v3.json", "https://your-domain.atlassian.com")
_CONF_V1 = _Target("confluence-v1-swagger.v3.json", "//your-domain.atlassian.net")
_CONF_V2 = _Target("confluence-v2-openapi-v2.v3.json", "https://no-default")


# ==================================================================================== allow-list
# The only departures from the descriptions these tests accept: each is Jira Cloud's own
# behaviour contradicting its description (never a sandbox shortcut), narrowed as far as
# possible. Anything else is a finding, to be fixed in the sandbox. Keep this list minimal;
# tests/contract/test_jira_contract.py fails when an entry no longer excuses anything.


@dataclass(frozen=True)
class Allowance:
    key: str
    reason: str


JIRA_TIMESTAMPS = Allowance(
    "jira-timestamps",
    "Jira's platform API writes timestamps as 2026-11-24T09:00:00.000+0000 (a UTC offset "
    "without a colon), which is what Jira Cloud sends and every client parses, while the "
    "description types them `format: date-time` (RFC 3339 wants +00:00). Only that exact form "
    "is accepted besides RFC 3339, and only against the platform description.",
)
NO_BODY_FOR_UNTYPED_CONTENT = Allowance(
    "no-body-for-untyped-content",
    "Jira's writes answer with no body (PUT /issue/{key} 204, POST /issue/{key}/transitions "
    "204, POST /issueLink 201, PUT /issue/{key}/properties/{k} 200/201) while the description "
    "declares `application/json` with the empty schema `{}` for them; a 204 cannot carry a "
    "body at all (RFC 9110, 15.3.5). Excused only where the declared schema is exactly `{}`.",
)
REMOVED_SEARCH = Allowance(
    "removed-search-410",
    "GET/POST /rest/api/{2,3}/search were removed from Cloud (CHANGE-2046) and answer 410 Gone; "
    "the description still lists them (deprecated, 'currently being removed') with 200/400/401 "
    "only. Excused only when the 410 body is Jira's ErrorCollection.",
)
ALLOWED: tuple[Allowance, ...] = (JIRA_TIMESTAMPS, NO_BODY_FOR_UNTYPED_CONTENT, REMOVED_SEARCH)

# Allowance key -> how many values or exchanges it excused in this process.
used: Counter[str] = Counter()

_JIRA_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}")


def _jira_date_time(value: object) -> bool:
    """``date-time`` for the platform description: RFC 3339, or Jira's ``+0000`` form."""
    if not isinstance(value, str) or validate_rfc3339(value):
        return True
    if _JIRA_TIME.fullmatch(value) and validate_rfc3339(f"{value[:-2]}:{value[-2:]}"):
        used[JIRA_TIMESTAMPS.key] += 1
        return True
    return False


def _allowance(target: _Target, operation: Any, response: Response) -> Allowance | None:
    """The allow-list entry that excuses this exchange as a whole, if any."""
    if operation is None:  # not described at all: validation reports it
        return None
    if (
        response.status == 410
        and target == _JIRA
        and operation.path_result.pattern == "/rest/api/3/search"
        and _valid(_JIRA, "ErrorCollection", response.body)
    ):
        return REMOVED_SEARCH
    if not response.body:
        declared = operation.operation / "responses"
        # A status declared without content (303 to a task) needs no excuse: nothing to check.
        if str(response.status) in declared and "content" in declared / str(response.status):
            content = declared / str(response.status) / "content"
            schemas = [media.read_value().get("schema") for media in content]
            if schemas and all(schema == {} for schema in schemas):
                return NO_BODY_FOR_UNTYPED_CONTENT
    return None


# ======================================================================= example-only answers
# Operations the plugin uses whose description gives an example but no schema, so openapi-core
# checks nothing: their answers are checked against the description's own component schema
# (a page of them, when the value is a list name) instead. Stricter, never looser.
EXAMPLE_ONLY: dict[tuple[str, str, str], str] = {
    # GET /board/{id}/sprint: the page envelope of the Agile API around SprintBean items.
    (_AGILE.file, "get", "/rest/agile/1.0/board/{boardId}/sprint"): "values:SprintBean",
}


def _example_only_problem(target: _Target, operation: Any, response: Response) -> str | None:
    if operation is None or not 200 <= response.status < 300:
        return None
    key = (target.file, operation.operation.parts[-1], operation.path_result.pattern)
    component = EXAMPLE_ONLY.get(key)
    if component is None:
        return None
    items, _, name = component.rpartition(":")
    schema = _component(target, name)
    if items:
        schema = {
            "type": "object",
            "required": [items],
            "properties": {
                "maxResults": {"type": "integer"},
                "startAt": {"type": "integer"},
                "total": {"type": "integer"},
                "isLast": {"type": "boolean"},
                items: {"type": "array", "items": schema},
            },
        }
    try:
        doc = json.loads(response.body)
    except ValueError:
        return "the body is not JSON"
    errors = [e.message for e in OAS30Validator(schema).iter_errors(doc)]
    return f"against {name}: " + "; ".join(errors) if errors else None


def _component(target: _Target, name: str) -> dict[str, Any]:
    value = (_spec(target.file).spec / "components" / "schemas" / name).read_value()
    return dict(value)


def _valid(target: _Target, name: str, body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return OAS30Validator(_component(target, name)).is_valid(doc)


# ================================================================================ validation


@cache
def _spec(file: str) -> OpenAPI:
    formats: dict[str, Any] = {"date-time": _jira_date_time} if file == _JIRA.file else {}
    return OpenAPI.from_file_path(
        str(SPEC_DIR / file),
        config=Config(spec_validator_cls=None, extra_format_validators=formats or None),
    )


@cache
def _finder(file: str) -> APICallPathFinder:
    return APICallPathFinder(_spec(file).spec)


def specs_available() -> bool:
    return all((SPEC_DIR / t.file).is_file() for t in (_JIRA, _AGILE, _CONF_V1, _CONF_V2))


def target_for(path: str) -> tuple[_Target, str] | None:
    """The description and the path to validate against, or None when none describes it."""
    for old in ("/rest/api/2/", "/rest/api/latest/"):
        if path.startswith(old):
            return _JIRA, "/rest/api/3/" + path[len(old) :]
    if path.startswith("/rest/api/3/"):
        return _JIRA, path
    if path.startswith("/rest/agile/1.0/"):
        return _AGILE, path
    if path.startswith("/wiki/rest/api/"):
        return _CONF_V1, path
    if path.startswith("/wiki/api/v2/"):
        return _CONF_V2, path
    return None


@dataclass(frozen=True)
class Finding:
    method: str
    path: str
    status: int
    problem: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}: {self.problem}"


def check(request: Request, response: Response) -> Finding | None:
    """Validate one exchange; None when the response matches its description."""
    found = target_for(request.path)
    if found is None:
        return Finding(request.method, request.path, response.status, "no description covers it")
    target, path = found
    content_type = response.headers.get("Content-Type", "application/json").split(";")[0]
    mock_request = MockRequest(
        target.host,
        request.method.lower(),
        path,
        args={k: v[0] for k, v in request.query.items()},
    )
    operation = _operation(target, mock_request)
    allowance = _allowance(target, operation, response)
    if allowance is not None:
        used[allowance.key] += 1
        return None
    mock_response = MockResponse(
        response.body, status_code=response.status, content_type=content_type
    )
    try:
        _spec(target.file).validate_response(mock_request, mock_response)
    except Exception as exc:  # openapi-core raises many types; each is a finding to report
        cause = exc.__cause__ or exc
        detail = getattr(cause, "schema_errors", None)
        text = "; ".join(str(e.message) for e in detail) if detail else str(cause)
        return Finding(
            request.method, request.path, response.status, f"{type(exc).__name__}: {text[:500]}"
        )
    problem = _example_only_problem(target, operation, response)
    if problem is not None:
        return Finding(request.method, request.path, response.status, problem[:500])
    return None


def _operation(target: _Target, mock_request: MockRequest) -> Any:
    """The described operation the request matches (openapi-core's lookup), or None."""
    try:
        return _finder(target.file).find(
            mock_request.method, mock_request.host_url + mock_request.path
        )
    except Exception:  # no such path or method: validation reports it
        return None


def decode(response: Response) -> object:
    return json.loads(response.body) if response.body else None
