"""Read N issues through JiraGateway from a sandbox and print calls, lower bound, time, memory.

The sandbox runs in its own process (``bridge sandbox``), so the memory figures are the
reader's alone. The reader keeps nothing but counters: peak memory should not grow with N.

    python benchmarks/read_issues.py              # N = 10,000
    python benchmarks/read_issues.py -n 50000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from collections import Counter

from pydantic import SecretStr

from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.sandbox.generate import scaled_seed_document

# What a sync reads of each issue (tagging, governance, epics, budgets).
FIELDS = [
    "summary",
    "description",
    "status",
    "issuetype",
    "project",
    "reporter",
    "labels",
    "components",
    "parent",
    "updated",
    "Cost",
    "Initiative",
]


def _http(method: str, url: str, body: object | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=600) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def _start_sandbox() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridgeplugin", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    url = banner.split()[2]
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="issues to seed and read")
    parser.add_argument("--page-size", type=int, default=100, help="maxResults asked for")
    args = parser.parse_args()

    proc, url = _start_sandbox()
    try:
        t0 = time.perf_counter()
        seeded = _http("POST", f"{url}/_sandbox/seed", scaled_seed_document(args.n, seed=1))
        seed_s = time.perf_counter() - t0
        print(f"seeded {seeded['issues']} issues in {seed_s:.1f} s (sandbox at {url})")
        _http("DELETE", f"{url}/_sandbox/ledger")

        tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        jira = JiraGateway(
            url, email="admin@example.com", token=SecretStr("sandbox-token"), timeout=(5, 120)
        )
        seen = 0
        projects: Counter[str] = Counter()
        jql = "project in (MKT, IT) ORDER BY key ASC"
        for issue in jira.search(jql, fields=FIELDS, page_size=args.page_size):
            seen += 1
            projects[issue.project or "?"] += 1
        wall = time.perf_counter() - t0
        _, peak_heap = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        jira.close()

        calls = _http("GET", f"{url}/_sandbox/ledger")["calls"]
        by_route = Counter(f"{c['method']} {c['route']}" for c in calls)
        searches = by_route["POST /rest/api/{ver}/search/jql"]
        page_cap = max(1, min(args.page_size, 100))  # Jira Cloud's cap with fields beyond id/key
        lower = math.ceil(seen / page_cap)
        print(f"issues read:        {seen} ({', '.join(f'{k} {v}' for k, v in projects.items())})")
        print(f"search calls:       {searches}  (lower bound ceil({seen}/{page_cap}) = {lower})")
        print(f"all calls:          {len(calls)}")
        for route, n in by_route.most_common():
            print(f"    {n:6d}  {route}")
        print(f"rate-limit points:  {sum(c['points'] for c in calls)}")
        print(f"wall time:          {wall:.2f} s ({seen / wall:,.0f} issues/s)")
        print(f"peak Python heap:   {peak_heap / 2**20:.1f} MiB (tracemalloc, reader only)")
        print(
            f"peak RSS:           {rss_after / 1024:.1f} MiB "
            f"(before reading {rss_before / 1024:.1f} MiB; reader process only)"
        )
        print(f"pid {os.getpid()}; python {sys.version.split()[0]}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
