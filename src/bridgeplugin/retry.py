"""The one retry layer, and the one place that turns HTTP failures into ``errors.py``.

Both client libraries can retry on their own (``jira`` by default, three times, POSTs included;
atlassian-python-api once on a 429 with Retry-After). Stacked retries multiply attempts and
re-send creates, so the gateways switch those off and every call goes through
``call_with_retry`` here. ``classify`` alone decides what is worth another attempt:

======================================  =======  ==============  =============================
failure                                 retry    proves "not     scope
                                                 applied"
======================================  =======  ==============  =============================
429 (Retry-After <= policy.max_wait)    yes      yes             from ``RateLimit-Reason``
429 (Retry-After >  policy.max_wait)    no: raise RateLimited(retry_after) to checkpoint
502, 503, 504, 408                      yes      no              endpoint
connection refused / connect timeout    yes      yes             global
read timeout, connection reset          yes      no              global
DNS failure, TLS failure                no (a typo in the URL should fail fast)
anything else (400, 401, 403, 404, 500) no
======================================  =======  ==============  =============================

A retry happens when the failure is retryable *and* re-sending cannot duplicate an effect: the
call is idempotent, or the failure proves the request was not applied, or the caller gave a
``probe`` that looks for the effect first (a create whose response was lost). Waits honour
``Retry-After`` (seconds or an HTTP date) exactly, because retrying early is punished; otherwise
exponential backoff with full jitter. Attempts and the total wait are bounded.

``to_error`` maps a ``requests`` response, ``JIRAError``, ``HTTPError``, atlassian ``ApiError``
or a transport exception to the ``AtlassianError`` subclass with a one-line message a person can
act on. It reads status, URL path and the documented user-facing body fields only: never
headers, never ``str(JIRAError)`` (which embeds response headers), never the query string.
"""

from __future__ import annotations

import json
import logging
import math
import random
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import tenacity
import urllib3.exceptions

from .errors import (
    AtlassianError,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    error_for_status,
)

