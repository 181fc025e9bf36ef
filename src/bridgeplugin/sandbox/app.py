"""The sandbox application: authentication, faults, the ledger and dispatch, no HTTP server.

``SandboxApp.handle(request) -> Response`` is the whole service; ``server.py`` puts it on a
socket, and tests may call it directly. The Jira and Confluence routes come from their own
packages (routing, shaping and state kept apart, like moto); the control API under
``/_sandbox/`` lives here because it reaches across all of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError
from .clock import _utc
from .confluence.routes import router as confluence_router
from .faults import Faults, FaultSchedule
from .jira.routes import router as jira_router
from .ledger import Call, Ledger
from .routing import HttpError, Request, Response, Router, json_response
from .seed import Seed, parse_seed
from .state import SiteState

__all__ = ["DROP", "SandboxApp"]

CONTROL_PREFIX = "/_sandbox/"
# A response with this status tells the server to close the connection without answering.
DROP = 0
_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# Jira Cloud answers serverInfo anonymously; the `jira` client calls it before anything else.
_ANONYMOUS_PATHS = (
    "/rest/api/2/serverInfo",
    "/rest/api/3/serverInfo",
    "/rest/api/latest/serverInfo",
)


class SandboxApp:
    def __init__(self, seed: Seed, *, state_path: Path | None = None) -> None:
        self.state_path = state_path
        self._dirty = threading.Event()
        if state_path is not None and state_path.is_file():
            self.site = SiteState.load_file(state_path)
        else:
            self.site = SiteState(seed)
            if state_path is not None:
                self._dirty.set()  # the first flush writes the seeded site
        self.ledger = Ledger()
        self.faults = Faults()
        self.lock = threading.RLock()
        # Called with (request, response) after every answered call: contract tests validate
        # each exchange against the OpenAPI descriptions; nothing in the sandbox depends on it.
        self.observers: list[Callable[[Request, Response], None]] = []
        self.router = Router()
        self.router.include(jira_router(self.site))
        self.router.include(confluence_router(self.site))
        self._control = _control_router(self)

    # -- the service -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith(CONTROL_PREFIX):
            return self._handle_control(request)

        fault = self.faults.pick(request.method, request.path)
        request.search_lag = self.faults.search_lag
        if fault is not None:
            request.refuse_item = fault.refuse_items
        if fault is not None and fault.latency_s:
            time.sleep(fault.latency_s)
        route = ""
        if fault is not None and fault.timing == "before" and (fault.drop or fault.status):
            response = _fault_response(request, fault.status, fault.headers, fault.drop)
        else:
            response, route = self._dispatch(request)
            if fault is not None and fault.timing == "after" and (fault.drop or fault.status):
                response = _fault_response(request, fault.status, fault.headers, fault.drop)
        for observe in self.observers:
            observe(request, response)
        self.ledger.record(
            Call(
                method=request.method,
                path=request.path,
                status=response.status,
                points=request.points,
                route=route,
                at=time.monotonic(),
            )
        )
        return response

    def _dispatch(self, request: Request) -> tuple[Response, str]:
        route = ""
        try:
            matched = self.router.match(request.method, request.path)
            if matched is None:
                raise HttpError(404, f"No resource at {request.path} in the sandbox.")
            handler, params, route = matched
            request.params = params
            if not request.path.endswith(_ANONYMOUS_PATHS):
                request.user = self.site.accounts.authenticate(request.headers.get("authorization"))
                if request.user is None:
                    raise HttpError(
                        401,
                        "Client must be authenticated to access this resource.",
                        headers={"WWW-Authenticate": 'Basic realm="sandbox"'},
                    )
            with self.lock:
                result = handler(request)
                if request.method in _WRITE_METHODS:
                    self._dirty.set()
        except HttpError as exc:
            return _error_response(request, exc), route
        response = result if isinstance(result, Response) else json_response(result)
        return response, route

    # -- control API ---------------------------------------------------------------------------

    def _handle_control(self, request: Request) -> Response:
        try:
            matched = self._control.match(request.method, request.path)
            if matched is None:
                raise HttpError(404, f"No control endpoint {request.path}.")
            handler, params, _ = matched
            request.params = params
            with self.lock:
                result = handler(request)
        except HttpError as exc:
            return _error_response(request, exc)
        return result if isinstance(result, Response) else json_response(result)

    def reset(self, seed: Seed | None = None) -> None:
        with self.lock:
            self.site.load(seed or self.site.seed)
            self.faults.clear()
            self.ledger.clear()
            self._dirty.set()

    # -- persistence ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the state file if anything changed since the last flush."""
        if self.state_path is None or not self._dirty.is_set():
            return
        with self.lock:
            self._dirty.clear()
            self.site.save(self.state_path)


