"""``bridge sync --full`` over 10,000, 50,000 and 100,000 issues: wall time and peak memory.

Each N gets its own sandbox process (the demo seed's generated mix with histories, as
``api_calls.py``), and the sync runs in a process of its own (``python -m bridgeplugin sync
--full --format json``, review enforcement on, cross-team epics on), so its peak RSS
(``ru_maxrss`` from ``wait4``) is the sync's alone. Target: at most 200 MB, flat in N, and
every issue processed (``issues_seen == N``, no cap).

The sprint page is left out by default (``sync.publish: never``): the page's data gathering
(``report/data.py``) reads the whole site into memory, which is not the sync's loop; run with
``--publish`` to include it (``sync.publish: changed``) and see what it costs.

    python benchmarks/sync_scale.py                       # N = 10,000, 50,000, 100,000
    python benchmarks/sync_scale.py -n 10000 --chunk-size 500
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from api_calls import environ, rules_with_epics, run_sync, start_sandbox, stop


def _rss_sampler(samples: list[tuple[float, int]], stop_flag: threading.Event) -> None:
    """The largest VmRSS of any ``bridgeplugin sync`` child seen, every 0.2 s (a cross-check
    of ``ru_maxrss``, and a view of when the peak is reached)."""
    me = os.getpid()
    while not stop_flag.wait(0.2):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"sync\0--full" not in cmd or f"PPid:\t{me}\n" not in status:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    samples.append((time.monotonic(), int(line.split()[1])))


def _tenths(samples: list[tuple[float, int]]) -> str:
    """Where the peak is: the chunk loop comes first, the epics step last."""
    if not samples:
        return "-"
    start, end = samples[0][0], samples[-1][0]
    span = max(end - start, 1e-9)
    tenths = [0] * 10
    for t, rss in samples:
        i = min(9, int((t - start) / span * 10))
        tenths[i] = max(tenths[i], rss)
    return " ".join(f"{r / 1024:.0f}" for r in tenths)


def one(n: int, *, publish: bool, chunk_size: int | None) -> None:
    load = os.getloadavg()
    proc, url, took = start_sandbox(n)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            extra = {"BRIDGE_SYNC__PUBLISH": "changed" if publish else "never"}
            if chunk_size:
                extra["BRIDGE_SYNC__CHUNK_SIZE"] = str(chunk_size)
            env = environ(url, tmp, rules_with_epics(tmp), **extra)
            samples: list[tuple[float, int]] = []
            flag = threading.Event()
            sampler = threading.Thread(target=_rss_sampler, args=(samples, flag), daemon=True)
            sampler.start()
            doc, code, wall, rss = run_sync(env, tmp)
            flag.set()
            sampler.join()
            seen = doc.get("issues_seen")
            counts = doc.get("counts") or {}
            actions = sum((counts.get("done") or {}).values())
            print(
                f"N {n:>7,}: exit {code}, {seen} issues in {doc.get('chunks')} chunks, "
                f"{actions} actions, {doc.get('reads')} reads, {doc.get('writes')} writes; "
                f"wall {wall:7.1f} s ({n / wall:,.0f} issues/s); peak RSS {rss / 1024:5.0f} MiB "
                f"(sampled max {max((r for _, r in samples), default=0) / 1024:.0f} MiB); "
                f"sandbox seeded in "
                f"{took:.0f} s; load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}"
            )
            print(
                f"           RSS over the run (MiB, max per tenth of its time): {_tenths(samples)}"
            )
            epics = doc.get("epics") or {}
            kinds = Counter(a["kind"] for a in epics.get("actions", []) if a["result"] == "ok")
            print(
                f"           epics: {len(epics.get('epics', {}))} for {epics.get('initiatives')} "
                f"initiatives in {epics.get('rounds')} rounds; {dict(kinds)}; "
                f"notes {Counter(n.get('kind') for n in epics.get('notes', []))}"
            )
            if doc.get("error"):
                print(f"           error: {doc['error']}")
            if seen != n:
                print(f"           NOT every issue processed: {seen} of {n}")
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, action="append", help="issues (repeatable)")
    parser.add_argument("--publish", action="store_true", help="also publish the sprint page")
    parser.add_argument("--chunk-size", type=int, help="sync.chunk_size (default: config's)")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores shared with other work; "
        f"enforcement on, epics on, publish {'changed' if args.publish else 'never'}"
    )
    for n in args.n or [10_000, 50_000, 100_000]:
        one(n, publish=args.publish, chunk_size=args.chunk_size)


if __name__ == "__main__":
    main()
