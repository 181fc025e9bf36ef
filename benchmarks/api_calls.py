"""API calls of the full ``bridge sync --full`` pipeline against the lower bound Jira allows.

For each N (default 500, 10,000 and 100,000 issues of the demo seed's generated mix, with
histories: ``sandbox.generate.scaled_seed(N, seed=1, with_history=True)``) this starts a sandbox
in its own process, runs ``bridge sync --full --format json`` in another (tagging, review
enforcement on, cross-team epics enabled, ``sync.publish: changed`` so the sprint page is
published), reads the sandbox's ledger (``GET /_sandbox/ledger``) and prints:

* the calls by kind (method + route), reads and writes;
* LB(N), the least number of calls the same work can cost on Jira Cloud, line by line;
* the ratio calls / LB (target: at most 1.10);
* the per-issue write rate (Jira allows 20 writes per 2 s and 100 per 30 s on one issue) and
  any 429 answer;
* an unchanged second run (target: 0 writes).

How LB(N) is derived. The work is what the run did (from its report: actions by kind, how many
issues needed a history or comments read, how many sub-tasks the review rules found), and each
kind of work is priced at the best Jira's API offers:

* setup reads: ``serverInfo`` (the client tells Cloud from Data Center), ``myself`` (the
  time zone JQL dates are read in), ``field`` (field ids): 3.
* the scope search: ceil(N / 100). Enhanced search pages hold up to 5,000 issues only when
  asking for id/key alone; with the fields the rules read the cap is 100.
* groups: 1 bulk existence check + 1 ``group/member`` call per existing group the rules name.
* label histories (``changelog/bulkfetch``, 1,000 issues a call): ceil(H / 1000), H the issues
  whose label provenance or review history was needed.
* comments (``issue/bulkfetch`` with the ``comment`` field, 100 issues a call): ceil(C / 100).
* review sub-tasks: one search page per 100 found, at least one when there were candidates.
* transitions: one ``GET`` and one ``POST`` per issue moved (revert, reopen). Jira has a bulk
  transition endpoint, but a revert's target depends on where each request came from, and a
  per-issue ``POST`` is what the plan's journal and failure chain are built on: counted one
  per issue, as the brief asks.
* bulk create (sub-tasks, stories, epics): ceil(k / 50) per batch of creates.
* label edits (``bulk/issues/fields``, 1,000 issues a call, one label operation per call) and
  property writes (``issue/properties/multi``, 100 issues a call): one call per full batch,
  plus one poll of the asynchronous task each (its result is the only way to learn which
  issues failed).
* comments: one ``POST`` each (no bulk endpoint).
* epics: one round of reads (initiatives: ceil(I / 100) pages; the epics: 1; their children:
  ceil(c / 100)); epic edits one each; ``parent`` one edit per child: bulk edit's
  ``JiraIssueFields`` has no parent field, and bulk move sets a parent only for sub-task
  types (tests/contract/openapi/jira-platform-swagger-v3.v3.json), so there is no bulk way;
  links one each.
* the sprint page (``bridge publish``): what ``report.gather`` must read (board, sprints, the
  sprint's issues a page per 100, budget lines) and the Confluence writes it made; taken as
  measured, since its reads are a handful and its writes are already one per changed page or
  attachment.

Everything else (a second round of epic reads, a sub-task search per 200 requests because a
chunk is planned on its own, a partial bulk batch at a chunk's end) is excess, and shows as the
difference.

    python benchmarks/api_calls.py                   # N = 500, 10,000, 100,000
    python benchmarks/api_calls.py -n 500 -n 10000
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict, deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEARCH = "POST /rest/api/{ver}/search/jql"
ISSUE_PATH = re.compile(r"/rest/api/\d/issue/([A-Z][A-Z0-9_]*-\d+)(/|$)")


# ------------------------------------------------------------------------------ processes


def _serve(n: int) -> None:
    """Child mode: a sandbox seeded with the generated mix, serving until SIGTERM."""
    from bridgeplugin.sandbox.generate import scaled_seed
    from bridgeplugin.sandbox.server import serve_until_signalled, start

    sandbox = start(scaled_seed(n, seed=1, with_history=True))
    serve_until_signalled(sandbox, on_ready=lambda: print(sandbox.url, flush=True))


def start_sandbox(n: int) -> tuple[subprocess.Popen[str], str, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(n)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"the sandbox did not start: {url!r}")
    return proc, url, time.perf_counter() - t0


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=60)


def http(method: str, url: str) -> Any:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=600) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def rules_with_epics(tmp: Path) -> Path:
    """The shipped rules with the cross-team epics step switched on."""
    rules = tmp / "rules"
    shutil.copytree(ROOT / "rules", rules)
    epics = rules / "epics.yaml"
    text = epics.read_text(encoding="utf-8")
    epics.write_text(text.replace("enabled: false", "enabled: true", 1), encoding="utf-8")
    return rules


def environ(url: str, tmp: Path, rules: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(
        BRIDGE_JIRA_URL=url,
        BRIDGE_JIRA_EMAIL="admin@example.com",
        BRIDGE_JIRA_TOKEN="sandbox-token",
        BRIDGE_STATE=str(tmp / "state.db"),
        BRIDGE_RULES=str(rules),
        BRIDGE_GOVERNANCE__ENFORCE="true",
        BRIDGE_SYNC__PUBLISH="changed",
    )
    env.update(extra)
    return env


def run_sync(env: dict[str, str], cwd: Path) -> tuple[dict[str, Any], int, float, int]:
    """``bridge sync --full --format json`` in its own process: (report, exit code, wall
    seconds, peak RSS in KiB of that process alone)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridgeplugin", "sync", "--full", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        text=True,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    doc = json.loads(out) if out.strip() else {}
    return doc, proc.returncode, wall, usage.ru_maxrss