def _control_router(app: SandboxApp) -> Router:
    r = Router()

    @r.route("POST", "/_sandbox/reset")
    def reset(req: Request) -> Any:
        app.reset()
        return {"reset": True}

    @r.route("POST", "/_sandbox/seed")
    def seed(req: Request) -> Any:
        try:
            new_seed = parse_seed(req.json(), source="POST /_sandbox/seed")
            app.reset(new_seed)
        except InputError as exc:
            raise HttpError(400, str(exc)) from None
        return {
            "seeded": True,
            "issues": len(app.site.jira.issues),
            "users": len(app.site.accounts.users),
        }

    @r.route("GET", "/_sandbox/ledger")
    def ledger(req: Request) -> Any:
        return app.ledger.to_json()

    @r.route("DELETE", "/_sandbox/ledger")
    def clear_ledger(req: Request) -> Any:
        app.ledger.clear()
        return Response(status=204)

    @r.route("PUT", "/_sandbox/faults")
    def put_faults(req: Request) -> Any:
        try:
            schedule = FaultSchedule.model_validate(req.json())
        except ValidationError as exc:
            raise HttpError(400, f"invalid fault schedule: {exc.errors()[0]['msg']}") from None
        app.faults.set(schedule)
        return app.faults.describe()

    @r.route("GET", "/_sandbox/faults")
    def get_faults(req: Request) -> Any:
        return app.faults.describe()

    @r.route("DELETE", "/_sandbox/faults")
    def clear_faults(req: Request) -> Any:
        app.faults.clear()
        return Response(status=204)

    @r.route("GET", "/_sandbox/clock")
    def get_clock(req: Request) -> Any:
        return app.site.clock.describe()

    @r.route("PUT", "/_sandbox/clock")
    def put_clock(req: Request) -> Any:
        """Body: {"now": ISO-8601, "frozen": true} | {"advance": seconds} | {"real": true}."""
        body = req.json()
        if not isinstance(body, dict):
            raise HttpError(400, 'clock body must be an object: {"now": ...} or {"advance": n}')
        clock = app.site.clock
        if body.get("real"):
            clock.real()
        elif "now" in body:
            try:
                when = datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))
            except ValueError:
                raise HttpError(400, f"not an ISO-8601 time: {body['now']!r}") from None
            clock.set(_utc(when), frozen=bool(body.get("frozen", True)))
        elif "advance" in body:
            try:
                clock.advance(float(body["advance"]))
            except (TypeError, ValueError):
                raise HttpError(400, "advance must be a number of seconds") from None
        else:
            raise HttpError(400, 'clock body needs "now", "advance" or "real"')
        return clock.describe()

    @r.route("GET", "/_sandbox/state")
    def state(req: Request) -> Any:
        return app.site.snapshot()

    return r


def _is_confluence(path: str) -> bool:
    return path.startswith("/wiki/")


_V2_CODES = {
    400: "INVALID_REQUEST_PARAMETER",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    429: "TOO_MANY_REQUESTS",
}


def _error_response(request: Request, exc: HttpError) -> Response:
    if request.path.startswith("/wiki/api/v2/"):
        v2: dict[str, Any] = {
            "errors": [
                {
                    "status": exc.status,
                    "code": _V2_CODES.get(exc.status, "INTERNAL_SERVER_ERROR"),
                    "title": message,
                    "detail": None,
                }
                for message in (exc.messages or [""])
            ]
        }
        return json_response(v2, status=exc.status, headers=exc.headers)
    if _is_confluence(request.path):
        payload: dict[str, Any] = {
            "statusCode": exc.status,
            "data": {
                "authorized": exc.status not in (401, 403),
                "valid": exc.status != 400,
                "errors": [{"message": {"key": m, "args": []}} for m in exc.messages],
                "successful": False,
            },
            "message": exc.messages[0] if exc.messages else "",
        }
    else:
        payload = {"errorMessages": exc.messages, "errors": exc.errors}
    return json_response(payload, status=exc.status, headers=exc.headers)


def _fault_response(
    request: Request, status: int | None, headers: dict[str, str], drop: bool
) -> Response:
    if drop:
        return Response(status=DROP)
    assert status is not None
    message = {
        429: "Rate limit exceeded.",
        500: "Internal server error.",
        502: "Bad gateway.",
        503: "Service unavailable.",
        504: "Gateway timeout.",
    }.get(status, f"Injected fault {status}.")
    return _error_response(request, HttpError(status, message, headers=dict(headers)))
