"""The receiver rows of the fault matrix: a scenario of people changing Jira, the webhooks Jira
would send for it, ``bridge serve`` receiving them over real HTTP (HMAC-signed like Jira), and a
snapshot of the final Jira state to compare with a fault-free run.

The scenario has two phases. In each, people act first (through the real ``jira`` client with
their own accounts), then the phase's webhooks are delivered, then the rig waits until the
inbox is drained. Separating the phases by a drain makes the fault-free result deterministic:
every issue that changed in a phase is processed after the phase's last change and before the
next phase starts. A fault may add deliveries (duplicates, stale or late events, a cron run),
lose some (the receiver down, healed by ``bridge sync``), or kill the receiver; it must never
change the final state.

Phase 1: Aisha rewrites MKT-26 (a typo fix) into a tracking-pixel request in two edits; Chloé
approves MKT-1 without reviews (reverted, review sub-tasks created); Tomasz submits MKT-15 for
review (sub-tasks); Aisha files a new Zapier request (tagged). Phase 2: Aisha turns MKT-26 back
into the typo fix (untagged); Rahul and Fatima approve MKT-1's review sub-tasks and Chloé
approves MKT-1 again (it stands); Tomasz comments on MKT-15.

Used by tests/faults/test_receiver_faults.py and benchmarks/fault_matrix_receiver.py.
"""

from __future__ import annotations

import contextlib
import copy
import faulthandler
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import uvicorn
from jira import JIRA
from pydantic import SecretStr

from bridgeplugin.config import Config, load_config
from bridgeplugin.enforce import Governance, governance_from_config
from bridgeplugin.epics.step import EpicsStep, step_from_config
from bridgeplugin.render import Renderer
from bridgeplugin.sandbox.faults import FaultRule, FaultSchedule
from bridgeplugin.sandbox.server import RunningSandbox, start
from bridgeplugin.sandbox.state import SiteState
from bridgeplugin.serve import ServeSettings, WorkerSettings, create_app
from bridgeplugin.serve.process import SyncProcessor
from bridgeplugin.site import Site, open_site
from bridgeplugin.state import Store, open_store
from bridgeplugin.sync import SyncOptions, SyncReport, run_sync
from bridgeplugin.tagging import Tagger

__all__ = [
    "FAST",
    "LABEL",
    "Event",
    "Receiver",
    "Rig",
    "Snapshot",
    "Subprocess",
    "diff",
    "sign",
]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec-fault-" + uuid.uuid4().hex
ADMIN = "admin@example.com"
PASSWORD = "sandbox-token"
LABEL = "marketing-tech-request"
# The demo seed's morning; each run starts its clock an hour later (running, not frozen), so
# the initial sync's own writes are outside the window of the next incremental sync.
SEED_MORNING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
RUN_START = SEED_MORNING + timedelta(hours=1)
# Short settle and defer: the rows wait for the worker many times per run.
FAST = WorkerSettings(
    settle=0.05, max_delay=1.0, poll=0.02, backoff=0.05, max_backoff=0.5, max_attempts=8, defer=0.1
)
_KEY = re.compile(r"\b(?:MKT|IT)-\d+\b")
_REF = re.compile(r"\b[0-9a-f]{10}\b")

PIXEL = {
    "summary": "Add the Meta pixel to the pricing page",
    "description": "Please install the Meta Pixel (Facebook pixel) tracking script on /pricing "
    "so we can track conversions and build a retargeting audience for the winter campaign.",
}
TYPO = {
    "summary": "Fix typo on pricing page",
    "description": "recieve -> receive, thx!",
}
ZAPIER = {
    "summary": "Connect Zapier to HubSpot and Slack for lead alerts",
    "description": "We want a Zapier integration that posts every new HubSpot lead into our "
    "Slack channel and copies it into a Google Sheet. Needs API access to HubSpot.",
}


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """One webhook Jira sends: its id (stable across Jira's retries), issue and signed body."""

    ident: str
    key: str
    body: bytes
    phase: int
    seq: int  # order of the change that caused it
    newest: bool = False  # the last event of its issue in its phase

    def copy(self, ident: str) -> Event:
        """The same event under another id (a second webhook registration, or Automation)."""
        return Event(ident, self.key, self.body, self.phase, self.seq, False)


