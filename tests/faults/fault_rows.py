"""The rows of the fault matrix: one function per fault, run for one seed, returning what it saw.

Each row resets the site, arms the sandbox's fault schedule (``PUT /_sandbox/faults``), runs the
pipeline the way cron would (again after a failure, at most a few times), then checks:

* the fault fired (``GET /_sandbox/faults``), else the row proves nothing;
* what the row promises about the faulty run itself (exit code, one clear error line, no
  calls after a 401, ...);
* a last run without faults writes nothing (the runs converged);
* the final state equals the fault-free run's (``harness.diff``): nothing lost, nothing
  duplicated.

Rows return their problems instead of raising, so the benchmark can count passes per row; the
tests assert that there are none. The seed varies what fails and when.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridgeplugin.sandbox.ledger import Call
from bridgeplugin.sandbox.routing import Request, Response

from .harness import Pipeline, Run, Snapshot, diff

ALL = r"^/(rest|wiki)/"  # every Jira and Confluence call, no control calls
WRITE_METHODS = ("POST", "PUT", "DELETE")


@dataclass
class Context:
    pipeline: Pipeline
    baseline: Snapshot
    baseline_calls: int  # calls of the fault-free run: where a crash at call k can land


@dataclass
class Outcome:
    row: str
    seed: int
    runs: list[Run] = field(default_factory=list)
    fired: int = 0
    problems: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        lines = [f"row {self.row} seed {self.seed}: fired {self.fired}, runs {len(self.runs)}"]
        lines += [f"  notes: {self.notes}"] if self.notes else []
        lines += [f"  problem: {p}" for p in self.problems[:12]]
        if len(self.problems) > 12:
            lines.append(f"  ... and {len(self.problems) - 12} more problems")
        for n, run in enumerate(self.runs, 1):
            lines.append(f"  run {n}: exit {run.code}; {' | '.join(run.error_lines)[:400]}")
        if self.problems and self.runs:
            lines.append(f"  last run stdout:\n{self.runs[-1].out[-1500:]}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------- checks


def converge(ctx: Context, out: Outcome, max_runs: int = 3, **extra: str) -> bool:
    """Run the pipeline until a run exits 0 without being turned away by the lease."""
    for _ in range(max_runs):
        run = ctx.pipeline.sync(**extra)
        out.runs.append(run)
        if run.code == 0 and "holds the lease" not in run.out:
            return True
    out.problems.append(f"no clean run in {max_runs} runs")
    return False


def finish(ctx: Context, out: Outcome, *, keep_faults: bool = False) -> Outcome:
    """Record how often the fault fired, check that a further run writes nothing, and compare
    the final state with the fault-free run's."""
    p = ctx.pipeline
    out.fired = max(out.fired, sum(p.fired()))
    if out.fired == 0 and not out.notes.get("fires_elsewhere"):
        out.problems.append("the fault never fired: this row proved nothing")
    if not keep_faults:
        p.clear_faults()
    p.clear_ledger()
    check = p.sync()
    writes = [c for c in _calls(p) if c.is_write]
    if check.code != 0:
        out.problems.append(f"the check run after convergence failed: exit {check.code}")
        out.runs.append(check)
    elif writes:
        shown = ", ".join(sorted({f"{c.method} {c.route or c.path}" for c in writes}))
        out.problems.append(f"not converged: a further run wrote {len(writes)} times ({shown})")
        out.runs.append(check)
    out.problems.extend(diff(ctx.baseline, p.snapshot()))
    return out


def _calls(p: Pipeline) -> list[Call]:
    return [Call(**c) for c in p.ledger()]


def one_clear_line(out: Outcome, run: Run, *, code: int, words: tuple[str, ...]) -> None:
    if run.code != code:
        out.problems.append(f"expected exit {code}, got {run.code}")
    errors = run.error_lines
    if len(errors) != 1:
        out.problems.append(f"expected one error line on stderr, got {len(errors)}: {errors}")
    elif not all(w.lower() in errors[0].lower() for w in words):
        out.problems.append(f"the error line lacks {words}: {errors[0]}")
    if "Traceback" in run.err:
        out.problems.append("a traceback on stderr")


def calls_after_first(p: Pipeline, status: int) -> int | None:
    calls = _calls(p)
    first = next((n for n, c in enumerate(calls) if c.status == status), None)
    return None if first is None else len(calls) - first - 1


# ------------------------------------------------------------------------------ 1. 429


