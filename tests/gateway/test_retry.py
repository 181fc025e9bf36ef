"""The one retry layer: what is retried, how long it waits, and when it must not re-send.

The matrix drives the real ``jira`` client over HTTP (``responses``), so it also proves the
client's own retries are off: every attempt counted here is one request on the wire.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
from jira.exceptions import JIRAError

from bridgeplugin.errors import (
    AuthenticationError,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
)
from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.model import CreateResult
from bridgeplugin.retry import (
    RetryDecision,
    RetryPolicy,
    call_with_retry,
    classify,
    parse_retry_after,
)

from .conftest import API, NOW, SleepRecorder

HTTP_DATE = format_datetime(NOW + timedelta(seconds=5), usegmt=True)


def _response(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.headers.update(headers or {})
    resp._content = b"{}"
    return resp


# ------------------------------------------------------------------------------------ classify


def test_retry_after_seconds_and_http_date_are_both_understood() -> None:
    assert parse_retry_after("2", now=lambda: NOW) == 2.0
    assert parse_retry_after(HTTP_DATE, now=lambda: NOW) == 5.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: NOW) == 0.0
    assert parse_retry_after("soon", now=lambda: NOW) is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("reason", "scope"),
    [
        ("jira-per-issue-on-write", "issue"),
        ("jira-burst-based", "endpoint"),
        ("jira-quota-tenant-based", "global"),
        (None, "endpoint"),
    ],
)
def test_a_429_records_its_reason_and_scope(reason: str | None, scope: str) -> None:
    headers = {"Retry-After": "1"} | ({"RateLimit-Reason": reason} if reason else {})
    decision = classify(_response(429, headers))
    assert decision == RetryDecision(
        retry=True, wait=1.0, scope=scope, reason=reason, not_applied=True, status=429
    )


def test_a_429_asking_for_longer_than_max_wait_is_given_up_at_once() -> None:
    decision = classify(
        _response(429, {"Retry-After": "3600", "RateLimit-Reason": "jira-quota-tenant-based"}),
        policy=RetryPolicy(max_wait=60),
    )
    assert not decision.retry
    assert decision.wait == 3600
    assert decision.scope == "global"


def test_a_429_without_retry_after_uses_x_ratelimit_reset() -> None:
    reset = (NOW + timedelta(seconds=7)).isoformat()
    decision = classify(
        _response(429, {"X-RateLimit-Reset": reset}), policy=RetryPolicy(now=lambda: NOW)
    )
    assert decision.wait == 7.0


def test_errors_from_either_client_are_classified_by_their_response() -> None:
    resp = _response(503, {"Retry-After": "3"})
    jira_error = JIRAError("x", status_code=503, response=resp)
    http_error = requests.HTTPError("x", response=resp)
    assert classify(jira_error).wait == 3.0
    assert classify(http_error).retry
    assert not classify(_response(500)).retry


def test_connection_refused_proves_the_request_was_not_applied() -> None:
    refused = requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    decision = classify(refused)
    assert decision.retry and decision.not_applied


def test_a_read_timeout_is_retryable_but_may_have_been_applied() -> None:
    decision = classify(requests.ReadTimeout("read timed out"))
    assert decision.retry and not decision.not_applied


def test_connect_timeout_was_never_sent() -> None:
    decision = classify(requests.ConnectTimeout("connect timed out"))
    assert decision.retry and decision.not_applied


def test_tls_failures_are_not_retried() -> None:
    assert not classify(requests.exceptions.SSLError("bad cert")).retry


# ------------------------------------------------------------------------------ call_with_retry


def _failing(*failures: BaseException, result: object = "ok"):
    calls: list[int] = []

    def fn() -> object:
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return result

    return fn, calls


def test_backoff_is_exponential_with_full_jitter_capped_by_max_delay(
    sleeps: SleepRecorder,
) -> None:
    policy = RetryPolicy(max_attempts=6, max_delay=5, sleep=sleeps, jitter=lambda cap: cap)
    fn, calls = _failing(*[requests.ConnectTimeout("t")] * 5)
    assert call_with_retry(fn, idempotent=True, policy=policy) == "ok"
    assert len(calls) == 6
    assert sleeps.calls == [1, 2, 4, 5, 5]


def test_jitter_draws_between_zero_and_the_cap(sleeps: SleepRecorder) -> None:
    caps: list[float] = []
    policy = RetryPolicy(sleep=sleeps, jitter=lambda cap: caps.append(cap) or cap / 2)
    fn, _ = _failing(requests.ConnectTimeout("t"), requests.ConnectTimeout("t"))
    call_with_retry(fn, idempotent=True, policy=policy)
    assert caps == [1, 2]
    assert sleeps.calls == [0.5, 1.0]


def test_total_wait_is_bounded(sleeps: SleepRecorder) -> None:
    policy = RetryPolicy(max_attempts=10, max_total_wait=4, sleep=sleeps, jitter=lambda c: c)
    fn, calls = _failing(*[requests.ConnectTimeout("t")] * 9)
    with pytest.raises(TransportError):
        call_with_retry(fn, idempotent=True, policy=policy)
    assert sleeps.calls == [1, 2]  # the next wait (4) would exceed the budget of 4 s
    assert len(calls) == 3


def test_on_retry_hears_the_decision_attempt_and_wait(sleeps: SleepRecorder) -> None:
    heard: list[tuple[RetryDecision, int, float]] = []
    policy = RetryPolicy(sleep=sleeps, jitter=lambda c: c)
    fn, _ = _failing(JIRAError(status_code=429, response=_response(429, {"Retry-After": "4"})))
    call_with_retry(fn, idempotent=False, policy=policy, on_retry=lambda *a: heard.append(a))
    assert [(d.status, n, w) for d, n, w in heard] == [(429, 1, 4.0)]


def test_a_non_idempotent_call_with_an_unknown_outcome_is_not_resent_without_probe(
    sleeps: SleepRecorder,
) -> None:
    fn, calls = _failing(requests.ReadTimeout("lost"))
    with pytest.raises(RequestTimeout):
        call_with_retry(fn, idempotent=False, policy=RetryPolicy(sleep=sleeps))
    assert len(calls) == 1
    assert sleeps.calls == []


def test_the_probe_finding_the_effect_prevents_a_second_send(sleeps: SleepRecorder) -> None:
    fn, calls = _failing(requests.ReadTimeout("lost"))
    found = CreateResult(index=0, id="10001", key="MKT-7")
    result = call_with_retry(
        fn, idempotent=False, policy=RetryPolicy(sleep=sleeps), probe=lambda: found
    )
    assert result is found
    assert len(calls) == 1


def test_the_probe_finding_nothing_allows_the_resend(sleeps: SleepRecorder) -> None:
    probes: list[int] = []
    fn, calls = _failing(requests.ReadTimeout("lost"))
    result = call_with_retry(
        fn,
        idempotent=False,
        policy=RetryPolicy(sleep=sleeps),
        probe=lambda: probes.append(1),  # returns None: not applied
    )
    assert result == "ok"
    assert (len(calls), len(probes)) == (2, 1)


def test_exceptions_that_are_not_http_failures_pass_through(sleeps: SleepRecorder) -> None:
    fn, calls = _failing(KeyError("bug"))
    with pytest.raises(KeyError):
        call_with_retry(fn, idempotent=True, policy=RetryPolicy(sleep=sleeps))
    assert len(calls) == 1


# ----------------------------------------------------------------------- the matrix, over HTTP

RA_SECONDS = "2"
TENANT = "jira-quota-tenant-based"
PER_ISSUE = "jira-per-issue-on-write"
BURST = "jira-burst-based"

# status, Retry-After, RateLimit-Reason, idempotent -> attempts on the wire, sleeps, error
# (policy: 3 attempts, backoff 1 s then 2 s, max single wait 60 s)
MATRIX = [
    (429, None, None, True, 3, [1, 2], RateLimited),
    (429, None, None, False, 3, [1, 2], RateLimited),
    (429, RA_SECONDS, None, True, 3, [2, 2], RateLimited),
    (429, RA_SECONDS, None, False, 3, [2, 2], RateLimited),
    (429, "HTTP-DATE", None, True, 3, [5, 5], RateLimited),
    (429, "HTTP-DATE", None, False, 3, [5, 5], RateLimited),
    (429, RA_SECONDS, BURST, True, 3, [2, 2], RateLimited),
    (429, RA_SECONDS, PER_ISSUE, False, 3, [2, 2], RateLimited),
    (429, RA_SECONDS, TENANT, True, 3, [2, 2], RateLimited),
    (429, "3600", TENANT, True, 1, [], RateLimited),
    (429, "3600", TENANT, False, 1, [], RateLimited),
    (503, None, None, True, 3, [1, 2], ServerError),
    (503, None, None, False, 1, [], ServerError),
    (503, RA_SECONDS, None, True, 3, [2, 2], ServerError),
    (503, RA_SECONDS, None, False, 1, [], ServerError),
    (503, "HTTP-DATE", None, True, 3, [5, 5], ServerError),
    (503, "HTTP-DATE", None, False, 1, [], ServerError),
    (502, None, None, True, 3, [1, 2], ServerError),
    (502, RA_SECONDS, None, False, 1, [], ServerError),
    (502, "HTTP-DATE", None, True, 3, [5, 5], ServerError),
    (500, None, None, True, 1, [], ServerError),
    (500, RA_SECONDS, None, True, 1, [], ServerError),
    (500, "HTTP-DATE", None, False, 1, [], ServerError),
    (401, None, None, True, 1, [], AuthenticationError),
    (401, RA_SECONDS, None, False, 1, [], AuthenticationError),
    (403, None, None, True, 1, [], PermissionDenied),
    (403, "HTTP-DATE", BURST, False, 1, [], PermissionDenied),
]


@pytest.mark.parametrize(
    ("status", "retry_after", "reason", "idempotent", "attempts", "waits", "error"),
    MATRIX,
    ids=[f"{s}-ra={ra}-reason={r}-{'idem' if i else 'post'}" for s, ra, r, i, *_ in MATRIX],
)
def test_retry_matrix(
    gateway: JiraGateway,
    rsps: responses.RequestsMock,
    sleeps: SleepRecorder,
    status: int,
    retry_after: str | None,
    reason: str | None,
    idempotent: bool,
    attempts: int,
    waits: list[float],
    error: type[Exception],
) -> None:
    headers: dict[str, str] = {}
    if retry_after == "HTTP-DATE":
        headers["Retry-After"] = HTTP_DATE
    elif retry_after is not None:
        headers["Retry-After"] = retry_after
    if reason:
        headers["RateLimit-Reason"] = reason
    if idempotent:
        url = f"{API}/myself"
        rsps.get(url, status=status, headers=headers, json={"errorMessages": ["no"]})
        call = gateway.myself
    else:
        url = f"{API}/issue/MKT-1/comment"
        rsps.post(url, status=status, headers=headers, json={"errorMessages": ["no"]})

        def call() -> None:
            gateway.add_comment("MKT-1", "hello")  # a POST without a probe

    with pytest.raises(error) as info:
        call()

    sent = [c for c in rsps.calls if c.request.url.split("?")[0] == url]
    assert len(sent) == attempts
    assert sleeps.calls == waits
    if status == 429:
        assert info.value.reason == reason
        if retry_after == "3600":
            assert info.value.retry_after == 3600


def test_a_lost_create_response_with_a_probe_that_finds_the_issue_creates_once(
    gateway: JiraGateway, rsps: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    rsps.post(f"{API}/issue", body=requests.ReadTimeout("response lost"))
    found = CreateResult(index=0, id="10042", key="MKT-42")
    probes: list[int] = []

    def probe() -> CreateResult | None:
        probes.append(1)
        return found

    result = gateway.create_issue(
        {"project": "MKT", "issuetype": "Task", "summary": "Buy a CRM"}, probe=probe
    )
    assert result == found
    assert len([c for c in rsps.calls if c.request.method == "POST"]) == 1
    assert probes == [1]
    assert sleeps.calls == [1]


def test_a_lost_create_response_without_a_probe_is_raised_not_resent(
    gateway: JiraGateway, rsps: responses.RequestsMock
) -> None:
    rsps.post(f"{API}/issue", body=requests.ReadTimeout("response lost"))
    with pytest.raises(RequestTimeout):
        gateway.create_issue({"project": "MKT", "issuetype": "Task", "summary": "Buy a CRM"})
    assert len([c for c in rsps.calls if c.request.method == "POST"]) == 1


def test_a_refused_connection_is_resent_even_for_a_create(
    gateway: JiraGateway, rsps: responses.RequestsMock, sleeps: SleepRecorder
) -> None:
    refused = requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    rsps.post(f"{API}/issue", body=refused)
    rsps.post(f"{API}/issue", status=201, json={"id": "10001", "key": "MKT-1"})
    result = gateway.create_issue({"project": "MKT", "issuetype": "Task", "summary": "x"})
    assert result.key == "MKT-1"
    assert sleeps.calls == [1]
