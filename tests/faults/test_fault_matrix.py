"""The fault matrix (issue 8, the sync half): every row over ``FAULT_SEEDS`` seeds must end in
the fault-free run's state, nothing lost, nothing duplicated (see ``fault_rows.py``)."""

from __future__ import annotations

import pytest

from .conftest import SEEDS
from .fault_rows import ROWS, Context
from .harness import Pipeline, Snapshot

pytestmark = pytest.mark.sandbox


# Two cron hosts with a state file each share no lease: both look, find nothing and write.
# Epics retire their twins, everything else doubles (comments, sub-tasks, stories). Not
# fixed: the README says to run one cron host per site or share the state file.
TWO_HOSTS = pytest.mark.xfail(reason="no lease across separate state files", strict=False)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "row", [pytest.param(r, marks=TWO_HOSTS) if r == "cron-two-hosts" else r for r in ROWS]
)
def test_row_ends_in_the_fault_free_state(
    row: str, seed: int, pipeline: Pipeline, baseline: Snapshot, baseline_calls: int
) -> None:
    outcome = ROWS[row](Context(pipeline, baseline, baseline_calls), seed)
    assert outcome.ok, outcome.report()