# ------------------------------------------------------------------------------ figures


def calls_by_kind(calls: list[dict[str, Any]]) -> Counter[tuple[str, bool]]:
    return Counter((f"{c['method']} {c['route'] or c['path']}", is_write(c)) for c in calls)


def is_write(call: dict[str, Any]) -> bool:
    from bridgeplugin.sandbox.ledger import Call

    return Call(call["method"], call["path"], call["status"], call["points"]).is_write


def write_rates(calls: list[dict[str, Any]]) -> tuple[int, int, str]:
    """The most writes one issue got in any 2 s and any 30 s window (calls whose path names
    the issue; a bulk call counts once per issue in Jira, and is a single call here)."""
    times: dict[str, list[float]] = defaultdict(list)
    for c in calls:
        if not is_write(c):
            continue
        m = ISSUE_PATH.match(c["path"])
        if m:
            times[m.group(1)].append(float(c.get("at") or 0.0))
    worst2, worst30, who = 0, 0, "-"
    for key, ts in times.items():
        for window, best in ((2.0, 0), (30.0, 0)):
            q: deque[float] = deque()
            for t in sorted(ts):
                q.append(t)
                while q and q[0] <= t - window:
                    q.popleft()
                best = max(best, len(q))
            if window == 2.0 and best > worst2:
                worst2, who = best, key
            elif window == 30.0:
                worst30 = max(worst30, best)
    return worst2, worst30, who


