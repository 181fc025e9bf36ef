"""``Tagger.classify``: reasons rendered when first read, tokenised texts not kept meanwhile."""

from __future__ import annotations

import gc
import types
from pathlib import Path
from typing import Any

from bridgeplugin.model import Issue, User
from bridgeplugin.rules import StaticDirectory
from bridgeplugin.rules.text import TextView
from bridgeplugin.tagging import Tagger, TagVerdict

RULES = Path(__file__).resolve().parents[2] / "rules"


def reachable_texts(root: object) -> list[TextView]:
    """TextViews reachable from ``root`` through data (not through modules or globals)."""
    seen: set[int] = set()
    todo: list[Any] = [root]
    found: list[TextView] = []
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType | str | bytes):
            continue
        seen.add(id(obj))
        if isinstance(obj, TextView):
            found.append(obj)
            continue
        if isinstance(obj, types.FunctionType):  # its closure, not its module's globals
            todo.extend(cell.cell_contents for cell in obj.__closure__ or ())
            continue
        if isinstance(obj, dict) and "__builtins__" in obj:
            continue  # a namespace (the compiled rules' globals)
        todo.extend(gc.get_referents(obj))
    return found


def an_issue() -> tuple[Issue, StaticDirectory]:
    dana = User(account_id="dana", display_name="Dana")
    issue = Issue(
        id="1",
        key="MKT-1",
        project="MKT",
        summary="Trial of Sprout Social for the social team",
        description="We are the brand team; we'd like to connect it to HubSpot -> Salesforce.",
        reporter=dana,
        custom={"Requested by": None, "Request Type": None},
    )
    return issue, StaticDirectory({"dana": ["marketing"]})


def test_a_verdict_renders_its_reasons_when_read_and_keeps_no_tokenised_text() -> None:
    tagger = Tagger.load(RULES)
    issue, directory = an_issue()
    verdict = tagger.classify(issue, directory)
    assert verdict.tag
    assert reachable_texts(verdict) == []
    explained = tagger.explain(issue, directory)
    assert set(verdict.reasons) == set(explained.reasons())
    assert verdict.reasons[0].startswith("reporter-in-marketing:")  # who asked comes first


def test_a_verdict_with_reasons_given_compares_and_copies_like_the_model_it_was() -> None:
    fields: dict[str, Any] = {
        "key": "MKT-1",
        "marketing_originated": True,
        "tech_request": True,
        "category": "saas",
        "rules_version": "v1",
    }
    given = TagVerdict(reasons=["a: b"], **fields)
    lazy = TagVerdict(reasons=lambda: ("a: b",), **fields)
    assert given == lazy and hash(given) == hash(lazy)
    assert given.reasons == ("a: b",)
    assert given.model_copy(update={"key": "MKT-2"}).key == "MKT-2"
    assert given.to_json()["tag"] is True
