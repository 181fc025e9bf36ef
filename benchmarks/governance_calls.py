"""API calls of ``bridge sync`` with review enforcement, for the demo seed scaled to N issues.

The sandbox runs in this process over real HTTP; its ledger counts every call. Prints the calls
of a full first sync split by kind, the lower bound for the work it did (bulk endpoints at
their limits, one call per write Jira has no bulk endpoint for), and the calls of an unchanged
second sync (target: 0 writes).

The generated requests have histories but no review sub-tasks, so every approved request the
review rules apply to is reverted, and every open one gets its two review sub-tasks.

    python benchmarks/governance_calls.py          # N = 1,000
    python benchmarks/governance_calls.py -n 200
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

from bridgeplugin.config import Config, load_config
from bridgeplugin.enforce import Governance, governance_from_config
from bridgeplugin.render import Renderer
from bridgeplugin.sandbox.generate import scaled_seed
from bridgeplugin.sandbox.server import RunningSandbox, start
from bridgeplugin.site import open_site
from bridgeplugin.state import open_store
from bridgeplugin.sync import SyncOptions, SyncReport, run_sync
from bridgeplugin.tagging import Tagger

ROOT = Path(__file__).resolve().parents[1]
Calls = Counter[tuple[str, bool]]


def _config(url: str, state: Path) -> Config:
    environ = {
        "BRIDGE_JIRA_URL": url,
        "BRIDGE_JIRA_EMAIL": "admin@example.com",
        "BRIDGE_JIRA_TOKEN": "sandbox-token",
        "BRIDGE_STATE": str(state),
        "BRIDGE_RULES": str(ROOT / "rules"),
        "BRIDGE_GOVERNANCE__ENFORCE": "true",
    }
    return load_config(None, environ=environ)


def _sync(config: Config, tagger: Tagger, governance: Governance) -> SyncReport:
    """What ``sync_from_config`` does, holding on to the governance step to read its result."""
    store = open_store(config.state)
    try:
        with open_site(config) as site:
            return run_sync(
                site.jira,
                tagger,
                store=store,
                site_url=str(config.jira_url),
                projects=(config.projects.marketing, config.projects.it),
                label=config.tagging.label,
                renderer=Renderer(config.templates),
                options=SyncOptions(full=True),
                governance=governance,
            )
    finally:
        store.close()


def _calls(sandbox: RunningSandbox) -> Calls:
    return Counter((f"{c.method} {c.route}", c.is_write) for c in sandbox.app.ledger.calls())


def _print(title: str, calls: Calls) -> None:
    reads = sum(n for (_, w), n in calls.items() if not w)
    writes = sum(n for (_, w), n in calls.items() if w)
    print(f"{title}: {reads + writes} calls ({reads} reads, {writes} writes)")
    for (route, write), n in sorted(calls.items(), key=lambda kv: (not kv[0][1], -kv[1])):
        print(f"  {'write' if write else 'read '} {n:>5}  {route}")


def _lower_bound(report: SyncReport, governance: Governance, n: int, groups: int) -> dict[str, int]:
    """The least this run's work costs, by kind of call."""
    result = governance.last
    planned = Counter(a.kind for a in report.plan.actions)
    done = Counter(o.action.kind for o in report.outcomes if o.ok)
    moves = done["revert"] + done["reopen_review"]
    labels = {getattr(a, "label", "") for a in report.plan.actions if a.kind == "add_label"}
    with_property = {a.key for a in report.plan.actions if a.kind == "set_property"}
    return {
        "read: myself": 1,
        "read: scope search, 100 issues a page": math.ceil(n / 100),
        "read: groups, 1 existence check + 1 per existing group (union)": groups,
        "read: review sub-tasks search, 100 a page": max(1, math.ceil(result.sub_tasks / 100)),
        "read: changelogs, 1,000 issues a call": math.ceil(result.logs / 1000),
        "read: comments, 100 issues a call": math.ceil(result.comment_reads / 100),
        "read: transitions, 1 per issue moved": moves,
        "write: bulk create, 50 sub-tasks a call": math.ceil(done["create_review"] / 50),
        "write: transitions, 1 per issue moved": moves,
        "write: comments, no bulk endpoint": planned["add_comment"] + planned["review_comment"],
        "write: bulk label edits, 1 per label": len(labels),
        "write: bulk property writes, 100 issues a call": math.ceil(len(with_property) / 100),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="issues in the scaled demo seed")
    args = parser.parse_args()

    sandbox = start(scaled_seed(args.n, seed=1, with_history=True))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = _config(sandbox.url, Path(tmp) / "state.db")
            tagger = Tagger.load(config.rules)
            governance = governance_from_config(config, tagger)
            assert governance is not None
            # One directory for tagging and reviews: 1 existence check + 1 per existing group.
            existing = sandbox.app.site.jira.accounts.groups
            named = governance.policy.groups() | tagger.groups()
            groups = 1 + sum(1 for g in named if g in existing)

            t0 = time.perf_counter()
            first = _sync(config, tagger, governance)
            took = time.perf_counter() - t0
            result = governance.last
            done = Counter(o.action.kind for o in first.outcomes if o.ok)
            failed = [o for o in first.outcomes if not o.ok]
            print(
                f"demo seed scaled to {args.n} issues: {len(first.plan.tagged)} tagged, "
                f"{result.candidates} requests the review rules apply to, "
                f"{len(result.violations)} approved without their reviews "
                f"({len(result.blocked)} labelled instead of reverted)"
            )
            print(
                f"first sync ({took:.1f} s): "
                + ", ".join(f"{k} {v}" for k, v in sorted(done.items()))
                + (f"; {len(failed)} failed" if failed else "")
            )
            _print("first sync calls", _calls(sandbox))
            bound = _lower_bound(first, governance, args.n, groups)
            print(f"lower bound for that work: {sum(bound.values())} calls")
            for what, n in bound.items():
                print(f"  {n:>5}  {what}")

            sandbox.app.ledger.clear()
            t0 = time.perf_counter()
            second = _sync(config, tagger, governance)
            took = time.perf_counter() - t0
            title = f"unchanged second sync ({took:.1f} s, {len(second.actions())} actions)"
            _print(title, _calls(sandbox))
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
