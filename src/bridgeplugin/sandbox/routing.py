"""Routing and request/response shapes of the sandbox, free of any HTTP server.

A handler is a function ``(request) -> Response | JSON-able``. Handlers raise ``HttpError`` for
error answers; the app shapes them the way the real service does (Jira's
``{"errorMessages": [...], "errors": {...}}``, Confluence's ``{"statusCode", "message"}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

__all__ = [
    "Handler",
    "HttpError",
    "Request",
    "Response",
    "Router",
    "json_response",
]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)  # path parameters
    user: Any = None  # the authenticated account (set by the app), None for the control API
    points: int = 1  # Atlassian's points cost of this call; handlers may raise it
    # Set by a fault (bulk create): True for the items to refuse one by one.
    refuse_item: Callable[[int], bool] | None = None
    search_lag: int = 0  # the fault schedule's search lag (searches), read by JQL search

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Request:
        path, _, qs = target.partition("?")
        return cls(
            method=method.upper(),
            path=path,
            query=parse_qs(qs, keep_blank_values=True),
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """All values of a repeatable query parameter, comma-separated ones split."""
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(v for v in value.split(",") if v)
        return out

    def int_arg(self, name: str, default: int) -> int:
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise HttpError(400, f"The {name} parameter must be a number, not {raw!r}.") from None

    def json(self) -> Any:
        if not self.body:
            raise HttpError(400, "No content to map due to end-of-input")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, "Unexpected character in the request body: not JSON.") from None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
    hdrs = {"Content-Type": "application/json;charset=UTF-8"} if payload is not None else {}
    hdrs.update(headers or {})
    return Response(status=status, body=body, headers=hdrs)


class HttpError(Exception):
    """An error answer. ``errors`` maps field ids to messages, as Jira's 400s do."""

    def __init__(
        self,
        status: int,
        *messages: str,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(messages[0] if messages else str(status))
        self.status = status
        self.messages = list(messages)
        self.errors = errors or {}
        self.headers = headers or {}


Handler = Callable[[Request], "Response | Any"]

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    handler: Handler


class Router:
    """Method + path template (``/rest/api/{ver}/issue/{key}``) -> handler."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        regex = "^" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", template) + "/?$"
        compiled = re.compile(regex)

        def register(handler: Handler) -> Handler:
            self._routes.append(_Route(method.upper(), compiled, template, handler))
            return handler

        return register

    def include(self, other: Router) -> None:
        self._routes.extend(other._routes)

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str], str] | None:
        """The handler, its path parameters and the route template; raises 405 on a method
        the path does not take; None when no route has the path."""
        path_matched = False
        for route in self._routes:
            m = route.pattern.match(path)
            if m is None:
                continue
            if route.method == method:
                return route.handler, m.groupdict(), route.template
            path_matched = True
        if path_matched:
            raise HttpError(405, f"Method {method} is not allowed on {path}.")
        return None
