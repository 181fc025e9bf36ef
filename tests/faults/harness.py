"""The fault matrix's harness: run the whole pipeline against a sandbox, snapshot the final
Jira and Confluence state in a form two runs can be compared in, and say what differs.

The pipeline is what ``bridge demo`` switches on: ``bridge sync`` with tagging, review
enforcement, cross-team epics (the shipped rules copied with ``enabled: true``) and the sprint
pages published after the sync (``sync.publish: changed``). It runs through the real CLI, the
real gateways and the real ``jira`` / atlassian-python-api clients over HTTP, either in this
process (``Pipeline.sync``) or as a child process that can be killed (``Pipeline.spawn``).

``snapshot`` reads the sandbox's whole state (``GET /_sandbox/state``) and normalises it:

* an issue the seed has keeps its key; an issue a run created is named by what it is (type,
  project, parent, summary), since two runs may hand out keys in another order. A second issue
  with the same name is ``name #2``: a duplicate. Keys inside text and entity properties are
  rewritten to those names.
* comments, links and Confluence contents are multisets, so one posted twice shows up.
* what legitimately differs between two runs (timestamps, ids, who-ran-when) is left out.

``diff(expected, actual)`` lists every difference as one line a person can read.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests
from click.testing import CliRunner

from bridgeplugin.cli import main
from bridgeplugin.sandbox.server import RunningSandbox, start

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "admin@example.com"
TOKEN = "sandbox-token"
_KEY = re.compile(r"\b[A-Z][A-Z0-9_]+-[1-9][0-9]*\b")
# Every sandbox listens on a port of its own; links in comments and pages name it.
_SITE = re.compile(r"https?://(127\.0\.0\.1|localhost):\d+")
_MACRO_ID = re.compile(r'\s*ac:macro-id="[^"]*"')
# Parts of the sprint page that move with the wall clock of the run, not with Jira's state.
_PAGE_VOLATILE = (
    re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| UTC)?"),
)


def pipeline_rules(workdir: Path) -> Path:
    """The shipped rules with epics switched on, as ``bridge demo`` does (demo.demo_config)."""
    rules = workdir / "rules"
    if not rules.exists():
        shutil.copytree(ROOT / "rules", rules)
        epics = rules / "epics.yaml"
        epics.write_text(
            re.sub(r"(?m)^enabled: false", "enabled: true", epics.read_text(encoding="utf-8")),
            encoding="utf-8",
        )
    return rules


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}"


class Pipeline:
    """One sandbox, a work directory (rules, state files), and the ways to run the pipeline."""

    def __init__(self, sandbox: RunningSandbox, workdir: Path) -> None:
        self.sandbox = sandbox
        self.workdir = workdir
        self.rules = pipeline_rules(workdir)
        self.state = workdir / "state.db"
        self._http = requests.Session()

    @property
    def url(self) -> str:
        return self.sandbox.url

    # -- running -------------------------------------------------------------------------------

    def env(self, state: Path | None = None, **extra: str) -> dict[str, str]:
        env = {
            "BRIDGE_JIRA_URL": self.url,
            "BRIDGE_JIRA_EMAIL": ACCOUNT,
            "BRIDGE_JIRA_TOKEN": TOKEN,
            "BRIDGE_STATE": str(state or self.state),
            "BRIDGE_RULES": str(self.rules),
            "BRIDGE_GOVERNANCE__ENFORCE": "true",
            "BRIDGE_SYNC__PUBLISH": "changed",
            # Short enough that a fault row's latency beats it; far above a sandbox answer.
            "BRIDGE_TIMEOUTS__READ": "4",
            "BRIDGE_RETRY__MAX_WAIT": "5",
        }
        env.update(extra)
        return env

    def sync(self, *args: str, state: Path | None = None, **extra: str) -> Run:
        """``bridge sync`` in this process (fast: no interpreter start, rules parsed afresh)."""
        env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("BRIDGE_")}
        env.update(self.env(state, **extra))
        result = CliRunner().invoke(main, ["sync", *args], env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    def spawn(self, *args: str, state: Path | None = None, **extra: str) -> subprocess.Popen[str]:
        """``python -m bridgeplugin sync`` as a child process, e.g. to be killed."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
        env.update(self.env(state, **extra))
        return subprocess.Popen(
            [sys.executable, "-m", "bridgeplugin", "sync", *args],
            env=env,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def converge(self, max_runs: int = 3, **extra: str) -> list[Run]:
        """Run until a run succeeds (exit 0 and wrote nothing it could not); every run kept."""
        runs: list[Run] = []
        for _ in range(max_runs):
            runs.append(self.sync(**extra))
            if runs[-1].code == 0:
                return runs
        raise AssertionError(f"no clean run in {max_runs}; the last:\n{runs[-1]}")

    # -- the sandbox's control API ---------------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None) -> Any:
        resp = self._http.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=30)
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def reset(self) -> None:
        self.control("POST", "reset")

    def faults(self, *rules: Mapping[str, Any], seed: int = 0, **extra: Any) -> None:
        self.control("PUT", "faults", {"seed": seed, "rules": list(rules), **extra})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def fired(self) -> list[int]:
        """How often each rule of the fault schedule fired."""
        return list(self.control("GET", "faults")["fired"])

    def ledger(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "ledger")["calls"])

    def clear_ledger(self) -> None:
        self.control("DELETE", "ledger")

    def snapshot(self) -> Snapshot:
        return snapshot(self.control("GET", "state"))

    def close(self) -> None:
        self._http.close()


