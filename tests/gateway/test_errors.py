"""HTTP failures become errors a person can act on, and secrets never leak into them.

The witness tests run the real clients against a real local HTTP server (and a closed port),
capture every log record at DEBUG from every logger involved, and look for the token in every
form it could take on the wire.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses
from pydantic import SecretStr

from bridgeplugin.confluence_gateway import ConfluenceGateway
from bridgeplugin.errors import (
    AtlassianError,
    AuthenticationError,
    BadRequest,
    Gone,
    NotFound,
    PermissionDenied,
    RequestTimeout,
    ServerError,
    TransportError,
)
from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.retry import ErrorContext, RetryPolicy, to_error

from .conftest import API, JIRA, SleepRecorder

TOKEN_HELP = "https://id.atlassian.com/manage-profile/security/api-tokens"


def test_401_names_the_account_and_the_variables_to_check(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{API}/myself", status=401, body="<html>login</html>")
    with pytest.raises(AuthenticationError) as info:
        gateway.myself()
    assert str(info.value) == (
        "Jira rejected the credentials for bridge@example.com: check "
        f"BRIDGE_JIRA_EMAIL/BRIDGE_JIRA_TOKEN (create a token at {TOKEN_HELP})"
    )
    assert (info.value.status, info.value.method) == (401, "GET")
    assert info.value.url == f"{API}/myself"


def test_401_with_a_personal_access_token_points_at_the_pat_variable(
    rsps: responses.RequestsMock, policy: RetryPolicy
) -> None:
    rsps.get(f"{JIRA}/rest/api/2/myself", status=401)
    gw = JiraGateway(JIRA, pat=SecretStr("pat"), policy=policy, deployment="Server")
    with pytest.raises(AuthenticationError) as info:
        gw.myself()
    assert "credentials for the personal access token: check BRIDGE_JIRA_PAT" in str(info.value)


def test_403_says_which_permission_on_what(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.put(
        f"{API}/issue/MKT-1",
        status=403,
        json={"errorMessages": ["You do not have permission to edit issues in this project."]},
    )
    with pytest.raises(PermissionDenied) as info:
        gateway.add_labels("MKT-1", ["bridge-tech"])
    message = str(info.value)
    assert message.startswith(
        "Jira denied PUT /rest/api/3/issue/MKT-1 on issue MKT-1: bridge@example.com lacks "
        "the 'Edit Issues' permission"
    )
    assert "You do not have permission to edit issues" in message


def test_404_names_the_issue(gateway: JiraGateway, rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{API}/issue/MKT-404",
        status=404,
        json={"errorMessages": ["Issue does not exist or you do not have permission to see it."]},
    )
    with pytest.raises(NotFound) as info:
        gateway.get_issue("MKT-404", ["summary"])
    assert str(info.value).startswith("issue MKT-404 not found on Jira (GET /rest/api/3/issue/")


def test_410_says_the_endpoint_was_removed(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{API}/myself", status=410, json={"errorMessages": ["The API has been removed."]})
    with pytest.raises(Gone) as info:
        gateway.myself()
    assert str(info.value).startswith(
        "Jira removed the endpoint GET /rest/api/3/myself: The API has been removed."
    )
    assert "upgrade" in str(info.value)


def test_400_carries_jiras_messages_and_details(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(
        f"{API}/issue/MKT-1/comment",
        status=400,
        json={"errorMessages": ["Comment body can not be empty!"], "errors": {"body": "empty"}},
    )
    with pytest.raises(BadRequest) as info:
        gateway.add_comment("MKT-1", "")
    assert "Comment body can not be empty!; body: empty" in str(info.value)
    assert info.value.details["errors"] == {"body": "empty"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_says_cannot_reach_and_which_variable(
    sleeps: SleepRecorder,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    gw = JiraGateway(
        url,
        email="bridge@example.com",
        token=SecretStr("t"),
        policy=RetryPolicy(max_attempts=2, sleep=sleeps),
        deployment="Cloud",
    )
    with pytest.raises(TransportError) as info:
        gw.myself()
    assert str(info.value) == (
        f"cannot reach {url}: connection refused (check BRIDGE_JIRA_URL and the network)"
    )
    assert info.value.url == f"{url}/rest/api/3/myself"
    assert len(sleeps.calls) == 1  # refused proves nothing was sent: retried


def test_dns_failure_is_not_retried_and_says_so(
    gateway: JiraGateway, rsps: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    rsps.get(
        f"{API}/myself",
        body=requests.ConnectionError(socket.gaierror(-2, "Name or service not known")),
    )
    with pytest.raises(TransportError) as info:
        gateway.myself()
    assert "the host name does not resolve (DNS)" in str(info.value)
    assert sleeps.calls == []


def test_read_timeout_becomes_request_timeout_after_retries(
    gateway: JiraGateway, rsps: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    rsps.get(f"{API}/myself", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(RequestTimeout) as info:
        gateway.myself()
    assert str(info.value).startswith(f"Jira at {JIRA} did not answer within 20 s")
    assert sleeps.calls == [1, 2]


def test_every_request_carries_the_configured_timeout(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.get(f"{API}/myself", json={"accountId": "a"})
    gateway.myself()
    assert {c.request.req_kwargs["timeout"] for c in rsps.calls} == {(3.0, 20.0)}


def test_query_strings_never_reach_the_error_url() -> None:
    resp = requests.Response()
    resp.status_code = 500
    resp.url = "https://u:p@acme.atlassian.net/rest/api/3/search/jql?jql=secret"
    resp._content = b""
    err = to_error(resp, ErrorContext(service="Jira"))
    assert isinstance(err, ServerError)
    assert err.url == "https://acme.atlassian.net/rest/api/3/search/jql"


def test_an_already_mapped_error_passes_through() -> None:
    err = NotFound("x")
    assert to_error(err, ErrorContext()) is err
    assert to_error(ValueError("bug"), ErrorContext()) is None


# ------------------------------------------------------------------------------------ witness


class _Site(BaseHTTPRequestHandler):
    """A hostile little site: it echoes the Authorization header back in a response header."""

    routes = {
        "/rest/api/2/serverInfo": (200, {"deploymentType": "Cloud", "version": "1001.0.0"}),
        "/rest/api/3/myself": (401, {"errorMessages": ["Client must be authenticated"]}),
        "/rest/api/3/issue/MKT-1": (403, {"errorMessages": ["No permission"]}),
        "/rest/api/3/project/MKT": (500, {"errorMessages": ["Internal server error"]}),
        "/wiki/rest/api/content": (401, {"message": "Unauthorized"}),
        "/wiki/rest/api/content/1": (403, {"message": "Forbidden"}),
        "/wiki/rest/api/space/BRIDGE": (500, {"message": "Boom"}),
    }

    def _answer(self) -> None:
        status, body = self.routes.get(self.path.split("?")[0], (404, {"errorMessages": []}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo-Authorization", self.headers.get("Authorization", ""))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _forms(email: str, token: str) -> list[str]:
    basic = base64.b64encode(f"{email}:{token}".encode()).decode()
    return [token, basic, f"Basic {basic}", f"Bearer {token}"]


def _exposed_text(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    parts.extend(repr(v) for v in vars(exc).values())
    return "\n".join(parts)


def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in (
        "urllib3",
        "requests",
        "jira",
        "jira.client",
        "jira.resilientsession",
        "atlassian",
        "bridgeplugin",
    ):
        caplog.set_level(logging.DEBUG, logger=name)


def _all_logged(caplog: pytest.LogCaptureFixture) -> str:
    lines = [caplog.text]
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
    return "\n".join(lines)


@pytest.mark.parametrize("auth", ["basic", "pat"])
def test_witness_the_jira_token_never_reaches_logs_or_errors(
    site: str, caplog: pytest.LogCaptureFixture, sleeps: SleepRecorder, auth: str
) -> None:
    token = secrets.token_urlsafe(24)
    email = "witness@example.com"
    creds = (
        {"email": email, "token": SecretStr(token)}
        if auth == "basic"
        else {"pat": SecretStr(token)}
    )
    _capture_everything(caplog)
    policy = RetryPolicy(max_attempts=2, sleep=sleeps)
    gw = JiraGateway(site, policy=policy, **creds)
    caplog.set_level(logging.DEBUG, logger="jira")  # the client resets its level on init
    caplog.set_level(logging.DEBUG, logger="jira.client")
    failures: list[AtlassianError] = []
    for call in (
        gw.myself,
        lambda: gw.get_issue("MKT-1", ["summary"]),
        lambda: gw.project("MKT"),
    ):
        with pytest.raises(AtlassianError) as info:
            call()
        failures.append(info.value)
    closed = JiraGateway(
        f"http://127.0.0.1:{_closed_port()}", policy=policy, deployment="Cloud", **creds
    )
    with pytest.raises(TransportError) as info:
        closed.myself()
    failures.append(info.value)

    assert [type(f) for f in failures] == [
        AuthenticationError,
        PermissionDenied,
        ServerError,
        TransportError,
    ]
    exposed = _all_logged(caplog) + "\n".join(_exposed_text(f) for f in failures)
    assert caplog.records, "the witness must have seen log records to be meaningful"
    for form in _forms(email, token):
        assert form not in exposed


def test_witness_the_confluence_token_never_reaches_logs_or_errors(
    site: str, caplog: pytest.LogCaptureFixture, sleeps: SleepRecorder
) -> None:
    token = secrets.token_urlsafe(24)
    email = "witness@example.com"
    _capture_everything(caplog)
    policy = RetryPolicy(max_attempts=2, sleep=sleeps)
    conf = ConfluenceGateway(f"{site}/wiki", email=email, token=SecretStr(token), policy=policy)
    failures: list[AtlassianError] = []
    for call in (
        lambda: conf.find_page("BRIDGE", "Sprint 1"),
        lambda: conf.get_page("1"),
        lambda: conf.space("BRIDGE"),
    ):
        with pytest.raises(AtlassianError) as info:
            call()
        failures.append(info.value)
    closed = ConfluenceGateway(
        f"http://127.0.0.1:{_closed_port()}/wiki",
        email=email,
        token=SecretStr(token),
        policy=policy,
    )
    with pytest.raises(TransportError) as info:
        closed.space("BRIDGE")
    failures.append(info.value)

    assert [type(f) for f in failures] == [
        AuthenticationError,
        PermissionDenied,
        ServerError,
        TransportError,
    ]
    exposed = _all_logged(caplog) + "\n".join(_exposed_text(f) for f in failures)
    for form in _forms(email, token):
        assert form not in exposed