__all__ = [
    "API_TOKEN_URL",
    "DEFAULT_POLICY",
    "ErrorContext",
    "RetryDecision",
    "RetryPolicy",
    "Scope",
    "call_with_retry",
    "classify",
    "json_length",
    "parse_retry_after",
    "to_error",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
Scope = Literal["issue", "endpoint", "global"]

API_TOKEN_URL = "https://id.atlassian.com/manage-profile/security/api-tokens"

#: RateLimit-Reason values (Atlassian docs, 2026) -> what to slow down.
_REASON_SCOPE: dict[str, Scope] = {
    "jira-per-issue-on-write": "issue",
    "jira-burst-based": "endpoint",
    "jira-quota-tenant-based": "global",
    "jira-quota-global-based": "global",
}
_RETRYABLE_5XX = frozenset({502, 503, 504})


def _now() -> datetime:
    return datetime.now(UTC)


def _sleep(seconds: float) -> None:
    # Looked up at call time so tests can patch ``bridgeplugin.retry.time.sleep``.
    time.sleep(seconds)


def _full_jitter(cap: float) -> float:
    return random.uniform(0.0, cap)  # jitter, not cryptography


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Clock, sleep and jitter are injectable so tests never really wait.

    ``max_wait`` is the longest single wait the caller accepts: a server asking for more (a
    tenant quota exhausted for the hour) makes the call give up at once with ``RateLimited``,
    so a cron run can checkpoint instead of blocking. ``max_total_wait`` bounds the sum.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_wait: float = 60.0
    max_total_wait: float = 300.0
    sleep: Callable[[float], None] = _sleep
    now: Callable[[], datetime] = _now
    jitter: Callable[[float], float] = _full_jitter

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff before attempt ``attempt + 1``."""
        cap = min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))
        return max(0.0, self.jitter(cap))


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class RetryDecision:
    """What ``classify`` concluded about one failure.

    ``wait`` is the server's requested wait (None: use backoff). ``not_applied`` is True when the
    failure proves the request had no effect, which is what makes re-sending a POST safe.
    """

    retry: bool
    wait: float | None = None
    scope: Scope = "endpoint"
    reason: str | None = None
    not_applied: bool = False
    status: int | None = None


# --------------------------------------------------------------------------------------------
# Looking at failures


def _response_of(subject: Any) -> requests.Response | None:
    """The HTTP response inside a failure, if there was one."""
    if isinstance(subject, requests.Response):
        return subject
    resp = getattr(subject, "response", None)
    if isinstance(resp, requests.Response):
        return resp
    # atlassian-python-api wraps HTTPError in ApiError(reason=HTTPError)
    cause = getattr(subject, "reason", None)
    if isinstance(cause, BaseException) and cause is not subject:
        return _response_of(cause)
    return None


def _status_of(subject: Any) -> int | None:
    resp = _response_of(subject)
    if resp is not None:
        return int(resp.status_code)
    if isinstance(subject, AtlassianError):
        return subject.status
    code = getattr(subject, "status_code", None)  # JIRAError without a response
    return int(code) if isinstance(code, int) else None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes, contexts, args and urllib3 ``reason``s (no repeats)."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.extend([e.__cause__, e.__context__, getattr(e, "reason", None)])
        stack.extend(a for a in e.args if isinstance(a, BaseException))


def _is_dns_failure(exc: BaseException) -> bool:
    return any(
        isinstance(e, urllib3.exceptions.NameResolutionError | socket.gaierror) for e in _chain(exc)
    )


def _never_sent(exc: BaseException) -> bool:
    """True when the connection was never established, so the server saw nothing."""
    return any(
        isinstance(
            e,
            urllib3.exceptions.NewConnectionError
            | urllib3.exceptions.ConnectTimeoutError
            | ConnectionRefusedError
            | socket.gaierror,
        )
        for e in _chain(exc)
    )


def parse_retry_after(value: str | None, *, now: Callable[[], datetime] = _now) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date.

    The ``jira`` client crashes on the date form (``int(retry_after)``); this accepts both and
    answers None for garbage so the caller falls back to backoff.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = math.ceil((when - now()).total_seconds())
    if not math.isfinite(seconds):
        return None
    return max(0.0, float(seconds))


def _rate_limit_reset(value: str | None, *, now: Callable[[], datetime]) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` (an ISO time), used when Retry-After is missing."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, float(math.ceil((when - now()).total_seconds())))


def _header(resp: requests.Response | None, name: str) -> str | None:
    if resp is None:
        return None
    value = resp.headers.get(name)
    return str(value) if value is not None else None


def classify(subject: Any, *, policy: RetryPolicy = DEFAULT_POLICY) -> RetryDecision:
    """Decide whether a failure is worth another attempt, how long to wait, and its scope.

    ``subject`` is a ``requests.Response`` or any exception the clients raise (``JIRAError``,
    ``requests.HTTPError``, atlassian ``ApiError``, ``requests.ConnectionError``/``Timeout``)
    or an ``AtlassianError`` already mapped. Idempotency is the caller's knowledge and is
    applied in ``call_with_retry``; this says only what the failure itself proves.
    """
    if isinstance(subject, BaseException) and _response_of(subject) is None:
        transport = _classify_transport(subject)
        if transport is not None:
            return transport

    resp = _response_of(subject)
    status = _status_of(subject)
    if status is None:
        return RetryDecision(retry=False)

    if isinstance(subject, AtlassianError) and resp is None:
        wait, reason = subject.retry_after, subject.reason
    else:
        wait = parse_retry_after(_header(resp, "Retry-After"), now=policy.now)
        reason = _header(resp, "RateLimit-Reason")

    if status == 429:
        if wait is None:
            wait = _rate_limit_reset(_header(resp, "X-RateLimit-Reset"), now=policy.now)
        scope = _scope_for(reason)
        too_long = wait is not None and wait > policy.max_wait
        return RetryDecision(
            retry=not too_long,
            wait=wait,
            scope=scope,
            reason=reason,
            not_applied=True,
            status=status,
        )
    if status in _RETRYABLE_5XX or status == 408:
        too_long = wait is not None and wait > policy.max_wait
        return RetryDecision(
            retry=not too_long, wait=wait, scope="endpoint", reason=reason, status=status
        )
    return RetryDecision(retry=False, status=status, reason=reason)


def _scope_for(reason: str | None) -> Scope:
    """What a 429 asks to slow down: one issue, one endpoint, or the whole site."""
    key = (reason or "").strip().lower()
    if key in _REASON_SCOPE:
        return _REASON_SCOPE[key]
    if "quota" in key or "tenant" in key:
        return "global"
    if "issue" in key:
        return "issue"
    return "endpoint"


def _classify_transport(exc: BaseException) -> RetryDecision | None:
    if isinstance(exc, RequestTimeout):
        return RetryDecision(retry=True, scope="global")
    if isinstance(exc, TransportError):
        return RetryDecision(retry=True, scope="global", not_applied=_never_sent(exc))
    if isinstance(exc, requests.exceptions.SSLError):
        return RetryDecision(retry=False, scope="global")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return RetryDecision(retry=True, scope="global", not_applied=True)
    if isinstance(exc, requests.exceptions.Timeout):
        # The request went out; whether the server applied it is unknown.
        return RetryDecision(retry=True, scope="global")
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _is_dns_failure(exc):
            return RetryDecision(retry=False, scope="global", not_applied=True)
        return RetryDecision(retry=True, scope="global", not_applied=_never_sent(exc))
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | urllib3.exceptions.ProtocolError):
        return RetryDecision(retry=True, scope="global")
    return None


# --------------------------------------------------------------------------------------------
# The retry loop


def call_with_retry(
    fn: Callable[[], T],
    *,
    idempotent: bool,
    policy: RetryPolicy = DEFAULT_POLICY,
    on_retry: Callable[[RetryDecision, int, float], None] | None = None,
    probe: Callable[[], T | None] | None = None,
    translate: Callable[[BaseException], AtlassianError | None] | None = None,
    label: str = "",
) -> T:
    """Call ``fn`` until it succeeds, the failure is permanent, or the policy is exhausted.

    ``idempotent`` is the caller's promise that sending the request twice has the effect of
    sending it once (GET, PUT, DELETE, read-only search POSTs). For other calls a retry happens
    only when the failure proves nothing was applied (429, connection refused) or, when the
    outcome is unknown (a lost response, 503), after ``probe()`` found no effect: ``probe``
    returns the effect's result when it finds one, which is then returned instead of re-sending.

    ``on_retry(decision, attempt_number, wait_seconds)`` runs before each wait, e.g. to slow
    the other writes to one issue on ``scope == "issue"``. Failures come out through
    ``translate`` (default: ``to_error`` without context) as ``AtlassianError``; exceptions it
    does not know (bugs) propagate unchanged.
    """
    if policy.max_attempts < 1:
        raise ValueError("policy.max_attempts must be at least 1")
    last: dict[str, RetryDecision] = {}
    probe_due = False

    def should_retry(exc: BaseException) -> bool:
        nonlocal probe_due
        decision = classify(exc, policy=policy)
        last["decision"] = decision
        if not decision.retry:
            return False
        if idempotent or decision.not_applied:
            return True
        if probe is not None:
            probe_due = True  # once the outcome was unknown, look before every re-send
            return True
        return False

    def wait(state: tenacity.RetryCallState) -> float:
        decision = last.get("decision")
        if decision is not None and decision.wait is not None:
            return decision.wait
        return policy.backoff(state.attempt_number)

    def over_budget(state: tenacity.RetryCallState) -> bool:
        return state.idle_for + (state.upcoming_sleep or 0.0) > policy.max_total_wait

    def before_sleep(state: tenacity.RetryCallState) -> None:
        decision = last["decision"]
        delay = state.upcoming_sleep or 0.0
        log.warning(
            "%s failed (%s); retry %d/%d in %.1f s (scope %s%s)",
            label or "call",
            _describe(decision),
            state.attempt_number,
            policy.max_attempts - 1,
            delay,
            decision.scope,
            f", reason {decision.reason}" if decision.reason else "",
        )
        if on_retry is not None:
            on_retry(decision, state.attempt_number, delay)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(should_retry),
        stop=tenacity.stop_after_attempt(policy.max_attempts) | over_budget,
        wait=wait,
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    failure: AtlassianError | None = None
    try:
        for attempt in retrying:
            if probe_due and probe is not None:
                found = probe()
                if found is not None:
                    log.info("%s: the earlier attempt had been applied", label or "call")
                    return found
            with attempt:
                result = fn()
            if not attempt.retry_state.outcome or not attempt.retry_state.outcome.failed:
                return result
    except Exception as exc:
        mapped = (translate or _default_translate)(exc)
        if mapped is None or mapped is exc:
            raise
        failure = mapped
    # Raised outside the except block: no __context__ pointing at the client's exception,
    # whose text (JIRAError) carries response headers.
    assert failure is not None
    raise failure


def _describe(decision: RetryDecision) -> str:
    if decision.status is not None:
        return f"HTTP {decision.status}"
    return "no answer"


def _default_translate(exc: BaseException) -> AtlassianError | None:
    return to_error(exc, ErrorContext())


# --------------------------------------------------------------------------------------------
# HTTP failure -> errors.py


@dataclass(frozen=True)
class ErrorContext:
    """What the gateway knows about a call, so the message names the thing, not just a URL.

    ``account`` is the e-mail address or "the personal access token": never the secret.
    """

    service: str = "Atlassian"
    base_url: str | None = None
    account: str | None = None
    credential_vars: str = "BRIDGE_JIRA_EMAIL/BRIDGE_JIRA_TOKEN"
    credential_help: str = f"create a token at {API_TOKEN_URL}"
    url_var: str = "BRIDGE_JIRA_URL"
    method: str | None = None
    path: str | None = None
    subject: str | None = None  # "issue MKT-12", "project MKT", "page 123"
    permission: str | None = None  # "Edit Issues"
    timeout: Any = None
    details: Mapping[str, Any] = field(default_factory=dict)


def _clean_url(url: str | None) -> str | None:
    """Scheme, host and path only: no userinfo, no query (JQL, tokens in odd proxies)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _path_of(url: str | None) -> str | None:
    return urlsplit(url).path if url else None


def _request_of(exc: BaseException) -> Any:
    req = getattr(exc, "request", None)
    if req is not None and hasattr(req, "method"):
        return req
    resp = _response_of(exc)
    return getattr(resp, "request", None) if resp is not None else None


def _body_messages(resp: requests.Response | None) -> tuple[list[str], dict[str, Any]]:
    """User-facing messages from Jira's ``errorMessages``/``errors`` or Confluence's ``message``."""
    if resp is None:
        return [], {}
    try:
        data = resp.json()
    except ValueError:
        return [], {}
    if not isinstance(data, Mapping):
        return [], {}
    messages: list[str] = []
    details: dict[str, Any] = {}
    error_messages = data.get("errorMessages")
    if isinstance(error_messages, list):
        details["errorMessages"] = [str(m) for m in error_messages]
        messages.extend(str(m) for m in error_messages if m)
    errors = data.get("errors")
    if isinstance(errors, Mapping):
        details["errors"] = {str(k): str(v) for k, v in errors.items()}
        messages.extend(f"{k}: {v}" for k, v in errors.items() if v)
    elif isinstance(errors, list):
        details["errors"] = errors
        for item in errors:
            if isinstance(item, Mapping):
                text = item.get("message") or item.get("title")
                if text:
                    messages.append(str(text))
    for key in ("message", "errorMessage", "detail"):
        value = data.get(key)
        if isinstance(value, str) and value and value not in messages:
            messages.append(value)
            details.setdefault(key, value)
    return messages, details


def _summary(messages: list[str], limit: int = 300) -> str:
    text = "; ".join(" ".join(m.split()) for m in messages)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _transport_reason(exc: BaseException) -> str:
    """A short human reason for a transport failure, built from exception *types*."""
    chain = list(_chain(exc))
    if any(isinstance(e, urllib3.exceptions.NameResolutionError | socket.gaierror) for e in chain):
        return "the host name does not resolve (DNS)"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(
        isinstance(e, requests.exceptions.SSLError | urllib3.exceptions.SSLError) for e in chain
    ):
        return "TLS handshake or certificate verification failed"
    if any(isinstance(e, requests.exceptions.ProxyError) for e in chain):
        return "the proxy refused the connection"
    if any(isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain):
        return "the connection could not be established"
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return "the connection was reset"
    if any(
        isinstance(e, urllib3.exceptions.ProtocolError | requests.exceptions.ChunkedEncodingError)
        for e in chain
    ):
        return "the connection closed before a complete answer"
    return type(exc).__name__


def to_error(subject: Any, ctx: ErrorContext) -> AtlassianError | None:
    """The ``AtlassianError`` for a failed call, or None when ``subject`` is not an HTTP failure.

    An ``AtlassianError`` passes through unchanged. The message is one line built from our own
    words plus the body fields Atlassian documents as user-facing.
    """
    if isinstance(subject, AtlassianError):
        return subject
    resp = _response_of(subject)
    request = _request_of(subject) if isinstance(subject, BaseException) else None
    method = (getattr(request, "method", None) or ctx.method or "").upper() or None
    raw_url = getattr(resp, "url", None) or getattr(request, "url", None)
    url = _clean_url(raw_url) or _clean_url(_join(ctx.base_url, ctx.path))
    path = _path_of(url) or ctx.path or ""
    where = f"{method} {path}".strip()

    if resp is None and isinstance(subject, BaseException):
        return _transport_error(subject, ctx, method=method, url=url)

    status = _status_of(subject)
    if status is None:
        return None
    messages, details = _body_messages(resp)
    details = {**ctx.details, **details}
    said = _summary(messages)
    service = ctx.service
    subject_text = ctx.subject or path or "the resource"
    retry_after = parse_retry_after(_header(resp, "Retry-After"))
    reason = _header(resp, "RateLimit-Reason")
    cls = error_for_status(status)
    hint: str | None = None

    if status == 401:
        account = ctx.account or "the configured account"
        message = (
            f"{service} rejected the credentials for {account}: check {ctx.credential_vars} "
            f"({ctx.credential_help})"
        )
    elif status == 403:
        account = ctx.account or "the configured account"
        need = f"the '{ctx.permission}' permission" if ctx.permission else "permission"
        message = f"{service} denied {where} on {subject_text}: {account} lacks {need}"
        if said:
            message += f" ({service} says: {said})"
        if _header(resp, "X-Authentication-Denied-Reason"):
            hint = "the site asks for a CAPTCHA: log in once in a browser, then retry"
    elif status == 404:
        message = f"{subject_text} not found on {service} ({where})"
        if said:
            message += f": {said}"
        hint = "it may exist but be invisible to this account"
    elif status == 410:
        message = f"{service} removed the endpoint {where}"
        if said:
            message += f": {said}"
        hint = "this version of bridgeplugin uses an API Atlassian has retired; upgrade it"
    elif status == 400:
        message = f"{service} rejected {where} for {subject_text}: {said or 'bad request'}"
    elif status == 409:
        message = f"{subject_text} was changed concurrently ({where})"
        if said:
            message += f": {said}"
        hint = "read it again and reapply the change"
    elif status == 413:
        message = f"{service} refused {where}: a limit on {subject_text} was reached"
        if said:
            message += f" ({said})"
    elif status == 429:
        message = f"{service} rate-limited {where}"
        if reason:
            message += f" ({reason})"
        if retry_after is not None:
            message += f"; retry after {retry_after:.0f} s"
    elif status >= 500:
        message = f"{service} failed with HTTP {status} on {where}"
        if said:
            message += f": {said}"
    else:
        message = f"{service} answered HTTP {status} to {where}"
        if said:
            message += f": {said}"
    return cls(
        message,
        status=status,
        method=method,
        url=url,
        details=details,
        hint=hint,
        retry_after=retry_after if cls in (RateLimited, ServerError) else None,
        reason=reason,
    )


def _join(base: str | None, path: str | None) -> str | None:
    if not base or not path:
        return None
    return base.rstrip("/") + "/" + path.lstrip("/")


def _transport_error(
    exc: BaseException, ctx: ErrorContext, *, method: str | None, url: str | None
) -> TransportError | None:
    if isinstance(exc, requests.exceptions.Timeout) and not isinstance(
        exc, requests.exceptions.ConnectTimeout
    ):
        limit = ctx.timeout[1] if isinstance(ctx.timeout, tuple) else ctx.timeout
        within = f" within {limit:g} s" if isinstance(limit, int | float) else ""
        return RequestTimeout(
            f"{ctx.service} at {ctx.base_url or url} did not answer{within} "
            f"({method} {_path_of(url) or ''})".replace(" ()", ""),
            method=method,
            url=url,
            hint="the site may be overloaded; the call is retried when that is safe",
        )
    if not isinstance(
        exc,
        requests.exceptions.RequestException
        | urllib3.exceptions.HTTPError
        | ConnectionError
        | socket.error,
    ):
        return None
    target = ctx.base_url or _clean_url(url) or "the site"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        reason = "the connection timed out"
    else:
        reason = _transport_reason(exc)
    return TransportError(
        f"cannot reach {target}: {reason}",
        method=method,
        url=url,
        hint=f"check {ctx.url_var} and the network",
    )


def json_length(value: Any) -> int:
    """Length of ``value`` serialised the way Jira measures entity properties."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