def rate_burst(ctx: Context, seed: int) -> Outcome:
    """Bursts of 429 with Retry-After on any call: retried after the wait, nothing lost."""
    out = Outcome("429-burst", seed)
    rng = random.Random(seed)
    ctx.pipeline.faults(
        {
            "path": ALL,
            "status": 429,
            "retry_after": 1,
            "reason": "jira-burst-based",
            "probability": 0.15,
            "skip": rng.randrange(40),
            "times": 1 + seed % 3,
        },
        seed=seed,
    )
    converge(ctx, out)
    _first_run_ok(out)
    return finish(ctx, out)


def rate_per_issue(ctx: Context, seed: int) -> Outcome:
    """429 jira-per-issue-on-write on writes to single issues."""
    out = Outcome("429-per-issue", seed)
    ctx.pipeline.faults(
        {
            "method": random.Random(seed).choice(["PUT", "POST"]),
            "path": r"/rest/api/[23]/issue/[A-Z]+-\d+",
            "status": 429,
            "retry_after": 1,
            "reason": "jira-per-issue-on-write",
            "probability": 0.3,
            "times": 1 + seed % 3,
        },
        seed=seed,
    )
    converge(ctx, out)
    _first_run_ok(out)
    return finish(ctx, out)


def rate_quota(ctx: Context, seed: int) -> Outcome:
    """The hourly quota runs out mid-run (Retry-After 3600 > retry.max_wait): the run stops at
    once with one line and exit 3; once the quota is back the next run completes the work."""
    out = Outcome("429-quota", seed)
    p = ctx.pipeline
    skip = 1 + random.Random(seed).randrange(max(1, ctx.baseline_calls - 10))
    p.faults(
        {
            "path": ALL,
            "status": 429,
            "retry_after": 3600,
            "reason": "jira-quota-tenant-based",
            "skip": skip,
        },
        seed=seed,
    )
    first = p.sync()
    out.runs.append(first)
    out.notes["quota_at_call"] = skip + 1
    one_clear_line(out, first, code=3, words=("rate-limited", "3600"))
    after = calls_after_first(p, 429)
    out.notes["calls_after_429"] = after
    if after:
        out.problems.append(f"{after} calls after the quota ran out (expected none)")
    out.fired = sum(p.fired())
    p.clear_faults()  # an hour later
    converge(ctx, out)
    return finish(ctx, out)


def rate_no_header(ctx: Context, seed: int) -> Outcome:
    """429 without Retry-After: exponential backoff with jitter, then success."""
    out = Outcome("429-no-retry-after", seed)
    ctx.pipeline.faults(
        {"path": ALL, "status": 429, "probability": 0.1, "skip": seed % 30, "times": 2},
        seed=seed,
    )
    converge(ctx, out)
    _first_run_ok(out)
    return finish(ctx, out)


def _first_run_ok(out: Outcome) -> None:
    # A 429 proves the call was not applied, so every call is retried, creates included.
    if out.runs and out.runs[0].code != 0:
        out.problems.append(
            f"a 429 the retries should absorb failed the run: {out.runs[0].error_lines}"
        )


# ------------------------------------------------------------------------- 2. 5xx, timeouts


def server_errors(ctx: Context, seed: int) -> Outcome:
    """5xx on reads or writes, before or after the server applied the call."""
    rng = random.Random(seed)
    status = rng.choice([500, 502, 503, 504])
    method = rng.choice(["GET", "POST", "PUT"])
    timing = rng.choice(["before", "after"])
    out = Outcome("5xx", seed, notes={"status": status, "method": method, "timing": timing})
    ctx.pipeline.faults(
        {
            "method": method,
            "path": ALL,
            "status": status,
            "timing": timing,
            "probability": 0.2,
            "skip": rng.randrange(10),
            "times": 1 + seed % 3,
        },
        seed=seed,
    )
    # A 500 is not retried: each one can stop a run, so as many runs as fires, plus one.
    converge(ctx, out, max_runs=4)
    return finish(ctx, out)


def timeouts(ctx: Context, seed: int) -> Outcome:
    """A call that does not answer within the read timeout (applied late), or a dropped
    connection (before or after applying), on reads and writes."""
    rng = random.Random(seed)
    method = rng.choice(["GET", "POST", "PUT"])
    slow = rng.random() < 0.5
    fault: dict[str, Any] = {"method": method, "path": ALL, "skip": rng.randrange(15), "times": 1}
    if slow:
        fault["latency_ms"] = 4500  # the pipeline's read timeout is 4 s
    else:
        fault.update(drop=True, timing=rng.choice(["before", "after"]))
    out = Outcome("timeout-drop", seed, notes={k: v for k, v in fault.items() if k != "path"})
    ctx.pipeline.faults(fault, seed=seed)
    converge(ctx, out)
    return finish(ctx, out)


