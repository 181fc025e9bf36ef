"""The ASGI app of ``bridge serve``: routing, authentication, store-then-acknowledge.

::

    POST /webhooks/jira   Jira webhooks, X-Hub-Signature (HMAC-SHA256 of the raw body)
    POST /automation      Jira Automation "Send web request", bearer or X-Bridge-Token
    GET  /check/{key}     the governance verdict of ``bridge check KEY`` (same token)
    GET  /healthz         the process is up and the inbox takes a durable write
    GET  /metrics         Prometheus text

Answers: 202 stored, 200 duplicate (already stored: Jira's retry of a delivery we have), 401
bad signature or token, 413 body over the limit, 400 malformed body, 503 store unavailable or
overloaded (retryable: Jira delivers again). Every error has a JSON body
``{"error": code, "message": text}``. Nothing on the acknowledge path calls Jira: the worker
does that later, from the inbox.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import BridgeError, NotFound, RateLimited, ServerError, TransportError
from ..logs import redact
from ..state import Delivery, Store, StoreUnavailable, open_store
from ..sync import ISSUE_KEY
from .inbox import GroupCommitter, Overloaded
from .metrics import Metrics
from .payload import MalformedPayload, Target, automation_target, jira_target, parse_json
from .verify import signature_ok, token_ok
from .worker import Processor, Worker, WorkerSettings

__all__ = ["MAX_BODY", "ServeSettings", "create_app"]

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Jira's own payloads stay far below; anything bigger is not Jira
_MAX_ID = 200
RETRY_AFTER = "5"  # seconds; Jira has its own schedule, other callers get a hint


@dataclass(frozen=True)
class ServeSettings:
    state: Path
    webhook_secret: SecretStr | None = field(default=None, repr=False)
    automation_token: SecretStr | None = field(default=None, repr=False)
    max_body: int = MAX_BODY
    # A write waiting longer than this for the file lock is answered 503 (Jira retries) rather
    # than left hanging until Jira's own timeout.
    store_timeout: float = 5.0
    max_pending: int = 1024
    # Jira Automation waits about 30 s for a web request; answer before it gives up.
    check_timeout: float = 25.0


class _TooLarge(Exception):
    pass


def error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status, headers=headers or None)


def create_app(
    settings: ServeSettings,
    *,
    processor: Callable[[Store], Processor] | None = None,
    worker_settings: WorkerSettings | None = None,
    metrics: Metrics | None = None,
    check: Callable[[str], dict[str, Any]] | None = None,
) -> Starlette:
    """The app. With ``processor`` (a factory, called on the worker thread) the inbox is also
    processed in this process; without it the app only receives. With ``check`` (key ->
    verdict JSON, blocking) ``GET /check/{key}`` answers Automation conditions."""
    metrics = metrics or Metrics()
    committer = GroupCommitter(
        lambda: open_store(settings.state, timeout=settings.store_timeout),
        max_pending=settings.max_pending,
    )

    async def receive(request: Request, source: str, target_of: Callable[..., Target]) -> Response:
        try:
            body = await _read_body(request, settings.max_body)
        except _TooLarge:
            metrics.rejected["too_large"] += 1
            return error(413, "too_large", f"the body is over {settings.max_body} bytes")
        if source == "jira":
            if settings.webhook_secret is None:
                return _unauthorized(
                    metrics, "no webhook secret is configured (BRIDGE_WEBHOOK_SECRET)"
                )
            if not signature_ok(
                settings.webhook_secret, body, request.headers.get("x-hub-signature")
            ):
                return _unauthorized(metrics, "X-Hub-Signature does not match the body")
        try:
            target = target_of(parse_json(body))
        except MalformedPayload as exc:
            metrics.rejected["malformed"] += 1
            return error(400, "malformed", str(exc))
        ident = request.headers.get("x-atlassian-webhook-identifier")
        if ident is not None and not 0 < len(ident) <= _MAX_ID:
            metrics.rejected["malformed"] += 1
            return error(
                400, "malformed", f"X-Atlassian-Webhook-Identifier is over {_MAX_ID} characters"
            )
        delivery = Delivery(
            id=f"{source}:{ident or _fallback_id(source, body)}",
            received_at=time.time(),
            source=source,
            event=target.event,
            keys=target.keys,
            sweep=target.sweep,
            body=body,
        )
        try:
            new = await committer.submit(delivery)
        except Overloaded:
            metrics.rejected["overloaded"] += 1
            return error(
                503,
                "overloaded",
                "too many deliveries at once; retry later",
                **{"Retry-After": RETRY_AFTER},
            )
        except StoreUnavailable:
            metrics.rejected["unavailable"] += 1
            log.warning("answering 503: the inbox cannot take a write", exc_info=True)
            return error(
                503,
                "unavailable",
                "the inbox cannot store the delivery now; retry later",
                **{"Retry-After": RETRY_AFTER},
            )
        metrics.received[source] += 1
        if not new:
            metrics.duplicates[source] += 1
            return JSONResponse({"status": "duplicate", "id": delivery.id}, 200)
        return JSONResponse({"status": "accepted", "id": delivery.id}, 202)

    async def jira_webhook(request: Request) -> Response:
        return await receive(request, "jira", jira_target)

    async def automation(request: Request) -> Response:
        # Checked before the body is read: an unauthenticated caller gets nothing buffered.
        if settings.automation_token is None:
            return _unauthorized(
                metrics, "no automation token is configured (BRIDGE_AUTOMATION_TOKEN)"
            )
        if not token_ok(settings.automation_token, request.headers):
            return _unauthorized(
                metrics, "a valid bearer token or X-Bridge-Token header is required"
            )
        return await receive(request, "automation", automation_target)

    async def check_endpoint(request: Request) -> Response:
        assert check is not None
        if settings.automation_token is None:
            return _unauthorized(
                metrics, "no automation token is configured (BRIDGE_AUTOMATION_TOKEN)"
            )
        if not token_ok(settings.automation_token, request.headers):
            return _unauthorized(
                metrics, "a valid bearer token or X-Bridge-Token header is required"
            )
        key = str(request.path_params["key"]).upper()
        if not ISSUE_KEY.fullmatch(key):
            return error(400, "malformed", f"not an issue key: {key[:40]!r}")
        try:
            verdict = await asyncio.wait_for(run_in_threadpool(check, key), settings.check_timeout)
        except TimeoutError:
            return error(
                503,
                "timeout",
                f"no verdict within {settings.check_timeout:.0f} s; Jira is slow, retry later",
                **{"Retry-After": RETRY_AFTER},
            )
        except NotFound as exc:
            return error(404, "not_found", exc.message)
        except (RateLimited, ServerError, TransportError) as exc:
            return error(
                503, "jira_unavailable", redact(exc.message), **{"Retry-After": RETRY_AFTER}
            )
        except BridgeError as exc:  # configuration, permissions, bad request: not retryable
            return error(502, "jira_error", redact(exc.message))
        return JSONResponse(verdict)

    async def healthz(request: Request) -> Response:
        try:
            await asyncio.wait_for(committer.ping(), settings.store_timeout + 1)
        except (StoreUnavailable, Overloaded, TimeoutError) as exc:
            return error(
                503, "unavailable", f"the state store takes no write: {type(exc).__name__}"
            )
        return JSONResponse({"status": "ok", "pending": committer.pending})

    async def metrics_endpoint(request: Request) -> Response:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    worker: Worker | None = None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal worker
        committer.start()
        if processor is not None:
            worker = Worker(
                lambda: open_store(settings.state),
                processor,
                metrics=metrics,
                settings=worker_settings or WorkerSettings(),
            )
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            committer.stop()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(exc.status_code, code, exc.detail, **(exc.headers or {}))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error(500, "internal", "unexpected error; see the server log")

    app = Starlette(
        routes=[
            Route("/webhooks/jira", jira_webhook, methods=["POST"]),
            Route("/automation", automation, methods=["POST"]),
            *([Route("/check/{key}", check_endpoint, methods=["GET"])] if check else []),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, 500: server_error},
    )
    app.state.metrics = metrics
    app.state.committer = committer
    return app


def _unauthorized(metrics: Metrics, message: str) -> Response:
    metrics.rejected["unauthorized"] += 1
    return error(401, "unauthorized", message)


def _fallback_id(source: str, body: bytes) -> str:
    """Without Jira's identifier: a Jira redelivery repeats the body byte for byte (its
    timestamp included), so the body's hash recognises it. Automation requests get no such
    benefit of the doubt: two identical rule runs are two triggers, both processed."""
    if source == "jira":
        return "sha256:" + hashlib.sha256(body).hexdigest()
    return "uuid:" + uuid.uuid4().hex


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit``: never more than that is buffered."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise _TooLarge
    return bytes(chunks)
