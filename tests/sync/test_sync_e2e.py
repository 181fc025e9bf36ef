"""`bridge sync` end to end: the demo site, the real CLI, gateway and HTTP, the real `jira`
client reading back, and the sandbox ledger counting every call."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bridgeplugin.jira_gateway import JiraGateway
from bridgeplugin.rules import StaticDirectory
from bridgeplugin.sandbox.seed import load_seed
from bridgeplugin.tagging import SYSTEM_FIELDS, Tagger, TagVerdict

from .conftest import ADMIN, ADMIN_ID, LABEL, RULES_V1, RULES_V2, SHIPPED_RULES, TOKEN, SyncSite

pytestmark = pytest.mark.sandbox

BULK_EDIT = "POST /rest/api/{ver}/bulk/issues/fields"
PROPERTIES = "POST /rest/api/{ver}/issue/properties/multi"
COMMENT = "POST /rest/api/{ver}/issue/{key}/comment"
EDIT = "PUT /rest/api/{ver}/issue/{key}"
TAGGED = "bridgeplugin: tagged as a marketing technology request"
UNTAGGED = "bridgeplugin: no longer tagged as a marketing technology request"


def expected_verdicts(site: SyncSite, rules: str = str(SHIPPED_RULES)) -> dict[str, TagVerdict]:
    """What the rules say about every demo issue, worked out apart from `bridge sync`: group
    membership straight from the seed, issues through a plain gateway search."""
    tagger = Tagger.load(rules)
    seed = load_seed("demo")
    ids = {u.email: u.account_id for u in seed.users}
    groups: dict[str, list[str]] = {}
    for group in seed.groups:
        for member in group.members:
            groups.setdefault(ids.get(member, member), []).append(group.name)
    gateway = JiraGateway(site.url, email=ADMIN, token=SecretStr(TOKEN))
    try:
        fields = [*SYSTEM_FIELDS, *(f for f in tagger.custom_fields() if f != "Request Type")]
        issues = list(gateway.search("project in (MKT, IT)", fields=fields))
    finally:
        gateway.close()
    directory = StaticDirectory(groups)
    return {i.key: tagger.classify(i, directory) for i in issues}


def test_a_full_sync_tags_exactly_what_the_rules_tag_with_bulk_calls(site: SyncSite) -> None:
    verdicts = expected_verdicts(site)
    tagged = sorted(k for k, v in verdicts.items() if v.tag)
    # Anchors any sane rule set agrees on (issue 3's tricky negatives).
    assert "MKT-1" in tagged and "MKT-5" in tagged
    assert not {"MKT-25", "MKT-26", "MKT-27"} & set(tagged)
    comments_before = {k: len(site.comments(k)) for k in site.all_keys()}
    site.clear_ledger()

    run = site.sync("--full", "--format", "json")

    assert run.code == 0, run.err
    report = run.json()
    k = len(tagged)
    assert report["issues_seen"] == 60
    assert report["tagged"] == k
    # Bulk where Jira has it: one label edit for all, ceil(k/100) property writes, k comments.
    assert site.writes() == {BULK_EDIT: 1, PROPERTIES: math.ceil(k / 100), COMMENT: k}
    assert (report["writes"], report["reads"]) == (sum(site.writes().values()), site.reads())
    kinds = [a["kind"] for a in report["actions"]]
    assert kinds == ["add_label"] * k + ["add_comment"] * k + ["set_property"] * k
    assert {a["result"] for a in report["actions"]} == {"ok"}

    for key in site.all_keys():
        verdict = verdicts[key]
        labels, record, markers = site.labels(key), site.record(key), site.markers(key)
        if key in tagged:
            assert LABEL in labels, key
            assert record == {
                "tagging": {
                    "tag": True,
                    "category": verdict.category,
                    "reasons": list(verdict.reasons),
                    "rules_version": verdict.rules_version,
                    "label": LABEL,
                    "label_added_by_bridge": True,
                    "commented": True,
                }
            }, key
            assert markers == [f"{TAGGED} ({verdict.category})"], key
            assert len(site.comments(key)) == comments_before[key] + 1
        else:
            assert LABEL not in labels and record is None and markers == [], key
            assert len(site.comments(key)) == comments_before[key]

    # The tagging comment says why and what happens next.
    body = site.comments("MKT-1")[-1]
    assert all(f"- {reason}" in body for reason in verdicts["MKT-1"].reasons)
    assert "security review" in body

    # An unchanged second run writes nothing, incremental or full.
    site.clear_ledger()
    again = site.sync("--format", "json")
    assert again.code == 0 and again.json()["mode"] == "incremental"
    assert again.json()["actions"] == [] and site.writes() == {}
    assert site.sync("--full").code == 0
    assert site.writes() == {}


def test_dry_run_writes_nothing_not_even_the_watermark(site: SyncSite) -> None:
    run = site.sync("--dry-run", "--format", "json", rules=RULES_V1)

    assert run.code == 0, run.err
    report = run.json()
    assert report["dry_run"] is True and report["writes"] == 0
    assert report["actions"] and {a["result"] for a in report["actions"]} == {"planned"}
    assert site.writes() == {}
    with site.store() as store:
        assert store.journal() == []
    # Nothing was recorded, so the next real run is still a full one.
    assert site.sync("--format", "json", rules=RULES_V1).json()["mode"] == "full"


def test_text_output_lists_the_plan_and_a_summary(site: SyncSite) -> None:
    run = site.sync("--dry-run", rules=RULES_V1)

    lines = run.out.splitlines()
    assert lines[0] == "full sync: 60 issues read (dry run: nothing written)"
    assert any(line.split()[:2] == ["add_label", "MKT-5"] for line in lines)
    assert lines[-1].startswith("5 tagged, 0 untagged, 0 undecided (left as they are)")


def test_rules_that_stop_matching_remove_only_the_plugins_label_and_say_so_once(
    site: SyncSite,
) -> None:
    # A person (Priya, marketing) labels MKT-2 herself before the plugin ever runs.
    site.client("priya@example.com").issue("MKT-2").add_field_value("labels", LABEL)

    first = site.sync("--format", "json", rules=RULES_V1)
    assert first.code == 0, first.err
    assert first.json()["tagged"] == 5  # MKT-1..4 name HubSpot/Sprout Social, MKT-5 a pixel
    assert site.record("MKT-1")["tagging"]["label_added_by_bridge"] is True
    assert site.record("MKT-2")["tagging"]["label_added_by_bridge"] is False  # Priya's

    site.clear_ledger()
    second = site.sync("--format", "json", rules=RULES_V2)

    assert second.code == 0, second.err
    assert second.json()["untagged"] == 4
    assert LABEL not in site.labels("MKT-1")  # the plugin's own: removed
    assert LABEL in site.labels("MKT-2")  # Priya's: never removed
    assert LABEL in site.labels("MKT-5")  # still tagged
    assert site.markers("MKT-1") == [f"{TAGGED} (saas)", UNTAGGED]
    assert "The label marketing-tech-request was removed" in site.comments("MKT-1")[-1]
    assert "stays: a person added it" in site.comments("MKT-2")[-1]
    assert site.record("MKT-1")["tagging"]["tag"] is False
    assert site.markers("MKT-5") == [f"{TAGGED} (tracking)"]
    assert site.writes()[BULK_EDIT] == 1  # one bulk removal for MKT-1, MKT-3, MKT-4
    histories = site.client().issue("MKT-1", expand="changelog").changelog.histories
    (removal,) = [
        h
        for h in histories
        for item in h.items
        if item.field == "labels" and LABEL in (item.fromString or "").split()
        and LABEL not in (item.toString or "").split()
    ]  # fmt: skip
    assert removal.author.accountId == ADMIN_ID

    site.clear_ledger()
    assert site.sync(rules=RULES_V2, **{"BRIDGE_SYNC__OVERLAP_MINUTES": "5"}).code == 0
    assert site.sync("--full", rules=RULES_V2).code == 0
    assert site.writes() == {}
    assert site.markers("MKT-1") == [f"{TAGGED} (saas)", UNTAGGED]


@pytest.mark.parametrize(
    ("timing", "fault"),
    [("before", {"status": 503}), ("after", {"drop": True})],
    ids=["property-never-written", "property-written-answer-lost"],
)
def test_a_crash_between_comment_and_property_never_posts_a_second_comment(
    site: SyncSite, timing: str, fault: dict[str, object]
) -> None:
    site.faults({"method": "POST", "path": "/issue/properties/multi$", "timing": timing, **fault})

    crashed = site.sync("--format", "json", rules=RULES_V1)

    assert crashed.code == 3
    assert crashed.err.startswith("error: ") and "Traceback" not in crashed.err
    assert site.markers("MKT-5") == [f"{TAGGED} (tracking)"]  # the comment went out
    with site.store() as store:
        assert store.watermark(f"{site.url} project in (MKT, IT)") is None
        assert store.acquire_lease("sync", "someone-else", "test", 60).held_by("someone-else")
        store.release_lease(store.acquire_lease("sync", "someone-else", "test", 60))
    site.faults()
    site.clear_ledger()

    resumed = site.sync("--format", "json", rules=RULES_V1)

    assert resumed.code == 0, resumed.err
    assert COMMENT not in site.writes()
    for key in ("MKT-1", "MKT-2", "MKT-3", "MKT-4", "MKT-5"):
        assert len(site.markers(key)) == 1, key
        assert site.record(key)["tagging"]["commented"] is True
        assert site.record(key)["tagging"]["label_added_by_bridge"] is True


def test_a_403_on_bulk_edit_falls_back_to_one_edit_per_issue(site: SyncSite) -> None:
    site.faults({"method": "POST", "path": "/bulk/issues/fields$", "status": 403})

    run = site.sync("--format", "json", rules=RULES_V1)

    assert run.code == 0, run.err
    refused = [c for c in site.calls() if c.path.endswith("/bulk/issues/fields")]
    assert [c.status for c in refused] == [403]  # asked once (a fault answers before routing)
    assert site.writes()[EDIT] == 5
    assert all(LABEL in site.labels(k) for k in ("MKT-1", "MKT-2", "MKT-3", "MKT-4", "MKT-5"))
    site.clear_ledger()
    assert site.sync(rules=RULES_V1).code == 0 and site.writes() == {}


def test_an_api_error_mid_run_exits_3_keeps_the_watermark_and_the_next_run_finishes(
    site: SyncSite,
) -> None:
    assert site.sync(rules=RULES_V1).code == 0
    scope = f"{site.url} project in (MKT, IT)"
    with site.store() as store:
        before = store.watermark(scope)
    assert before == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # the newest issue of the seed
    site.advance(3600)
    site.faults({"method": "POST", "path": "/comment$", "status": 503})

    failed = site.sync("--format", "json", rules=RULES_V2)

    assert failed.code == 3
    assert "503" in failed.err or "Service unavailable" in failed.err
    report = failed.json()  # what was done until the error, for scripts
    assert report["error"] and report["actions"][0]["kind"] == "remove_label"
    with site.store() as store:
        assert store.watermark(scope) == before
        assert [e.result[:6] for e in store.journal(key="MKT-1")][-1] == "error:"
    site.faults()

    finished = site.sync("--format", "json", rules=RULES_V2)

    assert finished.code == 0, finished.err
    assert site.markers("MKT-1") == [f"{TAGGED} (saas)", UNTAGGED]
    with site.store() as store:
        assert store.watermark(scope) > before


def test_a_held_lease_makes_a_second_sync_say_so_and_do_nothing(site: SyncSite) -> None:
    with site.store() as store:
        store.acquire_lease("sync", "other-run", "pid 4242 on cron-2", 600)
    site.clear_ledger()

    run = site.sync(rules=RULES_V1)

    assert run.code == 0, run.err
    assert run.out.startswith("another sync holds the lease until ")
    assert "(pid 4242 on cron-2)" in run.out
    assert site.calls() == []


def test_an_incremental_run_reads_only_what_changed_plus_the_overlap(site: SyncSite) -> None:
    assert site.sync(rules=RULES_V1).code == 0  # full: the newest seed issue is 11-23 19:00
    site.advance(3600)  # 10:00
    second = site.sync("--format", "json", rules=RULES_V1).json()
    # The issues the first run wrote changed at 09:00: read once more, nothing to do.
    assert second["mode"] == "incremental" and second["actions"] == []
    assert 'updated >= "2026-11-23 18:55"' in second["jql"]

    priya = site.client("priya@example.com")
    site.advance(3600)  # 11:00
    priya.issue("MKT-30").update(fields={"summary": "Press release review: autumn launch"})
    third = site.sync("--format", "json", rules=RULES_V1).json()
    assert 'updated >= "2026-11-24 08:55"' in third["jql"]

    site.advance(3600)  # 12:00
    priya.issue("MKT-25").update(fields={"summary": "Update the hero image in the CMS"})
    site.clear_ledger()
    fourth = site.sync("--format", "json", rules=RULES_V1).json()

    # Only MKT-25, plus MKT-30: its 11:00 change is the watermark, inside the 5-minute overlap.
    assert 'updated >= "2026-11-24 10:55"' in fourth["jql"]
    assert fourth["issues_seen"] == 2
    found = site.client().search_issues(fourth["jql"].split(" ORDER BY")[0], fields="key")
    assert sorted(i.key for i in found) == ["MKT-25", "MKT-30"]
    assert site.writes() == {}


def test_projects_and_jql_narrow_the_scope_and_keep_their_own_watermark(site: SyncSite) -> None:
    run = site.sync("--project", "mkt", "--jql", "labels = tracking", "--format", "json",
                    rules=RULES_V1)  # fmt: skip

    assert run.code == 0, run.err
    report = run.json()
    assert report["jql"] == "project in (MKT) AND (labels = tracking) ORDER BY key ASC"
    assert report["issues_seen"] == 2  # MKT-5 and MKT-18
    assert [a["key"] for a in report["actions"] if a["kind"] == "add_label"] == ["MKT-5"]
    with site.store() as store:
        assert store.watermark(f"{site.url} project in (MKT, IT)") is None
        assert store.watermark(f"{site.url} project in (MKT) AND (labels = tracking)")


def test_a_run_that_finds_nothing_reads_no_groups(site: SyncSite) -> None:
    run = site.sync("--jql", "labels = no-such-label", "--format", "json")

    assert run.code == 0, run.err
    assert run.json()["issues_seen"] == 0
    assert "/rest/api/{ver}/group/member" not in {c.route for c in site.calls()}
    assert site.writes() == {} and run.json()["reads"] == len(site.calls())
