"""Fixtures of the fault matrix: one demo sandbox for the session (reset per test), the
fault-free run's snapshot computed once, and a fresh work directory per test.

``FAULT_SEEDS`` (default 2) is how many seeds each row runs here; the benchmark
(``benchmarks/fault_matrix.py --seeds 200``) runs many more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Pipeline, Snapshot

from bridgeplugin.sandbox.server import RunningSandbox, start

pytestmark = pytest.mark.sandbox

SEEDS = list(range(int(os.environ.get("FAULT_SEEDS", "2"))))


@pytest.fixture(scope="session")
def fault_sandbox() -> Iterator[RunningSandbox]:
    running = start("demo")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def baseline(fault_sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The final state of a fault-free run of the pipeline on the demo site."""
    pipeline = Pipeline(fault_sandbox, tmp_path_factory.mktemp("baseline"))
    pipeline.reset()
    first = pipeline.sync()
    assert first.code == 0, str(first)
    again = pipeline.sync()
    assert again.code == 0 and "0 writes" in again.out, str(again)
    snap = pipeline.snapshot()
    pipeline.close()
    return snap


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
