"""Check sandbox responses against Atlassian's official OpenAPI descriptions.

Each description has its own server URL; requests are matched after rewriting the sandbox's
path onto it (see ATLASSIAN-NOTES.md, "Validating against the OpenAPI descriptions"):

    /rest/api/{2,latest}/...  -> the Jira platform description's /rest/api/3/... (same shapes;
                                 v2 only differs in rich-text fields the schemas leave open)
    /rest/agile/1.0/...       -> the Jira Software description
    /wiki/rest/api/...        -> the Confluence v1 description
    /wiki/api/v2/...          -> the Confluence v2 description

The descriptions are not strictly valid OpenAPI, so they load with the spec validator off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

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


@cache
def _spec(file: str) -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_DIR / file), config=Config(spec_validator_cls=None))


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
    body = response.body
    if content_type == "application/json" and not body:
        body = b""
    mock_request = MockRequest(
        target.host,
        request.method.lower(),
        path,
        args={k: v[0] for k, v in request.query.items()},
    )
    mock_response = MockResponse(body, status_code=response.status, content_type=content_type)
    try:
        _spec(target.file).validate_response(mock_request, mock_response)
    except Exception as exc:  # openapi-core raises many types; each is a finding to report
        cause = exc.__cause__ or exc
        detail = getattr(cause, "schema_errors", None)
        text = "; ".join(str(e.message) for e in detail) if detail else str(cause)
        return Finding(request.method, request.path, response.status, f"{type(exc).__name__}: {text[:500]}")
    return None


def decode(response: Response) -> object:
    return json.loads(response.body) if response.body else None