def lower_bound(
    doc: dict[str, Any], n: int, calls: Counter[tuple[str, bool]], site: dict[str, int]
) -> dict[str, int]:
    counts = doc.get("counts") or {}
    done: dict[str, int] = counts.get("done") or {}
    detail: dict[str, int] = counts.get("detail") or {}
    gov: dict[str, int] = counts.get("governance") or {}
    epics = doc.get("epics") or {}
    epic_done = Counter(a["kind"] for a in epics.get("actions", []) if a.get("result") == "ok")

    def measured(*routes: str) -> int:
        return sum(v for (r, _), v in calls.items() if any(r.startswith(x) for x in routes))

    groups = 1 + named_groups(budgets=bool(doc.get("published")))
    moves = done.get("revert", 0) + done.get("reopen_review", 0)
    label_ops = [v for k, v in detail.items() if k.startswith(("add_label ", "remove_label "))]
    # Epic labels (if any) are edits of their own; the epics' records are property writes.
    epic_props = epic_done.get("set_property", 0)
    bound = {
        "read  setup: serverInfo, myself, field": 3,
        "read  scope search, 100 issues a page": math.ceil(n / 100),
        "read  groups: 1 existence check + 1 per existing group named": groups,
        "read  label/review histories, 1,000 issues a call": math.ceil(
            (detail.get("changelog_issues", 0) + gov.get("logs", 0)) / 1000
        ),
        "read  comments, 100 issues a call": math.ceil(
            (detail.get("comment_issues", 0) + gov.get("comment_reads", 0)) / 100
        ),
        "read  review sub-tasks, 100 a page": (
            max(1, math.ceil(gov.get("sub_tasks", 0) / 100)) if gov.get("candidates") else 0
        ),
        "read  transitions, 1 per issue moved": moves,
        "write transitions, 1 per issue moved": moves,
        "write bulk create sub-tasks, 50 a call": math.ceil(done.get("create_review", 0) / 50),
        "write comments, 1 each": done.get("add_comment", 0) + done.get("review_comment", 0),
        "write bulk label edits, 1,000 a call (+1 task poll)": 2
        * sum(math.ceil(v / 1000) for v in label_ops),
        "write bulk properties, 100 a call (+1 task poll)": 2
        * math.ceil(detail.get("property_issues", 0) / 100),
    }
    if epics:
        bound.update(
            {
                "read  epics: initiatives 100 a page, epics 1, children 1 (one round)": (
                    math.ceil(site.get("initiative_issues", 0) / 100) + 2
                ),
                "write epics: bulk create, 50 a call": math.ceil(
                    epic_done.get("create_epic", 0) / 50
                )
                + math.ceil(epic_done.get("create_stories", 0) / 50),
                "write epics: edits, 1 each": epic_done.get("edit_epic", 0),
                "write epics: parent, 1 per child (no bulk parent edit)": epic_done.get(
                    "set_parent", 0
                ),
                "write epics: links, 1 each": epic_done.get("link_epic", 0),
                "write epics: records, 100 a call (+1 task poll)": 2 * math.ceil(epic_props / 100),
            }
        )
    if doc.get("published"):
        bound["read+write sprint page, Jira agile and Confluence (as measured)"] = measured(
            "GET /wiki", "POST /wiki", "PUT /wiki", "DELETE /wiki", "GET /rest/agile"
        )
    return bound


def named_groups(*, budgets: bool) -> int:
    """Groups the site has that the tagging rules, the review policy or the budgets' rate card
    name (the demo seed's groups): each one ``group/member`` read."""
    from bridgeplugin.budget import load_budgets
    from bridgeplugin.governance import categories_of, load_policy
    from bridgeplugin.sandbox.seed import load_seed
    from bridgeplugin.tagging import Tagger

    tagger = Tagger.load(ROOT / "rules")
    policy = load_policy(ROOT / "rules", categories=categories_of(tagger.rules))
    book = load_budgets(ROOT / "rules" / "budgets.yaml")
    named = tagger.groups() | (policy.groups() if policy else set())
    if budgets:  # the sprint page's rate card
        named |= {g for t in book.teams for g in t.groups}
    return len(named & {g.name for g in load_seed("demo").groups})


def site_counts(url: str) -> dict[str, int]:
    """What the site holds that the lower bound depends on, counted after the ledger was read."""
    jql = 'project in (MKT, IT) AND "Initiative" is not EMPTY'
    body = json.dumps({"jql": jql}).encode()
    req = urllib.request.Request(
        f"{url}/rest/api/3/search/approximate-count", data=body, method="POST"
    )
    req.add_header("Content-Type", "application/json")
    token = base64.b64encode(b"admin@example.com:sandbox-token").decode()
    req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=600) as resp:
        return {"initiative_issues": int(json.loads(resp.read())["count"])}


