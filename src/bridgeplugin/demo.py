"""``bridge demo``: start the sandbox with the demo seed, run the plugin against it, summarise.

The demo talks to the sandbox exactly as it would to a real site: over HTTP, through the same
gateways and config as every other command. Only the site is local.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from .config import Config, GovernanceSettings, shipped_dir
from .model import Issue, Sprint
from .sandbox.server import RunningSandbox, start
from .site import Site, open_site
from .sync import SyncOptions, SyncReport, sync_from_config

__all__ = ["DEMO_ACCOUNT", "DemoResult", "demo_config", "run_demo"]

# The demo acts as the site admin, who is in none of the business groups (INTERFACES.md).
DEMO_ACCOUNT = "admin@example.com"
DEMO_TOKEN = "sandbox-token"

# What the demo reads of each issue: what tagging, governance and the sprint page look at.
READ_FIELDS = (
    "summary",
    "status",
    "issuetype",
    "project",
    "reporter",
    "labels",
    "parent",
    "updated",
)


@dataclass
class DemoResult:
    url: str
    deployment: str
    issues_by_project: dict[str, int] = field(default_factory=dict)
    issues_by_status: dict[str, int] = field(default_factory=dict)
    initiatives: dict[str, dict[str, int]] = field(default_factory=dict)
    board: str | None = None
    sprints: list[Sprint] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    sync: dict[str, Any] = field(default_factory=dict)
    tagged: list[dict[str, Any]] = field(default_factory=list)
    second_sync_writes: int | None = None
    page: dict[str, Any] = field(default_factory=dict)
    governance: dict[str, Any] = field(default_factory=dict)
    epics: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    writes: int = 0
    points: int = 0
    calls_by_route: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "deployment": self.deployment,
            "issues_by_project": self.issues_by_project,
            "issues_by_status": self.issues_by_status,
            "initiatives": self.initiatives,
            "board": self.board,
            "sprints": [{"id": s.id, "name": s.name, "state": s.state} for s in self.sprints],
            "pages": self.pages,
            "sync": self.sync,
            "tagged": self.tagged,
            "second_sync_writes": self.second_sync_writes,
            "page": self.page,
            "governance": self.governance,
            "epics": self.epics,
            "calls": self.calls,
            "writes": self.writes,
            "points": self.points,
            "calls_by_route": self.calls_by_route,
        }


def demo_config(url: str, workdir: Path) -> Config:
    """The config a user would write for the sandbox, built in memory: everything switched
    on, as an admin would after reading the rules (review enforcement and epics ship off)."""
    rules = workdir / "rules"
    shutil.copytree(shipped_dir("rules"), rules)
    epics = rules / "epics.yaml"
    epics.write_text(
        re.sub(r"(?m)^enabled: false", "enabled: true", epics.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    return Config(
        jira_url=url,
        confluence_url=f"{url}/wiki",
        jira_email=DEMO_ACCOUNT,
        jira_token=SecretStr(DEMO_TOKEN),
        state=workdir / "state.db",
        rules=rules,
        governance=GovernanceSettings(enforce=True),
    )


def _read_site(site: Site, config: Config, result: DemoResult, say: Callable[[str], None]) -> None:
    jira, confluence = site.jira, site.confluence
    info = jira.server_info()
    result.deployment = info.deployment_type
    projects = [config.projects.marketing, config.projects.it]
    jql = f"project in ({', '.join(projects)}) ORDER BY key ASC"
    initiative = config.custom_fields.initiative
    by_project: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    initiatives: dict[str, Counter[str]] = {}
    issue: Issue
    for issue in jira.search(jql, fields=[*READ_FIELDS, initiative]):
        by_project[issue.project or "?"] += 1
        by_status[issue.status or "?"] += 1
        name = issue.custom.get(initiative)
        if name:
            initiatives.setdefault(str(name), Counter())[issue.project or "?"] += 1
    result.issues_by_project = dict(sorted(by_project.items()))
    result.issues_by_status = dict(by_status.most_common())
    result.initiatives = {k: dict(v) for k, v in sorted(initiatives.items())}
    total = sum(by_project.values())
    say(
        f"Read {total} issues from {', '.join(projects)} "
        f"({', '.join(f'{k} {v}' for k, v in result.issues_by_project.items())})"
    )
    say("  by status: " + ", ".join(f"{k} {v}" for k, v in result.issues_by_status.items()))
    for name, counts in result.initiatives.items():
        teams = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        shared = " (shared by marketing and IT)" if len(counts) > 1 else ""
        say(f"  initiative {name!r}: {teams}{shared}")

    boards = [b for b in jira.boards(config.projects.it) if b.type == "scrum"]
    if boards:
        board = boards[0]
        result.board = board.name
        result.sprints = jira.sprints(board.id, states=("closed", "active", "future"))
        states = Counter(s.state for s in result.sprints)
        active = next((s for s in result.sprints if s.state == "active"), None)
        line = f"Board {board.name!r}: {len(result.sprints)} sprints ("
        line += ", ".join(f"{n} {state}" for state, n in sorted(states.items())) + ")"
        if active is not None:
            ends = f", ends {active.end_date:%Y-%m-%d}" if active.end_date else ""
            line += f"; active: {active.name!r}{ends}"
        say(line)

    space = confluence.space(config.confluence_space)
    parent = confluence.find_page(config.confluence_space, config.report_parent)
    if parent is not None:
        result.pages = [parent.title, *(p.title for p in confluence.children(parent.id))]
        say(
            f"Confluence space {space.key} ({space.name}): report parent page "
            f"{parent.title!r} with {len(result.pages) - 1} sprint page(s) under it"
        )


class _Notes(logging.Handler):
    """Collects the sync's warnings (names the rules use that the site lacks) to show once."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: dict[str, None] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.messages[record.getMessage()] = None


