"""plan.py is pure: issues, verdicts and facts in, actions out. One sentence per case."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bridgeplugin.model import Issue
from bridgeplugin.plan import (
    AddComment,
    AddLabel,
    Facts,
    Needs,
    RemoveLabel,
    SetProperty,
    merged_property,
    needs,
    plan_issue,
    plan_tagging,
)
from bridgeplugin.render import Renderer
from bridgeplugin.tagging import TagVerdict

LABEL = "marketing-tech-request"
VERSION = "a" * 64
RENDER = Renderer()


def issue(
    labels: tuple[str, ...] = (), record: dict[str, Any] | None = None, **other: Any
) -> Issue:
    properties: dict[str, Any] = dict(other.pop("properties", {}))
    if record is not None:
        properties.setdefault("bridge", {})["tagging"] = record
    return Issue(id="10001", key="MKT-1", labels=labels, properties=properties, **other)


def verdict(tag: bool = True, *, undecided: bool = False, version: str = VERSION) -> TagVerdict:
    return TagVerdict(
        key="MKT-1",
        marketing_originated=True,
        tech_request=tag,
        category="saas" if tag else None,
        reasons=("mkt: project MKT is in [MKT]", "vendor: summary mentions vendor 'HubSpot'"),
        rules_version=version,
        undecided=undecided,
    )


def tagged_record(**changes: Any) -> dict[str, Any]:
    return {
        "tag": True,
        "category": "saas",
        "reasons": list(verdict().reasons),
        "rules_version": VERSION,
        "label": LABEL,
        "label_added_by_bridge": True,
        "commented": True,
        **changes,
    }


NO_FACTS = Facts()


def plan(i: Issue, v: TagVerdict, facts: Facts = NO_FACTS) -> list[Any]:
    return plan_issue(i, v, facts, label=LABEL, render=RENDER)


def kinds(actions: list[Any]) -> list[str]:
    return [a.kind for a in actions]


def test_a_new_request_gets_label_comment_and_record_in_that_order() -> None:
    actions = plan(issue(), verdict(), Facts(last_marker="none"))

    assert kinds(actions) == ["add_label", "add_comment", "set_property"]
    assert actions[0] == AddLabel("MKT-1", "10001", label=LABEL)
    assert actions[1].body.splitlines()[0] == (
        "bridgeplugin: tagged as a marketing technology request (saas)"
    )
    assert actions[2].value == tagged_record()


def test_a_request_already_tagged_and_recorded_plans_nothing() -> None:
    assert plan(issue((LABEL,), tagged_record()), verdict()) == []
    assert needs(issue((LABEL,), tagged_record()), verdict(), LABEL) == Needs()


def test_a_label_a_person_added_is_not_claimed() -> None:
    i = issue((LABEL,))
    assert needs(i, verdict(), LABEL) == Needs(provenance=True, comments=True)

    actions = plan(i, verdict(), Facts(label_added_by_me=False, last_marker="none"))

    assert kinds(actions) == ["add_comment", "set_property"]
    assert actions[-1].value["label_added_by_bridge"] is False


def test_a_persons_label_once_recorded_needs_no_second_look() -> None:
    i = issue((LABEL,), tagged_record(label_added_by_bridge=False))
    assert needs(i, verdict(), LABEL) == Needs()
    assert plan(i, verdict()) == []


def test_a_crash_after_the_label_keeps_the_label_ours() -> None:
    # The label is there, no record yet: the changelog says the plugin added it.
    actions = plan(issue((LABEL,)), verdict(), Facts(label_added_by_me=True, last_marker="none"))

    assert actions[-1].value["label_added_by_bridge"] is True


def test_a_crash_after_the_comment_posts_no_second_comment() -> None:
    actions = plan(issue((LABEL,)), verdict(), Facts(label_added_by_me=True, last_marker="tagged"))

    assert kinds(actions) == ["set_property"]
    assert actions[0].value == tagged_record()


def test_new_rules_that_still_tag_only_rewrite_the_record() -> None:
    actions = plan(issue((LABEL,), tagged_record()), verdict(version="b" * 64))

    assert kinds(actions) == ["set_property"]
    assert actions[0].value["rules_version"] == "b" * 64


def test_untagging_removes_the_plugins_label_and_says_so_once() -> None:
    i = issue((LABEL, "social"), tagged_record())
    assert needs(i, verdict(False), LABEL) == Needs(provenance=True, comments=True)

    actions = plan(i, verdict(False), Facts(label_added_by_me=True, last_marker="tagged"))

    assert kinds(actions) == ["remove_label", "add_comment", "set_property"]
    assert actions[0] == RemoveLabel("MKT-1", "10001", label=LABEL)
    body = actions[1].body
    assert body.startswith("bridgeplugin: no longer tagged as a marketing technology request")
    assert f"The label {LABEL} was removed" in body
    assert actions[2].value["tag"] is False
    assert actions[2].value["label_added_by_bridge"] is False


def test_untagging_never_removes_a_persons_label() -> None:
    record = tagged_record(label_added_by_bridge=False)
    actions = plan(issue((LABEL,), record), verdict(False), Facts(last_marker="tagged"))

    assert kinds(actions) == ["add_comment", "set_property"]
    assert "stays: a person added it" in actions[0].body


def test_a_label_a_person_re_added_after_the_plugin_stays() -> None:
    # The record says ours, but the latest addition in the changelog is a person's.
    facts = Facts(label_added_by_me=False, last_marker="tagged")
    actions = plan(issue((LABEL,), tagged_record()), verdict(False), facts)

    assert "remove_label" not in kinds(actions)


def test_an_untag_interrupted_after_its_comment_only_writes_the_record() -> None:
    actions = plan(issue((), tagged_record()), verdict(False), Facts(last_marker="untagged"))

    assert kinds(actions) == ["set_property"]


def test_an_undecided_verdict_changes_nothing_even_on_a_tagged_request() -> None:
    i = issue((LABEL,), tagged_record())
    v = verdict(False, undecided=True)
    assert needs(i, v, LABEL) == Needs()
    assert plan(i, v) == []


def test_a_request_never_tagged_needs_no_lookups_and_plans_nothing() -> None:
    i = issue((LABEL,))  # even with the label: a person's, nothing to undo
    assert needs(i, verdict(False), LABEL) == Needs()
    assert plan(i, verdict(False)) == []


def test_other_keys_of_the_bridge_property_are_kept() -> None:
    reviews = {"security": {"key": "MKT-99"}}
    i = issue(properties={"bridge": {"reviews": reviews}})

    actions = plan(i, verdict(), Facts(last_marker="none"))

    written = merged_property([a for a in actions if isinstance(a, SetProperty)])
    assert written == {"reviews": reviews, "tagging": tagged_record()}


def test_the_record_is_kept_within_jiras_32768_characters() -> None:
    long = TagVerdict(
        key="MKT-1",
        marketing_originated=True,
        tech_request=True,
        category="saas",
        reasons=tuple(f"reason {n}: " + "x" * 2000 for n in range(40)),
        rules_version=VERSION,
    )

    (prop,) = [
        a for a in plan(issue(), long, Facts(last_marker="none")) if a.kind == "set_property"
    ]

    size = len(json.dumps(merged_property([prop]), ensure_ascii=False, separators=(",", ":")))
    assert size <= 32_768
    assert prop.value["reasons"][-1].endswith("more reasons left out")
    assert all(len(r) <= 1000 for r in prop.value["reasons"])


def test_a_fact_the_load_did_not_look_up_is_a_bug_not_a_guess() -> None:
    with pytest.raises(ValueError, match="last_marker"):
        plan(issue(), verdict())


def test_the_plan_orders_by_phase_and_counts_verdicts() -> None:
    issues = [
        Issue(id="1", key="MKT-1"),
        Issue(
            id="2",
            key="MKT-2",
            labels=(LABEL,),
            properties={"bridge": {"tagging": tagged_record()}},
        ),
        Issue(id="3", key="MKT-3"),
    ]
    verdicts = {
        "MKT-1": verdict().model_copy(update={"key": "MKT-1"}),
        "MKT-2": verdict(False).model_copy(update={"key": "MKT-2"}),
        "MKT-3": verdict(False, undecided=True).model_copy(update={"key": "MKT-3"}),
    }
    facts = {
        "MKT-1": Facts(last_marker="none"),
        "MKT-2": Facts(label_added_by_me=True, last_marker="tagged"),
    }

    result = plan_tagging(issues, verdicts, facts, label=LABEL, render=RENDER)

    assert [(a.kind, a.key) for a in result.actions] == [
        ("add_label", "MKT-1"),
        ("remove_label", "MKT-2"),
        ("add_comment", "MKT-1"),
        ("add_comment", "MKT-2"),
        ("set_property", "MKT-1"),
        ("set_property", "MKT-2"),
    ]
    assert (result.tagged, result.untagged, result.held) == (("MKT-1",), ("MKT-2",), ("MKT-3",))
    assert [isinstance(a, AddComment) for a in result.actions].count(True) == 2


def test_actions_say_what_they_do_in_json() -> None:
    actions = plan(issue(), verdict(), Facts(last_marker="none"))
    assert actions[0].to_json() == {
        "kind": "add_label",
        "key": "MKT-1",
        "detail": LABEL,
    }
    assert (
        actions[2].to_json()["detail"] == "bridge.tagging: tag=yes category=saas rules=aaaaaaaaaaaa"
    )
