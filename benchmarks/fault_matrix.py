"""The fault matrix over many seeds: per row, how many seeds ended in the fault-free state.

Runs the rows of ``tests/faults/fault_rows.py`` (the same code the tests run over two seeds)
against one demo sandbox in this process, over real HTTP, with the real clients. Each row and
seed resets the site, arms the fault, runs ``bridge sync`` (tagging, review enforcement, epics,
sprint pages) until a run succeeds, checks that a further run writes nothing, and compares the
final Jira and Confluence state with the fault-free run's. Prints one line per row: passes,
seeds, how often the fault fired, runs needed, wall time; then every failure, one line each.

    python benchmarks/fault_matrix.py                  # 200 seeds per row
    python benchmarks/fault_matrix.py --seeds 20 --row crash --row search-lag
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from bridgeplugin.sandbox.server import start  # noqa: E402
from faults.fault_rows import ROWS, Context, Outcome  # noqa: E402
from faults.harness import Baseline, Pipeline  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="seeds per row (default 200)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--row", action="append", choices=sorted(ROWS), help="only these rows")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failure fully")
    args = parser.parse_args()
    rows = args.row or list(ROWS)
    seeds = range(args.first_seed, args.first_seed + args.seeds)

    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp:
        os.chdir(tmp)  # no ./bridge.yaml from wherever this runs
        baseline = Baseline(Path(tmp) / "baseline")
        started = time.monotonic()
        snap, calls = baseline.get()
        print(
            f"fault-free run: {len(snap.issues)} issues, {len(snap.created())} created, "
            f"{len(snap.contents)} Confluence contents, {calls} calls "
            f"({time.monotonic() - started:.1f} s)"
        )
        print(f"{'row':<22} {'pass':>9} {'fired':>7} {'runs':>5} {'time':>8}  seeds")
        failures: list[Outcome] = []
        sandbox = start("demo")
        total = time.monotonic()
        try:
            for row in rows:
                t0 = time.monotonic()
                passed, fired, runs = 0, 0, Counter[int]()
                for seed in seeds:
                    work = Path(tmp) / f"{row}-{seed}"
                    work.mkdir()
                    sandbox.app.observers.clear()
                    pipeline = Pipeline(sandbox, work)
                    pipeline.reset()
                    snap, calls = baseline.get()
                    try:
                        outcome = ROWS[row](Context(pipeline, snap, calls), seed)
                    except Exception as exc:  # a harness error counts as a failure, visibly
                        outcome = Outcome(row, seed, problems=[f"{type(exc).__name__}: {exc}"])
                    finally:
                        pipeline.close()
                    passed += outcome.ok
                    fired += outcome.fired > 0
                    runs[len(outcome.runs)] += 1
                    if not outcome.ok:
                        failures.append(outcome)
                n = len(seeds)
                spread = ",".join(f"{k}:{v}" for k, v in sorted(runs.items()))
                print(
                    f"{row:<22} {passed:>4}/{n:<4} {fired:>4}/{n:<3} {spread:>5} "
                    f"{time.monotonic() - t0:>7.1f}s  {seeds.start}..{seeds.stop - 1}",
                    flush=True,
                )
        finally:
            sandbox.stop()
        print(f"total {time.monotonic() - total:.1f} s; {len(failures)} failures")
        for outcome in failures:
            if args.verbose:
                print(outcome.report())
            else:
                first = outcome.problems[0] if outcome.problems else "?"
                print(f"  FAIL {outcome.row} seed {outcome.seed}: {first[:200]} {outcome.notes}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