def fault_free_run(workdir: Path) -> tuple[Snapshot, int]:
    """The final state of the pipeline on a fresh demo site without faults, and the number
    of calls its first run made. Checks that a second run writes nothing."""
    sandbox = start("demo")
    try:
        pipeline = Pipeline(sandbox, workdir)
        first = pipeline.sync()
        assert first.code == 0, str(first)
        calls = len(sandbox.app.ledger.calls())
        sandbox.app.ledger.clear()
        again = pipeline.sync()
        assert again.code == 0, str(again)
        writes = [c for c in sandbox.app.ledger.calls() if c.is_write]
        assert not writes, f"a second fault-free run wrote: {writes}"
        snap = pipeline.snapshot()
        pipeline.close()
        made = " ".join(snap.created())
        # A baseline with nothing in it would make every row pass: it must have done the work.
        assert "new Epic" in made and "new Sub-task" in made and "new Story" in made, made
        assert any("Sprint 25" in name for name in snap.contents), list(snap.contents)
        return snap, calls
    finally:
        sandbox.stop()


class Baseline:
    """The fault-free run, computed again when the UTC date changes: the sprint page shows
    ages in days counted from the plugin's clock (real time), not from the sandbox's."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._cached: tuple[date, Snapshot, int] | None = None

    def get(self) -> tuple[Snapshot, int]:
        today = datetime.now(UTC).date()
        if self._cached is None or self._cached[0] != today:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir.mkdir(parents=True)
            snap, calls = fault_free_run(self.workdir)
            self._cached = (today, snap, calls)
        return self._cached[1], self._cached[2]


# ---------------------------------------------------------------------------------- snapshot


@dataclass
class Snapshot:
    """The final state, normalised: ``issues`` and ``contents`` by name, ``links`` a multiset."""

    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: Counter[str] = field(default_factory=Counter)
    contents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def created(self) -> list[str]:
        """Names of the issues the runs created (not in the seed)."""
        return sorted(n for n, i in self.issues.items() if i["created_by_run"])

    def to_json(self) -> dict[str, Any]:
        return {
            "issues": self.issues,
            "links": dict(sorted(self.links.items())),
            "contents": self.contents,
        }


def snapshot(state: Mapping[str, Any]) -> Snapshot:
    """Normalise a sandbox state document (``GET /_sandbox/state``)."""
    seeded = {str(i["key"]) for i in state["seed"].get("issues", [])}
    issues = state["jira"]["issues"]
    by_id = {int(i["id"]): i for i in issues}
    names = _issue_names(issues, by_id, seeded)
    by_key = {i["key"]: names[int(i["id"])] for i in issues}

    def text(value: Any) -> Any:
        return _rekey(value, by_key)

    out = Snapshot()
    for issue in sorted(issues, key=lambda i: int(i["id"])):
        name = names[int(issue["id"])]
        parent = by_id.get(issue["parent"]) if issue.get("parent") is not None else None
        out.issues[name] = {
            "created_by_run": issue["key"] not in seeded,
            "type": issue["type"],
            "project": issue["project"],
            "status": issue["status"],
            "resolution": issue.get("resolution"),
            "summary": text(issue["summary"]),
            "description": text(issue.get("description")),
            "labels": sorted(issue.get("labels") or []),
            "components": sorted(issue.get("components") or []),
            "parent": names[int(parent["id"])] if parent is not None else None,
            "assignee": issue.get("assignee"),
            "reporter": issue.get("reporter"),
            "custom": text(issue.get("custom") or {}),
            "sprints": sorted(issue.get("sprints") or []),
            "properties": text(_strip_volatile(issue.get("properties") or {})),
            "comments": sorted(
                f"{c.get('author')}: {text(c.get('body'))}" for c in issue.get("comments") or []
            ),
            "worklogs": len(issue.get("worklogs") or []),
        }
    for link in state["jira"].get("links", []):
        source, target = by_id.get(link["source"]), by_id.get(link["target"])
        if source is not None and target is not None:
            out.links[f"{names[int(source['id'])]} {link['type']} {names[int(target['id'])]}"] += 1
    out.contents = _contents(state["confluence"], text)
    return out


def _issue_names(
    issues: list[dict[str, Any]], by_id: Mapping[int, dict[str, Any]], seeded: set[str]
) -> dict[int, str]:
    """Seeded issues by key; created ones by what they are, in creation order ``#2``, ``#3``."""
    names: dict[int, str] = {}

    def base(issue: dict[str, Any]) -> str:
        if issue["key"] in seeded:
            return str(issue["key"])
        parent = by_id.get(issue["parent"]) if issue.get("parent") is not None else None
        under = f" under {name(parent)}" if parent is not None else ""
        summary = _KEY.sub("<key>", str(issue["summary"]))
        return f"new {issue['type']} in {issue['project']}{under}: {summary}"

    taken: Counter[str] = Counter()

    def name(issue: dict[str, Any]) -> str:
        ident = int(issue["id"])
        if ident not in names:
            stem = base(issue)
            taken[stem] += 1
            names[ident] = stem if taken[stem] == 1 else f"{stem} #{taken[stem]}"
        return names[ident]

    for issue in sorted(issues, key=lambda i: int(i["id"])):
        name(issue)
    return names


