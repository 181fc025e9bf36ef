"""Fixtures of the contract tests: the demo sandbox with an observer that records every exchange.

``sites`` (one per test module) serves the built-in demo seed and, on first use, a second
sandbox from the same seed in which only the marketing group may write to MKT: the demo seed
itself restricts no permission, so that is where the 403 answers come from. Every answered call
of either sandbox goes to the ``recorder`` of the running test (a fresh one per test), with the
sandbox route it matched, so each test validates exactly its own exchanges.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.sandbox.routing import HttpError, Request, Response
from bridgeplugin.sandbox.seed import Seed, load_seed
from bridgeplugin.sandbox.server import RunningSandbox, start

ADMIN = "admin@example.com"
TOKEN = "sandbox-token"
# In it-architecture, not in marketing: denied every write to MKT on the restricted site.
OUTSIDER = "rahul@example.com"
RESTRICTED_PROJECT = "MKT"
RESTRICTED_PERMISSIONS = (
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "TRANSITION_ISSUES",
    "ADD_COMMENTS",
    "LINK_ISSUES",
)


@dataclass(frozen=True)
class Exchange:
    request: Request
    response: Response
    route: str  # "GET /rest/api/3/issue/{}": the sandbox route, parameters blanked
    source: str  # "gateway" (JiraGateway) or "raw" (plain requests made by a scenario)

    def __str__(self) -> str:
        return f"{self.request.method} {self.request.path} -> {self.response.status}"


@dataclass
class Recorder:
    exchanges: list[Exchange] = field(default_factory=list)
    source: str = "gateway"

    def record(self, sandbox: RunningSandbox, request: Request, response: Response) -> None:
        route = route_key(sandbox, request)
        self.exchanges.append(Exchange(request, response, route, self.source))

    @contextlib.contextmanager
    def raw(self) -> Iterator[None]:
        """Tag the exchanges made inside the block as not sent by the gateway."""
        self.source = "raw"
        try:
            yield
        finally:
            self.source = "gateway"


def route_key(sandbox: RunningSandbox, request: Request) -> str:
    """``METHOD /path`` of the sandbox route ``request`` matched: the API version as sent, every
    other path parameter as ``{}`` (``GET /rest/api/3/issue/{}/transitions``)."""
    try:
        matched = sandbox.app.router.match(request.method, request.path)
    except HttpError:  # 405: the path exists, the method does not
        matched = None
    if matched is None:
        return f"{request.method} {request.path} (no route)"
    template = matched[2].strip("/").split("/")
    actual = request.path.strip("/").split("/")
    parts = [
        sent if name == "{ver}" else "{}" if name.startswith("{") else name
        for name, sent in zip(template, actual, strict=False)
    ]
    return f"{request.method} /{'/'.join(parts)}"


def restricted_seed() -> Seed:
    """The demo seed where only the marketing group may create, edit, transition, comment on
    and link MKT issues."""
    seed = load_seed("demo")
    project = next(p for p in seed.projects if p.key == RESTRICTED_PROJECT)
    project.permissions = {p: ["marketing"] for p in RESTRICTED_PERMISSIONS}
    return seed


class Sites:
    """The demo sandbox, and the restricted one started on first use; both report to
    ``recorder``. Test modules reach everything here through the ``sites`` fixture."""

    admin = ADMIN
    token = TOKEN
    outsider = OUTSIDER
    restricted_project = RESTRICTED_PROJECT

    def __init__(self) -> None:
        self.recorder: Recorder | None = None
        self.demo = self._start(load_seed("demo"))
        self._restricted: RunningSandbox | None = None

    @property
    def restricted(self) -> RunningSandbox:
        if self._restricted is None:
            self._restricted = self._start(restricted_seed())
        return self._restricted

    def _start(self, seed: Seed) -> RunningSandbox:
        sandbox = start(seed)

        def observe(request: Request, response: Response) -> None:
            if self.recorder is not None:
                self.recorder.record(sandbox, request, response)

        sandbox.app.observers.append(observe)
        return sandbox

    def listen(self) -> Recorder:
        """A fresh recorder that gets every exchange from now on (until the next one)."""
        self.recorder = Recorder()
        return self.recorder

    def gateway(
        self, sandbox: RunningSandbox | None = None, email: str = ADMIN, token: str = TOKEN
    ) -> JiraGateway:
        """A real ``JiraGateway`` (API token, default timeouts and retry policy)."""
        url = (sandbox or self.demo).url
        return JiraGateway(url, email=email, token=SecretStr(token), timeout=(5.0, 30.0))

    def stop(self) -> None:
        self.demo.stop()
        if self._restricted is not None:
            self._restricted.stop()


@pytest.fixture(scope="module")
def sites() -> Iterator[Sites]:
    running = Sites()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def recorder(sites: Sites) -> Iterator[Recorder]:
    try:
        yield sites.listen()
    finally:
        sites.recorder = None
