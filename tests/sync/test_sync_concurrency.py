"""Two `bridge sync` processes at once, and a site with more tagged issues than one bulk
property call takes."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridgeplugin.sandbox.generate import scaled_seed
from bridgeplugin.sandbox.server import running

from .conftest import LABEL, RULES_ALL_MKT, RULES_V1, SyncSite

pytestmark = pytest.mark.sandbox

COMMENT = "POST /rest/api/{ver}/issue/{key}/comment"
PROPERTIES = "POST /rest/api/{ver}/issue/properties/multi"
BULK_EDIT = "POST /rest/api/{ver}/bulk/issues/fields"


def start_sync(site: SyncSite, rules: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update({k: v for k, v in site.env(rules).items() if v is not None})
    return subprocess.Popen(
        [sys.executable, "-m", "bridgeplugin", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_syncs_at_once_post_one_comment_per_issue(site: SyncSite) -> None:
    # Slow comments keep the first run busy (and holding the lease) for a while: 5 comments
    # x 1.5 s outlasts the second process's start-up even on a loaded 2-core machine.
    site.faults({"method": "POST", "path": "/comment$", "latency_ms": 1500})
    first = start_sync(site, RULES_V1)
    deadline = time.monotonic() + 30
    while not any(c.path.endswith("/comment") for c in site.calls()):
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.02)

    second = start_sync(site, RULES_V1)
    out2, err2 = second.communicate(timeout=60)
    _, err1 = first.communicate(timeout=60)

    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert out2.startswith("another sync holds the lease until "), out2
    assert "pid " in out2
    for key in ("MKT-1", "MKT-2", "MKT-3", "MKT-4", "MKT-5"):
        assert len(site.markers(key)) == 1, key
    assert site.writes()[COMMENT] == 5

    # Afterwards the lease is free again and a third run has nothing to do.
    site.faults()
    site.clear_ledger()
    assert site.sync(rules=RULES_V1).code == 0 and site.writes() == {}


def test_178_tagged_issues_take_one_bulk_edit_and_two_property_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seed = scaled_seed(300)  # 178 MKT issues, generated
    with running(seed) as sandbox:
        site = SyncSite(sandbox, tmp_path / "state.db")
        try:
            run = site.sync("--format", "json", rules=RULES_ALL_MKT)
            assert run.code == 0, run.err
            k = run.json()["tagged"]
            assert k > 100
            writes = site.writes()
            assert writes == {BULK_EDIT: 1, PROPERTIES: math.ceil(k / 100), COMMENT: k}
            assert all(LABEL in i.labels for i in sandbox.app.site.jira.issues.values()
                       if i.project == "MKT")  # fmt: skip
            site.clear_ledger()
            assert site.sync(rules=RULES_ALL_MKT).code == 0 and site.writes() == {}
        finally:
            site.close()