def _rekey(value: Any, by_key: Mapping[str, str]) -> Any:
    """``value`` with every created issue's key replaced by its name (seeded keys stay)."""
    if isinstance(value, str):
        return _KEY.sub(lambda m: _swap(m.group(0), by_key), _SITE.sub("<site>", value))
    if isinstance(value, list):
        return [_rekey(v, by_key) for v in value]
    if isinstance(value, dict):
        return {_rekey(k, by_key): _rekey(v, by_key) for k, v in value.items()}
    return value


def _swap(key: str, by_key: Mapping[str, str]) -> str:
    name = by_key.get(key)
    return key if name is None or name == key else f"<{name}>"


# Entity property sections that record when or by which run something happened.
_VOLATILE_KEYS = frozenset({"at", "run", "checked_at", "updated_at", "created_at", "as_of"})


def _strip_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_volatile(v) for k, v in value.items() if k not in _VOLATILE_KEYS}
    if isinstance(value, list):
        return [_strip_volatile(v) for v in value]
    return value


def _contents(
    confluence: Mapping[str, Any], text: Callable[[Any], Any]
) -> dict[str, dict[str, Any]]:
    """Pages and attachments by path. A page may rightly get more versions in a faulty run (a
    run that stopped half-way published what it had done; the next one publishes the rest), so
    what counts is the latest body and that no version repeats the one before it."""
    contents = confluence.get("contents", [])
    by_id = {str(c["id"]): c for c in contents}

    def title(c: Mapping[str, Any]) -> str:
        return str(c["versions"][-1]["title"]) if c.get("versions") else str(c.get("id"))

    def path(c: Mapping[str, Any]) -> str:
        parent = by_id.get(str(c.get("parent_id")))
        prefix = path(parent) + " / " if parent is not None else ""
        return f"{prefix}{title(c)}"

    out: dict[str, dict[str, Any]] = {}
    seen: Counter[str] = Counter()
    for c in sorted(contents, key=lambda c: int(re.sub(r"\D", "", str(c["id"])) or 0)):
        stem = f"{c['type']} {c.get('space_key')}: {path(c)}"
        seen[stem] += 1
        name = stem if seen[stem] == 1 else f"{stem} #{seen[stem]}"
        digests = [_page_text(v.get("body"), text) for v in c.get("versions") or []]
        out[name] = {
            "status": c.get("status"),
            "labels": sorted("/".join(map(str, lb)) for lb in c.get("labels") or []),
            "body": digests[-1] if digests else None,
            "repeated_versions": sum(1 for a, b in itertools.pairwise(digests) if a == b),
        }
    return out


