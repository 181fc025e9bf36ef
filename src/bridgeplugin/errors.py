"""The one exception tree of bridgeplugin.

Every error a person can see carries enough context to act on: the rule file and line, the
issue key, the HTTP status and what to do about it. The CLI maps this tree to a message and an
exit code in one place (``cli.py``); nothing else prints tracebacks.

::

    BridgeError                          exit_code
    ├── ConfigError                          2   missing/malformed config, bad secret file
    │   └── FieldNameError                   2   unknown or ambiguous custom field name
    ├── RuleFileError                        2   broken rule file (file, line, fix)
    ├── InputError                           2   malformed input (issue JSON on stdin, seeds)
    └── AtlassianError                       3   Jira/Confluence answered with an error
        ├── TransportError                       could not reach the site (DNS, refused, TLS)
        │   └── RequestTimeout                   no answer within the timeout
        ├── BadRequest           400             Jira's errorMessages/errors are in .details
        ├── AuthenticationError  401             bad or missing credentials
        ├── PermissionDenied     403             missing permission (which, where)
        ├── NotFound             404             unknown issue/project/field/page
        ├── Conflict             409             stale Confluence version, conflicting edit
        ├── Gone                 410             removed endpoint
        ├── PayloadTooLarge      413             per-issue limit (comments, links, worklogs)
        ├── RateLimited          429             .retry_after seconds, .reason
        └── ServerError          5xx             .retry_after when the server sent one

Messages never contain secrets: they are built from our own words and the parts of a response
body Atlassian documents as user-facing (``errorMessages``, ``errors``, ``message``), never from
request or response headers.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AtlassianError",
    "AuthenticationError",
    "BadRequest",
    "BridgeError",
    "ConfigError",
    "Conflict",
    "FieldNameError",
    "Gone",
    "InputError",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "RequestTimeout",
    "RuleFileError",
    "ServerError",
    "TransportError",
    "error_for_status",
]


class BridgeError(Exception):
    """Base of every error bridgeplugin raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ConfigError(BridgeError):
    """The configuration is missing, malformed, or names something that does not exist."""

    exit_code = 2


class FieldNameError(ConfigError):
    """A custom field named in config or rules is unknown or ambiguous on the site."""

    def __init__(self, name: str, *, candidates: list[str], ambiguous: bool = False) -> None:
        self.name = name
        self.candidates = candidates
        self.ambiguous = ambiguous
        if ambiguous:
            msg = f"field name {name!r} is ambiguous: it matches {', '.join(candidates)}"
            hint = "name the field by its id (customfield_NNNNN) instead"
        else:
            msg = f"unknown field {name!r}"
            hint = (
                f"did you mean {', '.join(repr(c) for c in candidates)}?"
                if candidates
                else "check the field's name in Jira settings > Issues > Custom fields"
            )
        super().__init__(msg, hint=hint)


class RuleFileError(BridgeError):
    """A rule file cannot be loaded: names the file, line and what would be valid."""

    exit_code = 2

    def __init__(
        self, message: str, *, path: str, line: int | None = None, hint: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}", hint=hint)


class InputError(BridgeError):
    """Input given to a command (a file, stdin, a seed document) is malformed."""

    exit_code = 2


class AtlassianError(BridgeError):
    """Jira or Confluence answered with an error, or could not be reached."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
        details: dict[str, Any] | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.method = method
        self.url = url
        self.details = details or {}
        self.retry_after = retry_after
        self.reason = reason


class TransportError(AtlassianError):
    """No HTTP answer at all: DNS failure, connection refused, TLS error."""


class RequestTimeout(TransportError):
    """The site did not answer within the configured timeout."""


class BadRequest(AtlassianError):
    """400: Jira rejected the request; ``details`` holds errorMessages/errors."""


class AuthenticationError(AtlassianError):
    """401: the credentials were not accepted."""


class PermissionDenied(AtlassianError):
    """403: the account lacks a permission."""


class NotFound(AtlassianError):
    """404: the issue, project, field or page does not exist (or is not visible)."""


class Conflict(AtlassianError):
    """409: a stale version or conflicting edit."""


class Gone(AtlassianError):
    """410: the endpoint was removed by Atlassian."""


class PayloadTooLarge(AtlassianError):
    """413: a per-issue limit (comments, links, worklogs) or a body size limit was hit."""


class RateLimited(AtlassianError):
    """429: slow down; ``retry_after`` seconds and ``reason`` (RateLimit-Reason) when sent."""


class ServerError(AtlassianError):
    """5xx: the site failed; retryable for idempotent calls."""


_BY_STATUS: dict[int, type[AtlassianError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    410: Gone,
    413: PayloadTooLarge,
    429: RateLimited,
}


def error_for_status(status: int) -> type[AtlassianError]:
    """The exception class for an HTTP status code (5xx -> ServerError)."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, AtlassianError)