def _tag(site: Site, config: Config, result: DemoResult, say: Callable[[str], None]) -> None:
    """Run a full sync, read the outcome back from Jira, then show that a rerun writes nothing."""
    logger = logging.getLogger("bridgeplugin.sync")
    notes = _Notes()
    logger.addHandler(notes)
    propagate, logger.propagate = logger.propagate, False
    try:
        _sync_twice(site, config, result, say)
    finally:
        logger.removeHandler(notes)
        logger.propagate = propagate
    for message in notes.messages:
        say(f"note: {message}")
    if notes.messages:
        say("note: the shipped rules name the groups of a larger company; adapt rules/ to yours")


def _sync_twice(site: Site, config: Config, result: DemoResult, say: Callable[[str], None]) -> None:
    first: SyncReport = sync_from_config(config, site, SyncOptions(full=True))
    if first.error is not None:
        raise first.error
    result.sync = first.to_json()
    label = config.tagging.label
    say(
        f"Sync: {first.issues_seen} issues evaluated, {len(first.plan.tagged)} tagged as "
        f"marketing technology requests ({len(first.plan.held)} undecided, left alone); "
        f"{first.writes} writes"
    )
    tagged = site.jira.search(
        f'labels = "{label}" ORDER BY key ASC', fields=["summary"], properties=["bridge"]
    )
    for issue in tagged:
        record = (issue.properties.get("bridge") or {}).get("tagging") or {}
        reasons = record.get("reasons") or []
        row = {
            "key": issue.key,
            "summary": issue.summary,
            "category": record.get("category"),
            "reasons": reasons,
        }
        result.tagged.append(row)
        say(f"  {issue.key:<7} {row['category']!s:<14} {issue.summary}")
        for why in reasons[:2]:  # who asked, then what is asked
            say(f"          why: {why}")
    say(
        f"  (label {label!r}; verdict and reasons in each issue's 'bridge' property; "
        "one comment per issue saying why)"
    )
    _governance_and_epics(first, result, say)
    second = sync_from_config(config, site, SyncOptions(full=True))
    result.second_sync_writes = second.writes
    say(f"Second sync: {second.writes} writes (nothing changed, nothing rewritten)")


def _governance_and_epics(
    report: SyncReport, result: DemoResult, say: Callable[[str], None]
) -> None:
    kinds = Counter(o.action.kind for o in report.outcomes if o.ok)
    reverted = sorted({o.action.key for o in report.outcomes if o.ok and o.action.kind == "revert"})
    result.governance = {"actions": dict(kinds), "reverted": reverted}
    say(
        f"Governance: {kinds.get('create_review', 0)} review sub-tasks created; "
        f"{len(reverted)} approvals made without their reviews reverted "
        f"({', '.join(reverted) or 'none'}), each with a comment saying what is missing"
    )
    epics = report.epics
    if epics is not None:
        result.epics = dict(epics.epics)
        created = Counter(o.action.kind for o in epics.outcomes if o.ok)
        say(
            f"Epics: {len(epics.epics)} cross-team epics for {epics.initiatives} shared "
            f"initiatives ({', '.join(f'{k} {v}' for k, v in sorted(created.items()))})"
        )


def _publish(
    site: Site, config: Config, result: DemoResult, say: Callable[[str], None], preview: Path
) -> None:
    """Publish the active sprint's page, then again to show that unchanged means unwritten."""
    from .report.run import publish_from_config  # matplotlib only loads when a page is made

    now = datetime.now(UTC)
    first = publish_from_config(config, site, sprint="active", as_of=now, output=preview)
    total = first.data.report.total
    say(
        f"Published {first.title!r} in Confluence space {config.confluence_space}: "
        f"joint budget {total.status.label.lower()}, burn-up chart attached"
    )
    if first.published.url:
        say(f"  {first.published.url}")
    again = publish_from_config(config, site, sprint="active", as_of=now)
    rewritten = [a for a in again.published.actions if "unchanged" not in a]
    outcome = "; ".join(rewritten) if rewritten else "nothing changed, no new version"
    say(f"Published again: {outcome}")
    result.page = {
        "title": first.title,
        "url": first.published.url,
        "status": total.status.label,
        "republish_actions": again.published.actions,
    }


def _ledger_summary(sandbox: RunningSandbox, result: DemoResult) -> None:
    calls = sandbox.app.ledger.calls()
    result.calls = len(calls)
    result.writes = sum(1 for c in calls if c.is_write)
    result.points = sum(c.points for c in calls)
    result.calls_by_route = dict(Counter(f"{c.method} {c.route}" for c in calls).most_common())


def run_demo(
    *,
    seed: str = "demo",
    say: Callable[[str], None] = print,
    keep: Callable[[RunningSandbox], None] | None = None,
) -> DemoResult:
    """Run the demo; ``keep`` (if given) is called with the live sandbox before it stops."""
    sandbox = start(seed)
    try:
        with tempfile.TemporaryDirectory(prefix="bridge-demo-") as tmp:
            config = demo_config(sandbox.url, Path(tmp))
            result = DemoResult(url=sandbox.url, deployment="")
            say(
                f"Sandbox Atlassian site ({seed} seed) at {sandbox.url}, "
                f"Confluence at {sandbox.wiki_url}"
            )
            with open_site(config) as site:
                _read_site(site, config, result, say)
                _tag(site, config, result, say)
                _publish(site, config, result, say, Path(tmp) / "sprint-page.html")
            _ledger_summary(sandbox, result)
            say(
                f"API calls: {result.calls} ({result.calls - result.writes} reads, "
                f"{result.writes} writes), {result.points} rate-limit points"
            )
            if keep is not None:
                keep(sandbox)
            return result
    finally:
        sandbox.stop()