def _payload(jira: JIRA, key: str, event: str, items: list[dict[str, Any]], when: int) -> bytes:
    """The body Jira sends: the issue as it was right after the change, and the change."""
    raw = jira.issue(key, fields="summary,status,labels,updated,issuetype").raw
    fields = raw["fields"]
    return json.dumps(
        {
            "timestamp": when,
            "webhookEvent": event,
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": jira.myself()["accountId"]},
            "issue": {
                "id": raw["id"],
                "key": raw["key"],
                "fields": {
                    "summary": fields["summary"],
                    "status": {"name": fields["status"]["name"]},
                    "labels": fields["labels"],
                    "updated": fields["updated"],
                },
            },
            "changelog": {"id": uuid.uuid4().hex[:8], "items": items},
        }
    ).encode()


# ---------------------------------------------------------------------------- receivers


class Receiver:
    """``bridge serve`` (app, inbox, worker, the sync pipeline) under uvicorn in a thread."""

    def __init__(
        self,
        config: Config,
        worker: WorkerSettings = FAST,
        port: int = 0,
        rules: tuple[Tagger, Governance | None] | None = None,
    ) -> None:
        settings = ServeSettings(state=config.state, webhook_secret=SecretStr(SECRET))

        def processor(store: Store) -> SyncProcessor:
            if rules is None:
                return SyncProcessor(config, store)
            return SyncProcessor(config, store, tagger=rules[0], governance=rules[1])

        app = create_app(settings, processor=processor, worker_settings=worker)
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        uv = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        self.server = uvicorn.Server(uv)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "bridge serve did not start"
            time.sleep(0.01)

    def metric(self, name: str) -> float:
        text = requests.get(f"{self.url}/metrics", timeout=10).text
        found = re.search(rf"^bridge_{name} (\S+)$", text, re.M)
        assert found, name
        return float(found[1])

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(30)
        self._sock.close()


class Zygote:
    """A process forked from the runner before the runner opens any SQLite database or starts
    a thread, which forks the processes the rows need: a ``bridge serve`` to kill -9, a cron
    ``bridge sync``. Forking those from the runner itself is unsound: the child inherits
    SQLite's in-memory lock bookkeeping of the runner's open connections to the same state
    file, believes it holds file locks it does not hold, and the runner closing a connection
    then deletes the WAL under it (its commits vanish). The zygote never opens a database.

    Children are reaped at once (SIGCHLD ignored), so a killed one is gone, not a zombie that
    ``bridge serve``'s dead-holder check would take for alive."""

    def __init__(self) -> None:
        self._requests_r, self._requests_w = os.pipe()
        self._answers_r, self._answers_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(self._requests_w)
                os.close(self._answers_r)
                self._loop()
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(self._requests_r)
        os.close(self._answers_w)
        self.pid = pid
        self._requests = os.fdopen(self._requests_w, "w", buffering=1)
        self._answers = os.fdopen(self._answers_r, "r", buffering=1)

    # -- the zygote's side ---------------------------------------------------------------------

    def _loop(self) -> None:
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # no zombies
        requests_in = os.fdopen(self._requests_r, "r", buffering=1)
        answers_out = os.fdopen(self._answers_w, "w", buffering=1)
        rules: dict[str, tuple[Tagger, Governance | None]] = {}
        for line in requests_in:
            order = json.loads(line)
            env: dict[str, str] = order["env"]
            config = load_config(None, environ=env)
            if env["BRIDGE_RULES"] not in rules:  # loaded once, inherited by every child
                tagger = Tagger.load(config.rules)
                rules[env["BRIDGE_RULES"]] = (tagger, governance_from_config(config, tagger))
            child = os.fork()
            if child == 0:
                code = 0
                try:
                    requests_in.close()
                    answers_out.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _child(order, config, rules[env["BRIDGE_RULES"]])
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            answers_out.write(f"{child}\n")

    # -- the runner's side ---------------------------------------------------------------------

    def spawn(self, order: dict[str, Any]) -> int:
        self._requests.write(json.dumps(order) + "\n")
        return int(self._answers.readline())

    def close(self) -> None:
        self._requests.close()
        self._answers.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _child(order: dict[str, Any], config: Config, rules: tuple[Tagger, Governance | None]) -> None:
    """In a child of the zygote: serve until killed, or run one cron sync."""
    if order["kind"] == "serve":
        settings = ServeSettings(state=config.state, webhook_secret=SecretStr(SECRET))

        def processor(store: Store) -> SyncProcessor:
            return SyncProcessor(config, store, tagger=rules[0], governance=rules[1])

        app = create_app(settings, processor=processor, worker_settings=FAST)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", order["port"]))
        uv = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        # ``kill -USR1 <pid>`` writes every thread's stack to this file.
        with Path(order["trace"]).open("w") as trace:
            faulthandler.register(signal.SIGUSR1, file=trace, all_threads=True)
            uvicorn.Server(uv).run(sockets=[sock])
    elif order["kind"] == "cron":
        tagger, governance = rules
        with open_site(config) as site, open_store(config.state) as store:
            report = run_sync(
                site.jira,
                tagger,
                store=store,
                site_url=str(config.jira_url),
                projects=(config.projects.marketing, config.projects.it),
                label=config.tagging.label,
                renderer=Renderer(config.templates),
                options=SyncOptions(),
                lease_seconds=config.sync.lease_seconds,
                epics=step_from_config(config),
                governance=governance,
            )
        doc = {
            "skipped": report.lease_holder is not None,
            "ok": report.error is None and not report.failures,
            "writes": report.writes,
        }
        Path(order["result"]).write_text(json.dumps(doc))


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