def _page_text(body: Any, text: Callable[[Any], Any]) -> str | None:
    """A digest of one version's body, as the state of Jira decides it: created issues by
    name, no macro ids (Confluence numbers them as it saves), no ports, no wall-clock times."""
    if body is None:
        return None
    raw = body if isinstance(body, str) else json.dumps(body, sort_keys=True)
    raw = _MACRO_ID.sub("", raw)
    raw = str(text(raw))
    for pattern in _PAGE_VOLATILE:
        raw = pattern.sub("<time>", raw)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


# -------------------------------------------------------------------------------------- diff


def diff(expected: Snapshot, actual: Snapshot) -> list[str]:
    """Every difference, one line each: lost, duplicated, or changed."""
    problems: list[str] = []
    for name in expected.issues:
        if name not in actual.issues:
            problems.append(f"lost: issue {name}")
    for name in actual.issues:
        if name not in expected.issues:
            kind = "duplicated" if re.search(r" #\d+$", name) else "unexpected"
            problems.append(f"{kind}: issue {name}")
    for name, want in expected.issues.items():
        got = actual.issues.get(name)
        if got is None:
            continue
        for key, value in want.items():
            if key == "comments":
                problems.extend(_multiset(f"{name}: comment", value, got[key]))
            elif got.get(key) != value:
                problems.append(f"{name}: {key}: expected {_short(value)}, got {_short(got[key])}")
    problems.extend(_multiset("link", list(expected.links.elements()), actual.links.elements()))
    for name, want in expected.contents.items():
        got = actual.contents.get(name)
        if got is None:
            problems.append(f"lost: {name}")
            continue
        for key, value in want.items():
            if got.get(key) != value:
                problems.append(f"{name}: {key}: expected {_short(value)}, got {_short(got[key])}")
    for name in actual.contents:
        if name not in expected.contents:
            kind = "duplicated" if re.search(r" #\d+$", name) else "unexpected"
            problems.append(f"{kind}: {name}")
    return problems


def _multiset(what: str, want: Any, got: Any) -> list[str]:
    expected, actual = Counter(want), Counter(got)
    out = []
    for item, n in (expected - actual).items():
        out.append(f"lost: {what} x{n}: {_short(item)}")
    for item, n in (actual - expected).items():
        kind = "duplicated" if item in expected else "unexpected"
        out.append(f"{kind}: {what} x{n}: {_short(item)}")
    return out


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def assert_same(expected: Snapshot, actual: Snapshot, context: str = "") -> None:
    problems = diff(expected, actual)
    if problems:
        head = f"{context}: " if context else ""
        shown = "\n  ".join(problems[:40])
        more = f"\n  ... and {len(problems) - 40} more" if len(problems) > 40 else ""
        raise AssertionError(
            f"{head}{len(problems)} differences from the fault-free run:\n  {shown}{more}"
        )
