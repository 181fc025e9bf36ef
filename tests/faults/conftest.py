"""Fixtures of the fault matrix: one demo sandbox for the session (reset per test), the
fault-free run's snapshot computed once, and a fresh work directory per test.

``FAULT_SEEDS`` (default 1, to keep this directory near a minute) is how many seeds each row
runs here; the benchmark (``benchmarks/fault_matrix.py --seeds N``) runs many more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridgeplugin.sandbox.server import RunningSandbox, start

from .harness import Baseline, Pipeline, Snapshot

pytestmark = pytest.mark.sandbox

SEEDS = list(range(int(os.environ.get("FAULT_SEEDS", "1"))))


@pytest.fixture(scope="session")
def fault_sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    return Baseline(tmp_path_factory.mktemp("baseline"))


@pytest.fixture
def baseline(baselines: Baseline) -> Snapshot:
    """The final state of a fault-free run of the pipeline on the demo site."""
    return baselines.get()[0]


@pytest.fixture
def baseline_calls(baselines: Baseline) -> int:
    """How many calls the fault-free run's first sync made."""
    return baselines.get()[1]


@pytest.fixture
def pipeline(
    fault_sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pipeline]:
    monkeypatch.chdir(tmp_path)  # no ./bridge.yaml from wherever the tests run
    fault_sandbox.app.observers.clear()
    helper = Pipeline(fault_sandbox, tmp_path)
    helper.reset()  # the demo seed again, no faults, an empty ledger, the seed's clock
    yield helper
    fault_sandbox.app.observers.clear()
    helper.close()