class Forked:
    """``bridge serve`` (app, inbox, worker with ``FAST`` settings) in a process of the rig's
    zygote: a real process to SIGKILL, without an interpreter's start-up."""

    def __init__(self, rig: Rig, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        trace = rig.workdir / f"forked-{rig.runs}-{port}-{time.monotonic_ns()}.txt"
        self.pid = rig.zygote().spawn(
            {"kind": "serve", "env": rig.env(), "port": port, "trace": str(trace)}
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.alive(), "the forked bridge serve exited"
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the forked bridge serve did not start"
            time.sleep(0.02)

    def alive(self) -> bool:
        return not gone(self.pid)

    def _wait_gone(self) -> None:
        deadline = time.monotonic() + 30
        while not gone(self.pid):
            assert time.monotonic() < deadline, "the forked bridge serve did not exit"
            time.sleep(0.005)

    def kill9(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self._wait_gone()

    def stop(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            self._wait_gone()


class Subprocess:
    """``bridge serve`` as its own process (``python -m bridgeplugin serve``), for kill -9."""

    verbosity = "-v"  # "-vv": every HTTP call in serve.log

    def __init__(self, rig: Rig, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
        env.update({k: v for k, v in rig.env().items()})
        env["BRIDGE_WEBHOOK_SECRET"] = SECRET
        log = (rig.workdir / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bridgeplugin", self.verbosity, "serve", "--port", str(port)],
            env=env,
            cwd=rig.workdir,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, f"bridge serve exited with {self.proc.returncode}"
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "bridge serve did not start"
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        self.proc.kill()  # SIGKILL: no shutdown handler, no lease release, no flush
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


# ---------------------------------------------------------------------------- the rig


@dataclass
class Delivered:
    """What the deliveries of one run got back (status per attempt; None: refused)."""

    answers: list[tuple[str, int | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ident: str, status: int | None) -> None:
        with self.lock:
            self.answers.append((ident, status))

    def count(self, status: int | None) -> int:
        return sum(1 for _, s in self.answers if s == status)


class Rig:
    """One sandbox (demo seed), a state file, people with their own clients, and the rows'
    common steps. ``begin()`` puts the site back to where the initial ``bridge sync`` left it
    (restored from a snapshot, so a run costs no initial sync) with a fresh state file."""

    def __init__(
        self, workdir: Path, sandbox: RunningSandbox | None = None, zygote: Zygote | None = None
    ) -> None:
        self.workdir = workdir
        self._zygote = zygote
        workdir.mkdir(parents=True, exist_ok=True)
        self._own = sandbox is None
        self.sandbox = sandbox or start("demo")
        self._clients: dict[str, JIRA] = {}
        self._site: Site | None = None
        self._steps: tuple[Tagger, Renderer, EpicsStep | None, Governance | None] | None = None
        self.delivered = Delivered()
        self._http = requests.Session()
        # The initial state: the demo seed after one full sync and one incremental sync (so the
        # watermark is where a cron job running for a while would have it).
        self.sandbox.app.reset()
        self._clock(SEED_MORNING)
        self.workdir.joinpath("state").mkdir(exist_ok=True)
        self._run_dir = self.workdir / "state"
        self.state = self._run_dir / "state.db"
        self._reset_state_file()
        first = self.sync(full=True)
        assert first.error is None and not first.failures, first.to_json()
        again = self.sync()
        assert again.error is None and not again.failures, again.to_json()
        assert not again.outcomes, again.to_json()  # the seed's situation is settled
        self.close_site()
        self._initial_site = self.sandbox.app.site.snapshot()
        self._initial_state = self.workdir / "initial.db"
        shutil.copyfile(self.state, self._initial_state)
        self.runs = 0
        self.phase_writes: dict[int, int] = {}  # writes per phase of the fault-free run

    # -- set-up ----------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            "BRIDGE_JIRA_URL": self.sandbox.url,
            "BRIDGE_JIRA_EMAIL": ADMIN,
            "BRIDGE_JIRA_TOKEN": PASSWORD,
            "BRIDGE_STATE": str(self.state),
            "BRIDGE_RULES": str(ROOT / "rules"),
            "BRIDGE_GOVERNANCE__ENFORCE": "true",
            "BRIDGE_SYNC__PUBLISH": "never",
        }

    @property
    def config(self) -> Config:
        return load_config(None, environ=self.env())

    def _reset_state_file(self) -> None:
        for path in self._run_dir.glob("state.db*"):
            path.unlink()

    def begin(self) -> None:
        """A new run: the site as the initial sync left it, its state file, the clock at
        ``RUN_START`` and running, no faults, an empty ledger."""
        self.close_site()
        # A deep copy: the restored state keeps (and later changes) the dicts it is given.
        restored = SiteState.restore(copy.deepcopy(self._initial_site))
        app = self.sandbox.app
        with app.lock:  # the routes read these attributes per call
            app.site.clock = restored.clock
            app.site.accounts = restored.accounts
            app.site.jira = restored.jira
            app.site.confluence = restored.confluence
            app.faults.clear()
            app.ledger.clear()
        self._clock(RUN_START)
        self.runs += 1
        self._run_dir = self.workdir / f"run-{self.runs}"
        self._run_dir.mkdir(exist_ok=True)
        self.state = self._run_dir / "state.db"
        self._reset_state_file()
        shutil.copyfile(self._initial_state, self.state)
        os.chmod(self.state, 0o600)
        self.delivered = Delivered()

    def finish(self) -> None:
        """Remove the run's state directory (the benchmark runs hundreds)."""
        self.close_site()
        shutil.rmtree(self._run_dir, ignore_errors=True)

    def close(self) -> None:
        self.close_site()
        for client in self._clients.values():
            client.close()
        self._http.close()
        if self._own:
            self.sandbox.stop()

    def zygote(self) -> Zygote:
        assert self._zygote is not None, "this rig was made without a zygote (see Zygote)"
        return self._zygote

    def cron_process(self, state: Path | None = None) -> dict[str, Any]:
        """One cron ``bridge sync`` in its own process (forked by the zygote), on the run's
        state file or on ``state``; what it reported: skipped, ok, writes."""
        env = self.env()
        if state is not None:
            env["BRIDGE_STATE"] = str(state)
        result = self._run_dir / f"cron-{time.monotonic_ns()}.json"
        pid = self.zygote().spawn({"kind": "cron", "env": env, "result": str(result)})
        deadline = time.monotonic() + 120
        while not gone(pid):
            assert time.monotonic() < deadline, "the cron process did not finish"
            time.sleep(0.01)
        if not result.exists():
            return {"skipped": False, "ok": False, "writes": 0}
        return dict(json.loads(result.read_text()))

    def copy_initial_state(self, path: Path) -> None:
        """A state file at ``path`` as the run's started (same watermark, no inbox)."""
        shutil.copyfile(self._initial_state, path)
        os.chmod(path, 0o600)

    def close_site(self) -> None:
        if self._site is not None:
            self._site.close()
            self._site = None

    # -- the sandbox's control API ------------------------------------------------------------

    def _clock(self, when: datetime) -> None:
        answer = self._http.put(
            f"{self.sandbox.url}/_sandbox/clock",
            json={"now": when.isoformat(), "frozen": False},
            timeout=10,
        )
        answer.raise_for_status()

    def advance_clock(self, seconds: float) -> datetime:
        answer = self._http.put(
            f"{self.sandbox.url}/_sandbox/clock", json={"advance": seconds}, timeout=10
        )
        answer.raise_for_status()
        return datetime.fromisoformat(answer.json()["now"])

    def jira_now_ms(self) -> int:
        now = self._http.get(f"{self.sandbox.url}/_sandbox/clock", timeout=10).json()["now"]
        return int(datetime.fromisoformat(now).timestamp() * 1000)

    def slow_writes(self, ms: int) -> None:
        """Every write (and task poll) takes ``ms`` longer: runs last long enough to race."""
        self.sandbox.app.faults.set(
            FaultSchedule(
                rules=[
                    FaultRule(method="POST", path=r"^(?!.*/search)", latency_ms=ms),
                    FaultRule(method="PUT", latency_ms=ms),
                    FaultRule(method="GET", path=r"/task/|/bulk/queue/", latency_ms=ms),
                ]
            )
        )

    def writes(self) -> int:
        return sum(1 for c in self.sandbox.app.ledger.calls() if c.is_write)

    # -- people and Jira -----------------------------------------------------------------------

    def as_user(self, name: str) -> JIRA:
        if name not in self._clients:
            self._clients[name] = JIRA(
                server=self.sandbox.url,
                basic_auth=(f"{name}@example.com", PASSWORD),
                max_retries=0,
                timeout=30,
            )
        return self._clients[name]

    def _transition(self, who: str, key: str, name: str) -> None:
        client = self.as_user(who)
        ids = {t["name"]: t["id"] for t in client.transitions(key)}
        assert name in ids, f"{key}: no transition {name!r} for {who} (has {sorted(ids)})"
        client.transition_issue(key, ids[name])

    def rules(self) -> tuple[Tagger, Governance | None]:
        """The rules, loaded once per rig (bridge serve loads them once per process)."""
        if self._steps is None:
            config = self.config
            tagger = Tagger.load(config.rules)
            self._steps = (
                tagger,
                Renderer(config.templates),
                step_from_config(config),
                governance_from_config(config, tagger),
            )
        return self._steps[0], self._steps[3]

    def receiver(self, port: int = 0, worker: WorkerSettings = FAST) -> Receiver:
        """bridge serve for this run, in a thread of this process."""
        return Receiver(self.config, worker, port, rules=self.rules())

    def sync(self, *, full: bool = False) -> SyncReport:
        """One ``bridge sync`` (cron), in this process, against the run's state file: what
        ``sync_from_config`` does, with the rules loaded once per rig rather than per run."""
        config = self.config
        if self._site is None:
            self._site = open_site(config)
        self.rules()
        assert self._steps is not None
        tagger, renderer, epics, governance = self._steps
        with open_store(config.state) as store:
            return run_sync(
                self._site.jira,
                tagger,
                store=store,
                site_url=str(config.jira_url),
                projects=(config.projects.marketing, config.projects.it),
                label=config.tagging.label,
                renderer=renderer,
                options=SyncOptions(full=full),
                lease_seconds=config.sync.lease_seconds,
                epics=epics,
                governance=governance,
            )

    # -- the scenario -------------------------------------------------------------------------

    def act(self, phase: int) -> list[Event]:
        """The people's changes of ``phase``; the events Jira sends for them, in order."""
        events: list[Event] = []

        def sent(who: str, key: str, kind: str, items: list[dict[str, Any]]) -> None:
            body = _payload(self.as_user(who), key, kind, items, self.jira_now_ms())
            events.append(Event(uuid.uuid4().hex, key, body, phase, len(events)))

        def item(name: str, old: Any, new: Any) -> dict[str, Any]:
            return {"field": name, "fieldId": name, "fromString": old, "toString": new}

        if phase == 1:
            aisha = self.as_user("aisha")
            aisha.issue("MKT-26").update(fields={"description": PIXEL["description"]})
            sent("aisha", "MKT-26", "jira:issue_updated", [item("description", "...", "...")])
            aisha.issue("MKT-26").update(fields={"summary": PIXEL["summary"]})
            sent("aisha", "MKT-26", "jira:issue_updated", [item("summary", TYPO["summary"], "")])
            self._transition("chloe", "MKT-1", "Approve")
            sent("chloe", "MKT-1", "jira:issue_updated", [item("status", "In Review", "Approved")])
            self._transition("tomasz", "MKT-15", "Submit for review")
            sent("tomasz", "MKT-15", "jira:issue_updated", [item("status", "To Do", "In Review")])
            new = aisha.create_issue(project="MKT", issuetype={"name": "Task"}, **ZAPIER)
            sent("aisha", new.key, "jira:issue_created", [])
        elif phase == 2:
            self.as_user("aisha").issue("MKT-26").update(fields=dict(TYPO))
            sent("aisha", "MKT-26", "jira:issue_updated", [item("summary", "", TYPO["summary"])])
            reviews = self.record("MKT-1").get("reviews", {})
            assert set(reviews) == {"integration", "security"}, reviews
            for who, review in (("rahul", "integration"), ("fatima", "security")):
                key = reviews[review]["key"]
                self._transition(who, key, "Approve")
                sent(who, key, "jira:issue_updated", [item("status", "To Do", "Done")])
            self._transition("chloe", "MKT-1", "Approve")
            sent("chloe", "MKT-1", "jira:issue_updated", [item("status", "In Review", "Approved")])
            self.as_user("tomasz").add_comment("MKT-15", "Braze asked for the push certificate.")
            sent("tomasz", "MKT-15", "comment_created", [])
        else:
            raise ValueError(phase)
        last = {e.key: e.seq for e in events}
        return [
            Event(e.ident, e.key, e.body, e.phase, e.seq, newest=last[e.key] == e.seq)
            for e in events
        ]

    def record(self, key: str) -> dict[str, Any]:
        prop = self.as_user("admin").issue_property(key, "bridge")
        return dict(prop.raw["value"])

    # -- deliveries ------------------------------------------------------------------------------

    def deliver(self, url: str, event: Event, *, retry: int = 0) -> int | None:
        """POST one delivery as Jira does; the status, or None when the receiver is not there."""
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature": sign(event.body),
            "X-Atlassian-Webhook-Identifier": event.ident,
        }
        if retry:
            headers["X-Atlassian-Webhook-Retry"] = str(retry)
        try:
            with requests.post(
                f"{url}/webhooks/jira", data=event.body, headers=headers, timeout=30
            ) as answer:
                status: int | None = answer.status_code
        except requests.ConnectionError:
            status = None
        self.delivered.add(event.ident, status)
        return status

    def deliver_all(
        self, url: str, events: Sequence[Event], *, parallel: int = 1, retry: int = 0
    ) -> list[int | None]:
        """Deliver in this order; with ``parallel`` > 1 several at once (Jira does that)."""
        if parallel <= 1:
            return [self.deliver(url, e, retry=retry) for e in events]
        results: list[int | None] = [None] * len(events)
        lock = threading.Lock()
        todo = iter(range(len(events)))

        def work() -> None:
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                results[i] = self.deliver(url, events[i], retry=retry)

        threads = [threading.Thread(target=work) for _ in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return results

    # -- the inbox -----------------------------------------------------------------------------

    def inbox(self) -> dict[str, int]:
        """Inbox rows by state, plus ``dead`` (dead letters); empty before the first delivery."""
        if not self.state.exists():
            return {}
        with sqlite3.connect(self.state, timeout=30) as db:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if "inbox" not in tables:
                return {}
            out = dict(db.execute("SELECT state, COUNT(*) FROM inbox GROUP BY state").fetchall())
            out["dead"] = db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0]
        return out

    def inbox_ids(self) -> set[str]:
        with sqlite3.connect(self.state, timeout=30) as db:
            return {r[0] for r in db.execute("SELECT id FROM inbox")}

    def drain(self, timeout: float = 60.0, alive: Callable[[], bool] | None = None) -> None:
        """Wait until nothing is queued (every delivery processed); none may be buried."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.inbox()
            assert not counts.get("dead"), f"deliveries went to the dead letters: {counts}"
            if not counts.get("queued"):
                return
            assert alive is None or alive(), "the receiver died"
            assert time.monotonic() < deadline, f"the inbox did not drain: {counts}"
            time.sleep(0.02)

    # -- the final state -------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return Snapshot.read(self.as_user("admin"), self.sandbox.app.site.seed)


@dataclass
class Snapshot:
    """Jira's state as the rows compare it: per issue its status, labels, parent, the
    ``bridge`` property, the comments (author, text) and the changelog of status, resolution
    and labels (author, from, to), in order. Issue keys the seed does not have are named by
    what they are (parent and summary), since the order of creation differs between runs."""

    issues: dict[str, dict[str, Any]]

    @classmethod
    def read(cls, jira: JIRA, seed: Any) -> Snapshot:
        seeded = {i.key for i in seed.issues}
        found = [
            i.raw
            for i in jira.enhanced_search_issues(
                "project in (MKT, IT) ORDER BY key ASC",
                maxResults=False,
                fields="summary,status,labels,parent,issuetype,comment,resolution",
                expand="changelog",
                properties="bridge",
            )
        ]
        names: dict[str, str] = {}
        for issue in found:
            key, f = issue["key"], issue["fields"]
            if key not in seeded:
                parent = (f.get("parent") or {}).get("key", "")
                names[key] = f"NEW[{parent}|{f['summary']}]"

        def name(text: str) -> str:
            return _KEY.sub(lambda m: names.get(m[0], m[0]), text)

        issues: dict[str, dict[str, Any]] = {}
        for issue in found:
            f = issue["fields"]
            history = sorted(
                issue.get("changelog", {}).get("histories", []), key=lambda h: int(h["id"])
            )
            changes = [
                (h["author"]["emailAddress"], i["field"], i.get("fromString"), i.get("toString"))
                for h in history
                for i in h["items"]
                if i["field"] in ("status", "resolution", "labels")
            ]
            record = (issue.get("properties") or {}).get("bridge")
            issues[name(issue["key"])] = json.loads(
                _refs(
                    name(
                        json.dumps(
                            {
                                "status": f["status"]["name"],
                                "resolution": (f.get("resolution") or {}).get("name"),
                                "labels": sorted(f["labels"]),
                                "parent": (f.get("parent") or {}).get("key"),
                                "summary": f["summary"],
                                "bridge": record,
                                "comments": [
                                    (
                                        c["author"]["emailAddress"],
                                        _UNTAG_ABSENT.sub(_UNTAG_REMOVED, c["body"]),
                                    )
                                    for c in f["comment"]["comments"]
                                ],
                                "changes": changes,
                            },
                            sort_keys=True,
                        )
                    )
                )
            )
        return cls(issues)

    def comments_by(self, key: str, prefix: str) -> list[str]:
        return [b for a, b in self.issues[key]["comments"] if b.startswith(prefix)]

    def reverts(self, key: str) -> int:
        return sum(
            1
            for who, fld, old, new in self.issues[key]["changes"]
            if who == ADMIN and fld == "status" and old == "Approved"
        )


# After a crash between removing the label and commenting, the next run finds the label gone
# and cannot tell who removed it: its untagging comment says "is no longer on it" instead of
# "was removed". Both are true and the comment is posted once; the rows treat them as equal.
_UNTAG_ABSENT = re.compile(
    r"The tagging rules \(version (\w+)\) no longer count this as a marketing technology "
    r"request, and the label ([\w-]+) is no longer on it\."
)
_UNTAG_REMOVED = (
    r"The label \2 was removed: the tagging rules (version \1) no longer count this as a "
    r"marketing technology request."
)


def _refs(text: str) -> str:
    """Notice refs (``ref 3e16610ab8``) differ between runs: numbered by first appearance."""
    seen: dict[str, str] = {}
    return _REF.sub(lambda m: seen.setdefault(m[0], f"REF{len(seen) + 1}"), text)


def diff(expected: Snapshot, actual: Snapshot) -> list[str]:
    """What differs, one line per issue and part (empty: the same state)."""
    out: list[str] = []
    for key in sorted(set(expected.issues) | set(actual.issues)):
        a, b = expected.issues.get(key), actual.issues.get(key)
        if a is None or b is None:
            out.append(f"{key}: {'missing' if b is None else 'unexpected'}")
            continue
        for part in sorted(set(a) | set(b)):
            if a.get(part) != b.get(part):
                out.append(f"{key} {part}: expected {a.get(part)!r}, got {b.get(part)!r}")
    return out