def report(label: str, calls: list[dict[str, Any]]) -> Counter[tuple[str, bool]]:
    kinds = calls_by_kind(calls)
    reads = sum(v for (_, w), v in kinds.items() if not w)
    writes = sum(v for (_, w), v in kinds.items() if w)
    print(f"{label}: {reads + writes} calls ({reads} reads, {writes} writes)")
    for (route, write), v in sorted(kinds.items(), key=lambda kv: (not kv[0][1], -kv[1])):
        print(f"  {'write' if write else 'read '} {v:>7}  {route}")
    return kinds


def one(n: int, *, publish: bool = True) -> None:
    load = os.getloadavg()
    print(f"=== N = {n:,} issues (load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}) ===")
    proc, url, took = start_sandbox(n)
    try:
        print(f"sandbox seeded and serving in {took:.1f} s (pid {proc.pid}) at {url}")
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            extra = {} if publish else {"BRIDGE_SYNC__PUBLISH": "never"}
            env = environ(url, tmp, rules_with_epics(tmp), **extra)
            http("DELETE", f"{url}/_sandbox/ledger")
            doc, code, wall, rss = run_sync(env, tmp)
            calls = http("GET", f"{url}/_sandbox/ledger")["calls"]
            counts = doc.get("counts") or {}
            epics = doc.get("epics") or {}
            print(
                f"first sync: exit {code}, {wall:.1f} s, peak RSS {rss / 1024:.0f} MiB, "
                f"{doc.get('issues_seen')} issues in {doc.get('chunks')} chunks, "
                f"{doc.get('tagged')} tagged; epics {len(epics.get('epics', {}))} "
                f"in {epics.get('rounds')} rounds; published {len(doc.get('published') or [])}"
            )
            print(
                "  actions done: "
                + ", ".join(f"{k} {v}" for k, v in counts.get("done", {}).items())
            )
            print(
                "  governance:   "
                + ", ".join(f"{k} {v}" for k, v in counts.get("governance", {}).items())
            )
            if doc.get("error"):
                print(f"  ERROR: {doc['error']}")
            kinds = report("first sync calls", calls)
            searches = kinds.get((SEARCH, False), 0)
            bound = lower_bound(doc, n, kinds, site_counts(url))
            total_lb = sum(bound.values())
            print(f"LB({n}) = {total_lb} calls:")
            for what, v in bound.items():
                print(f"  {v:>7}  {what}")
            ratio = len(calls) / total_lb if total_lb else float("nan")
            verdict = "meets" if ratio <= 1.10 else "MISSES"
            print(
                f"calls / LB = {len(calls)} / {total_lb} = {ratio:.3f} ({verdict} the 1.10 target)"
            )
            print(f"  searches: {searches}")
            w2, w30, who = write_rates(calls)
            limited = Counter(
                f"{c['method']} {c['route'] or c['path']}" for c in calls if c["status"] == 429
            )
            print(
                f"per-issue writes: at most {w2} in any 2 s (limit 20; {who}), {w30} in any 30 s "
                f"(limit 100); 429 answers: {sum(limited.values())} {dict(limited)}"
            )

            http("DELETE", f"{url}/_sandbox/ledger")
            doc2, code2, wall2, rss2 = run_sync(env, tmp)
            calls2 = http("GET", f"{url}/_sandbox/ledger")["calls"]
            print(
                f"unchanged second sync: exit {code2}, {wall2:.1f} s, peak RSS {rss2 / 1024:.0f} "
                f"MiB, {len(doc2.get('actions', []))} actions"
            )
            kinds2 = report("second sync calls", calls2)
            writes2 = sum(v for (_, w), v in kinds2.items() if w)
            print(f"second sync writes: {writes2} (target 0)")
    finally:
        stop(proc)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, action="append", help="issues (repeatable)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-publish", action="store_true", help="sync.publish: never (no sprint page)"
    )
    args = parser.parse_args()
    if args.serve is not None:
        _serve(args.serve)
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; pid {os.getpid()}")
    for n in args.n or [500, 10_000, 100_000]:
        one(n, publish=not args.no_publish)


if __name__ == "__main__":
    main()
