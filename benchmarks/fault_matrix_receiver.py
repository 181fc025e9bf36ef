"""The receiver rows of the fault matrix over many seeds: each seed draws its own fault pattern
(duplication counts and timing, orderings, which events are late or lost, when cron starts,
after how many writes kill -9 lands) and its run must end in the fault-free run's Jira state.

    python benchmarks/fault_matrix_receiver.py                 # every row, 200 seeds each
    python benchmarks/fault_matrix_receiver.py --seeds 20 --row kill9 --row late

Prints per row: passes, failures (with the first difference of the first few), evidence totals
that show the faults happened, and wall time. Exit code 1 when any run failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the rows live with the tests

from tests.faults.receiver_rows import ROWS, baseline, check, sanity  # noqa: E402
from tests.faults.receiver_support import Rig, Zygote  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=200, help="runs per row (default 200)")
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--row", action="append", choices=sorted(ROWS), help="only these rows")
    args = parser.parse_args()
    # The shipped rules name groups and a field the demo site lacks: one warning per run.
    logging.disable(logging.WARNING)

    started = time.monotonic()
    failed_any = False
    with tempfile.TemporaryDirectory(prefix="fault-matrix-receiver-") as tmp:
        zygote = Zygote()  # before anything opens a state database (see Zygote)
        rig = Rig(Path(tmp), zygote=zygote)
        try:
            expected = baseline(rig)
            assert expected.snapshot is not None and not expected.problems, expected.problems
            assert sanity(expected.snapshot) == [], sanity(expected.snapshot)
            print(
                f"fault-free run: {len(expected.snapshot.issues)} issues, "
                f"{expected.evidence['processed']} deliveries, "
                f"{expected.evidence['writes_phase_1'] + expected.evidence['writes_phase_2']} "
                f"writes by bridge serve ({expected.seconds:.1f} s)"
            )
            for name in args.row or list(ROWS):
                row = ROWS[name]
                passed = 0
                evidence: Counter[str] = Counter()
                failures: list[str] = []
                row_started = time.monotonic()
                seeds = range(args.first_seed, args.first_seed + args.seeds)
                for seed in seeds:
                    result = row(rig, seed)
                    problems = check(result, expected.snapshot)
                    evidence.update(result.evidence)
                    if problems:
                        failures.append(f"seed {seed}: {problems[0][:300]}")
                    else:
                        passed += 1
                wall = time.monotonic() - row_started
                failed_any = failed_any or passed < len(seeds)
                shown = ", ".join(f"{k} {v}" for k, v in sorted(evidence.items()))
                print(
                    f"{name:<14} {passed:>4}/{len(seeds)} passed  {wall:7.1f} s "
                    f"({wall / len(seeds):.2f} s/run)"
                )
                print(f"{'':<14} evidence: {shown}")
                for line in failures[:5]:
                    print(f"{'':<14} FAIL {line}")
        finally:
            rig.close()
            zygote.close()
    print(f"total wall time {time.monotonic() - started:.1f} s")
    return 1 if failed_any else 0


if __name__ == "__main__":
    sys.exit(main())