CREATES = {
    "sub-tasks and stories (bulk)": ("POST", r"/rest/api/[23]/issue/bulk$"),
    "epic": ("POST", r"/rest/api/[23]/issue$"),
    "comment": ("POST", r"/rest/api/[23]/issue/[^/]+/comment$"),
    "page": ("POST", r"^/wiki/rest/api/content$"),
    "attachment": ("(POST|PUT)", r"/child/attachment"),
    "revert transition": ("POST", r"/rest/api/[23]/issue/[^/]+/transitions$"),
}


def lost_creates(ctx: Context, seed: int) -> Outcome:
    """A create (or a transition) the server applied whose answer was lost (502 after, or a
    dropped connection after): the next attempt or run must find it, not make it again."""
    rng = random.Random(seed)
    what = sorted(CREATES)[seed % len(CREATES)]
    method, path = CREATES[what]
    drop = rng.random() < 0.5
    fault: dict[str, Any] = {"path": path, "timing": "after", "times": 1 + seed % 2}
    if method.startswith("("):
        fault["path"] = path
    else:
        fault["method"] = method
    fault.update({"drop": True} if drop else {"status": 502})
    out = Outcome("lost-create", seed, notes={"what": what, "drop": drop})
    ctx.pipeline.faults(fault, seed=seed)
    converge(ctx, out)
    return finish(ctx, out)


# ---------------------------------------------------------------------------- 3. crash


def crash(ctx: Context, seed: int) -> Outcome:
    """``bridge sync`` killed (SIGKILL) right after the server applied its k-th call; the next
    run must not be blocked by the dead run's lease and must converge."""
    p = ctx.pipeline
    k = 1 + (seed * 37) % max(1, ctx.baseline_calls)
    out = Outcome("crash", seed, notes={"killed_at_call": k, "fires_elsewhere": True})
    child: list[subprocess.Popen[str]] = []
    seen = [0]
    killed = threading.Event()
    ready = threading.Event()

    def observe(request: Request, response: Response) -> None:
        if request.path.startswith("/_sandbox/"):
            return
        ready.wait(10)
        seen[0] += 1
        if seen[0] == k and child:
            os.kill(child[0].pid, signal.SIGKILL)
            killed.set()

    p.sandbox.app.observers.append(observe)
    try:
        child.append(p.spawn())
        ready.set()
        stdout, stderr = child[0].communicate(timeout=120)
    finally:
        p.sandbox.app.observers.remove(observe)
    out.runs.append(Run(child[0].returncode, stdout, stderr))
    out.notes["killed"] = killed.is_set()
    out.fired = int(killed.is_set())  # the fault here is the kill
    if not killed.is_set():
        out.notes["calls"] = seen[0]  # finished before call k: a plain run
    time.sleep(0.05)  # the killed connection's last request is over
    converge(ctx, out)
    if len(out.runs) > 1 and "holds the lease" in out.runs[1].out:
        out.problems.append("the dead run's lease turned the next run away")
    return finish(ctx, out)


# ------------------------------------------------------------------------ 4. bulk items


def bulk_items(ctx: Context, seed: int) -> Outcome:
    """Bulk create answers 201 with some items refused: the run reports them and exits 3; the
    next run creates exactly the missing ones."""
    out = Outcome("bulk-partial", seed)
    p = ctx.pipeline
    p.faults(
        {"method": "POST", "path": r"/issue/bulk$", "item_probability": 0.3, "times": 2},
        seed=seed,
    )
    first = p.sync()
    out.runs.append(first)
    refused = first.out.count("injected per-item fault")
    out.notes["items_refused"] = refused
    if refused and first.code != 3:
        out.problems.append(f"items were refused but the run exited {first.code}")
    out.fired = sum(p.fired())
    p.clear_faults()
    converge(ctx, out)
    return finish(ctx, out)


# ------------------------------------------------------------------------- 5. search lag


def search_lag(ctx: Context, seed: int) -> Outcome:
    """JQL search sees creations and updates only some searches later, for every run (Cloud's
    index is eventually consistent): no epic, story or sub-task may be created twice."""
    lag = [3, 10, 30, 60][seed % 4]
    out = Outcome("search-lag", seed, notes={"lag_searches": lag, "fires_elsewhere": True})
    p = ctx.pipeline
    p.faults(search_lag=lag)
    out.fired = 1  # every search of every run lags
    converge(ctx, out, max_runs=4)
    return finish(ctx, out, keep_faults=True)


