"""The epics planner, pure: issues and epics in, actions and notes out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridgeplugin.epics.actions import CreateEpic, CreateStories, EditEpic, LinkEpic, SetParent
from bridgeplugin.epics.load import EpicRules, read_epic_rules
from bridgeplugin.epics.model import EpicView, gather, view
from bridgeplugin.epics.plan import RECORDED_MEMBERS, EpicPlan, plan_epics
from bridgeplugin.epics.render import EpicTexts
from bridgeplugin.model import Issue, IssueLink, User
from bridgeplugin.plan import SetProperty

ROOT = Path(__file__).resolve().parents[2]
RULES = (ROOT / "rules" / "epics.yaml").read_text(encoding="utf-8")
TEXTS = EpicTexts(ROOT / "templates")


def rules(extra: str = "") -> EpicRules:
    return read_epic_rules(RULES.replace("enabled: false", "enabled: true") + extra)


def request(
    key: str,
    initiative: str | None = "Customer data platform",
    *,
    category: str | None = None,
    status: str = "To Do",
    **kw: Any,
) -> Issue:
    project = key.split("-")[0]
    props = {"bridge": {"tagging": {"tag": True, "category": category}}} if category else {}
    return Issue(
        id=key.split("-")[1] + ("0" if project == "MKT" else "1"),
        key=key,
        project=project,
        issue_type=kw.pop("issue_type", "Task"),
        status=status,
        summary=f"summary of {key}",
        reporter=User(account_id=f"acc-{key}", display_name=f"Reporter {key}"),
        custom={"Initiative": initiative} if initiative else {},
        properties=props,
        **kw,
    )


def epic(
    key: str,
    record: dict[str, Any] | None,
    *,
    label: str = "customer-data-platform",
    created: int = 1,
) -> EpicView:
    issue = Issue(
        id=key.split("-")[1],
        key=key,
        project=key.split("-")[0],
        issue_type="Epic",
        labels=("bridge-epic", f"bridge-initiative-{label}"),
        created=datetime(2026, 11, created, tzinfo=UTC),
        properties={"bridge": {"epic": record}} if record is not None else {},
    )
    return view(issue)


def plan(
    issues: list[Issue],
    epics: list[EpicView],
    children: list[Issue] = (),
    created: set[str] = frozenset(),
    r: EpicRules | None = None,
) -> EpicPlan:
    r = r or rules()
    initiatives = gather(issues, r, marketing="MKT", it="IT")
    return plan_epics(
        initiatives,
        epics,
        list(children),
        created_before=created,
        rules=r,
        texts=TEXTS,
        it="IT",
        marketing="MKT",
    )


SHARED = [request("MKT-2", category="integration"), request("IT-10")]


def converged(members: list[str], **extra: Any) -> dict[str, Any]:
    """The record a finished epic of the CDP initiative (no checklist items) has."""
    return {
        "initiative": "customer-data-platform",
        "aliases": [],
        "name": "Customer data platform",
        "names": ["Customer data platform"],
        "summary": "Customer data platform (marketing + IT)",
        "members": members,
        "member_count": len(members),
        "owners": {"marketing": "acc-MKT-2", "it": None},
        "budget_line": "cdp-2026",
        "checklist": {},
        "created_by_bridge": True,
        **extra,
    }


def test_a_shared_initiative_without_an_epic_gets_one_created_with_label_and_record() -> None:
    result = plan(SHARED, [])
    [create] = result.actions
    assert isinstance(create, CreateEpic)
    assert create.key == "initiative:customer-data-platform"
    fields = create.spec["fields"]
    assert fields["project"] == "IT" and fields["issuetype"] == "Epic"
    assert fields["labels"][:2] == ["bridge-epic", "bridge-initiative-customer-data-platform"]
    assert fields["Initiative"] == "Customer data platform"
    assert "MKT-2 summary of MKT-2" in fields["description"]
    [prop] = create.spec["properties"]
    assert prop["value"]["epic"]["members"] == ["IT-10", "MKT-2"]


def test_the_record_of_a_large_initiative_names_a_sample_and_fits_an_entity_property() -> None:
    many = [request(f"MKT-{n}") for n in range(1, 20_001)] + [request("IT-10")]
    [create] = plan(many, []).actions
    assert isinstance(create, CreateEpic)
    [prop] = create.spec["properties"]
    record = prop["value"]["epic"]
    assert record["member_count"] == 20_001
    assert len(record["members"]) == RECORDED_MEMBERS
    # Jira refuses an entity property over 32,768 characters.
    assert len(json.dumps(prop["value"])) < 32_768
    # ... and a description over 32,767: it lists the first requests and counts the rest.
    description = create.spec["fields"]["description"]
    assert len(description) < 32_767
    assert "- and 19951 more" in description


def test_an_initiative_of_one_team_only_waits() -> None:
    assert plan([request("MKT-2"), request("MKT-3")], []).actions == ()


def test_an_approved_tagged_request_triggers_on_its_own() -> None:
    result = plan([request("MKT-2", category="saas", status="Approved")], [])
    assert [a.kind for a in result.actions] == ["create_epic"]


def test_a_found_epic_gets_parents_stories_in_one_action_and_then_its_record() -> None:
    found = epic("IT-40", converged(["IT-10", "MKT-2"]))
    result = plan(SHARED, [found])
    kinds = [a.kind for a in result.actions]
    assert kinds == ["create_stories", "set_parent", "set_parent"]
    stories = result.actions[0]
    assert isinstance(stories, CreateStories)
    assert stories.items == ("api-credentials", "data-mapping", "monitoring")
    assert all(s["fields"]["parent"] == "IT-40" for s in stories.specs)
    # The stories exist: the record takes their keys, nothing else is planned.
    kids = [
        Issue(
            id=str(50 + n),
            key=f"IT-{50 + n}",
            parent="IT-40",
            labels=("bridge-checklist", f"bridge-checklist-{item}"),
        )
        for n, item in enumerate(stories.items)
    ]
    members = [m.model_copy(update={"parent": "IT-40"}) for m in SHARED]
    result = plan(members, [found], kids)
    [prop] = result.actions
    assert isinstance(prop, SetProperty) and prop.section == "epic"
    assert prop.value["checklist"] == {
        "api-credentials": "IT-50",
        "data-mapping": "IT-51",
        "monitoring": "IT-52",
    }
    done = epic("IT-40", dict(prop.value))
    assert plan(members, [done], kids).actions == ()


def test_a_checklist_story_a_person_deleted_is_not_created_again() -> None:
    record = converged(
        ["IT-10", "MKT-2"],
        checklist={"api-credentials": "IT-50", "data-mapping": "IT-51", "monitoring": "IT-52"},
    )
    members = [m.model_copy(update={"parent": "IT-40"}) for m in SHARED]
    assert plan(members, [epic("IT-40", record)], []).actions == ()


def test_an_issue_with_another_parent_is_linked_not_moved() -> None:
    members = [SHARED[0].model_copy(update={"parent": "IT-99"}), SHARED[1]]
    result = plan(members, [epic("IT-40", converged(["IT-10", "MKT-2"]))])
    links = [a for a in result.actions if isinstance(a, LinkEpic)]
    assert [(a.key, a.epic) for a in links] == [("MKT-2", "IT-40")]
    assert [n.kind for n in result.notes] == ["other-parent"]
    # Once linked, nothing more.
    linked = [
        members[0].model_copy(
            update={"links": (IssueLink(type="Relates", direction="outward", key="IT-40"),)}
        ),
        members[1],
    ]
    result = plan(linked, [epic("IT-40", converged(["IT-10", "MKT-2"]))])
    assert not [a for a in result.actions if isinstance(a, LinkEpic)]


def test_link_projects_link_instead_of_parent() -> None:
    base = rules()
    r = base.spec
    extra = EpicRules(
        spec=r.model_copy(
            update={"children": r.children.model_copy(update={"link_projects": ["MKT"]})}
        ),
        path=base.path,
    )
    result = plan(SHARED, [epic("IT-40", converged(["IT-10", "MKT-2"]))], r=extra)
    assert {(a.kind, a.key) for a in result.actions if isinstance(a, SetParent | LinkEpic)} == {
        ("link_epic", "MKT-2"),
        ("set_parent", "IT-10"),
    }


def test_a_deleted_epic_is_reported_not_recreated() -> None:
    result = plan(SHARED, [], created={"customer-data-platform"})
    assert result.actions == ()
    assert [n.kind for n in result.notes] == ["deleted"]


def test_a_renamed_initiative_takes_its_old_epic_along() -> None:
    items = {"api-credentials": "IT-50", "data-mapping": "IT-51", "monitoring": "IT-52"}
    old = epic("IT-40", converged(["IT-10", "MKT-2"], checklist=items))
    renamed = [
        m.model_copy(update={"custom": {"Initiative": "Customer data hub"}, "parent": "IT-40"})
        for m in SHARED
    ]
    result = plan(renamed, [old])
    assert result.epics == {"customer-data-hub": "IT-40"}
    assert [n.kind for n in result.notes] == ["renamed"]
    edit = next(a for a in result.actions if isinstance(a, EditEpic))
    assert edit.fields == {"summary": "Customer data hub (marketing + IT)"}
    prop = next(a for a in result.actions if isinstance(a, SetProperty))
    assert prop.value["initiative"] == "customer-data-platform"  # the stable key stays
    assert prop.value["aliases"] == ["customer-data-hub"]
    assert prop.value["names"] == ["Customer data hub", "Customer data platform"]


def test_no_rename_while_the_old_initiative_still_has_requests() -> None:
    old = epic("IT-40", converged(["IT-10", "MKT-2"]))
    issues = [*SHARED, request("MKT-3", "Customer data hub"), request("IT-11", "Customer data hub")]
    result = plan(issues, [old])
    assert result.epics["customer-data-platform"] == "IT-40"
    assert any(
        isinstance(a, CreateEpic) and a.initiative == "customer-data-hub" for a in result.actions
    )


def test_twins_keep_the_oldest_and_are_reported() -> None:
    newer = epic("IT-41", converged(["IT-10", "MKT-2"]), created=5)
    older = epic("IT-40", converged(["IT-10", "MKT-2"]), created=2)
    result = plan(SHARED, [newer, older])
    assert result.epics == {"customer-data-platform": "IT-40"}
    assert [n.kind for n in result.notes] == ["duplicate"]


def test_an_epic_a_person_labelled_is_adopted_and_a_person_summary_is_kept() -> None:
    adopted = epic("IT-40", None)  # labelled by hand: no record
    members = [m.model_copy(update={"parent": "IT-40"}) for m in SHARED]
    result = plan(members, [adopted])
    assert not [a for a in result.actions if isinstance(a, EditEpic)]
    stories = next(a for a in result.actions if isinstance(a, CreateStories))
    assert stories.key == "IT-40"


def test_epics_and_sub_tasks_are_never_members() -> None:
    issues = [*SHARED, request("IT-12", issue_type="Epic"), request("MKT-3", issue_type="Sub-task")]
    [initiative] = gather(issues, rules(), marketing="MKT", it="IT")
    assert [m.key for m in initiative.members] == ["IT-10", "MKT-2", "MKT-3"]
    result = plan(issues, [epic("IT-40", converged(["IT-10", "MKT-2", "MKT-3"]))])
    assert {a.key for a in result.actions if isinstance(a, SetParent)} == {"IT-10", "MKT-2"}


def test_counts_if_uses_the_rule_engine_predicates() -> None:
    from bridgeplugin.epics.step import _counts_if

    r = rules("counts_if: {not: {status_in: [Done]}}\n")
    counts = _counts_if(None, r, [])  # type: ignore[arg-type]  # no groups: Jira not asked
    done_it = [SHARED[0], request("IT-10", status="Done")]
    [initiative] = gather(done_it, r, marketing="MKT", it="IT", counts=counts)
    assert [m.key for m in initiative.members] == ["MKT-2"]
    assert not initiative.triggered  # IT's only issue does not count: not shared
    [initiative] = gather(SHARED, r, marketing="MKT", it="IT", counts=counts)
    assert initiative.triggered