# --------------------------------------------------------------------- 6. two cron runs


def two_runs(ctx: Context, seed: int, *, shared: bool) -> Outcome:
    """Two ``bridge sync`` processes at once, on one state file (the lease keeps them apart) or
    on two (two cron hosts: Jira's own records must keep them from doubling anything)."""
    p = ctx.pipeline
    out = Outcome("cron-same-state" if shared else "cron-two-hosts", seed)
    out.notes["fires_elsewhere"] = True
    delay = random.Random(seed).uniform(0.0, 0.5)
    first = p.spawn()
    time.sleep(delay)
    second = p.spawn(state=None if shared else p.workdir / "other-host.db")
    for proc in (first, second):
        stdout, stderr = proc.communicate(timeout=180)
        out.runs.append(Run(proc.returncode, stdout, stderr))
    out.notes["start_gap_s"] = round(delay, 2)
    out.notes["turned_away"] = sum("holds the lease" in r.out for r in out.runs)
    out.fired = 1  # both ran; whether they overlapped is up to the scheduler
    for run in out.runs:
        if run.code not in (0, 3):
            out.problems.append(f"a concurrent run exited {run.code}: {run.error_lines}")
    converge(ctx, out)
    return finish(ctx, out)


def cron_same_state(ctx: Context, seed: int) -> Outcome:
    return two_runs(ctx, seed, shared=True)


def cron_two_hosts(ctx: Context, seed: int) -> Outcome:
    return two_runs(ctx, seed, shared=False)


# ----------------------------------------------------------------------- 7. Confluence 409


def page_conflict(ctx: Context, seed: int) -> Outcome:
    """Every page's first update attempt answers 409 (someone else saved in between)."""
    out = Outcome("confluence-409", seed)
    ctx.pipeline.faults(
        {
            "method": "PUT",
            "path": r"^/wiki/rest/api/content/\d+$",
            "status": 409,
            "times": 1,
            "per_path": True,
        },
        seed=seed,
    )
    converge(ctx, out)
    _first_run_ok(out)
    return finish(ctx, out)


# ------------------------------------------------------------------------- 8. 401 / 403


def auth_lost(ctx: Context, seed: int) -> Outcome:
    """The token stops working mid-run (401) or loses its permissions (403): the run stops at
    once, says so in one line, exits 3, and reports what it did and did not do; with a good
    token again the next run converges."""
    p = ctx.pipeline
    rng = random.Random(seed)
    status = [401, 403][seed % 2]
    skip = 1 + rng.randrange(max(1, ctx.baseline_calls - 10))
    out = Outcome(f"auth-{status}", seed, notes={"from_call": skip + 1})
    p.faults({"path": ALL, "status": status, "skip": skip}, seed=seed)
    first = p.sync()
    out.runs.append(first)
    words = ("credentials",) if status == 401 else ("denied",)
    one_clear_line(out, first, code=3, words=words)
    after = calls_after_first(p, status)
    out.notes["calls_after_first"] = after
    if status == 401 and after:
        out.problems.append(f"{after} calls after the first 401 (expected none)")
    # A 403 is about one project or issue: the run goes on with the other issues, reporting
    # each refusal, and retries none (403 is not retryable in retry.classify). The ledger has
    # no bodies, so two writes to one path cannot be told from a retry: bound the tail only.
    if status == 403 and after is not None and after > 60:
        out.problems.append(f"{after} calls after the first 403: a storm")
    out.notes["reported_not_attempted"] = "not attempted:" in first.out
    out.fired = sum(p.fired())
    p.clear_faults()
    converge(ctx, out)
    return finish(ctx, out)


ROWS: Mapping[str, Callable[[Context, int], Outcome]] = {
    "429-burst": rate_burst,
    "429-per-issue": rate_per_issue,
    "429-quota": rate_quota,
    "429-no-retry-after": rate_no_header,
    "5xx": server_errors,
    "timeout-drop": timeouts,
    "lost-create": lost_creates,
    "crash": crash,
    "bulk-partial": bulk_items,
    "search-lag": search_lag,
    "cron-same-state": cron_same_state,
    "cron-two-hosts": cron_two_hosts,
    "confluence-409": page_conflict,
    "auth-401-403": auth_lost,
}
