"""The optimised evaluation agrees with a straightforward one, issue by issue.

``evaluate()`` decides the rules from their leaves' outcomes (a text index decides the text
predicates together; decisions are cached by leaf outcomes) and ``Tagger.classify`` builds
its reasons from that. Here both are compared with the plainest possible reference: every
rule's full result tree (``evaluate_rule``, on a fresh context), the verdicts folded from the
rule outcomes as the ``evaluate`` module doc says, the category of the first true rule
concluding tech_request that has one, and the reasons in the documented order, on the whole
labelled corpus and 5,000 generated issues of the sandbox's scaled seed, with the shipped
rules. Variants of the same issues cover the paths bulk data rarely takes: custom fields not
loaded, a directory that fails, no vendor catalog, non-ASCII text.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridgeplugin.model import Issue, User
from bridgeplugin.rules import (
    Context,
    Directory,
    Outcome,
    RuleResult,
    RuleSet,
    StaticDirectory,
    TaggingResult,
    evaluate,
    evaluate_rule,
)
from bridgeplugin.rules.evaluate import evaluate_each
from bridgeplugin.rules_testing import case_issue, seed_issues
from bridgeplugin.sandbox.generate import scaled_seed
from bridgeplugin.tagging import Tagger, TagVerdict

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "tagging_corpus.yaml"
TRUE, FALSE, ERROR = Outcome.TRUE, Outcome.FALSE, Outcome.ERROR


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.load(ROOT / "rules")


def corpus(tagger: Tagger) -> list[tuple[Issue, Directory]]:
    items = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return [case_issue({**i, "key": i["id"]}, fields=tagger.fields) for i in items]


def generated(tagger: Tagger, n: int = 5_000) -> list[tuple[Issue, Directory]]:
    """``n`` issues of the scaled seed as the gateway hands them over (as the benchmark)."""
    return list(seed_issues(scaled_seed(n, seed=7), tagger.custom_fields()))


class Failing:
    """A directory that is down."""

    def groups_of(self, account_id: str) -> frozenset[str]:
        raise ConnectionError("directory down")


def variants(issues: list[tuple[Issue, Directory]]) -> Iterator[tuple[Issue, Directory, bool]]:
    """Every 7th issue again with a twist: (issue, directory, use the rules' vendor catalog)."""
    for n, (issue, directory) in enumerate(issues[::7]):
        twist = n % 5
        if twist == 0:  # custom fields not loaded: "Requested by", "Request Type" errors
            yield issue.model_copy(update={"custom": {}}), directory, True
        elif twist == 1:
            yield issue, Failing(), True
        elif twist == 2:  # no catalog handed to the evaluation: vendor predicates are errors
            yield issue, directory, False
        elif twist == 3:  # non-ASCII text: regexes run without the lower-case pre-check
            text = {
                "summary": (issue.summary or "") + " \u2013 naïve café",
                "description": "Zürich: " + (issue.description or ""),
            }
            yield issue.model_copy(update=text), directory, True
        else:  # no text at all
            yield issue.model_copy(update={"summary": None, "description": None}), directory, True


# -- the reference ------------------------------------------------------------------------------


def reference_verdict(positive: list[Outcome], vetoes: list[Outcome]) -> Outcome:
    """The module doc of ``evaluate``: a true veto makes it false; otherwise Kleene OR of the
    positive rules, where an undecided veto turns a would-be true (or error) into error."""
    if TRUE in vetoes:
        return FALSE
    if TRUE in positive:
        return ERROR if ERROR in vetoes else TRUE
    if ERROR in positive:
        return ERROR
    return FALSE


def reference(rules: RuleSet, ctx: Context) -> dict[str, Any]:
    results = [evaluate_rule(rule, ctx) for rule in rules.rules]
    verdicts = {}
    for question in ("marketing_originated", "tech_request"):
        positive = [r.outcome for r in results if getattr(r.rule.then, question) is True]
        vetoes = [r.outcome for r in results if getattr(r.rule.then, question) is False]
        verdicts[question] = reference_verdict(positive, vetoes)
    category = None
    if verdicts["tech_request"] is TRUE:
        for r in results:
            if r.outcome is TRUE and r.rule.then.tech_request and r.category is not None:
                category = r.category
                break
    reasons = []
    for r in results:
        if r.outcome is TRUE:
            then = r.rule.then
            veto = " (veto)" if False in (then.marketing_originated, then.tech_request) else ""
            reasons.append(f"{r.name}{veto}: {r.reason}")
        elif r.outcome is ERROR:
            reasons.append(f"{r.name}: could not decide: {r.reason}")
    return {
        "outcomes": [r.outcome for r in results],
        "trees": [r.condition for r in results],
        "categories": [r.category for r in results],
        "reasons": reasons,
        "category": category,
        "results": results,
        **verdicts,
    }


def reference_classify(issue: Issue, ref: dict[str, Any], version: str) -> TagVerdict:
    """``bridge classify``'s verdict: reasons reordered so the first says who asked (the
    first true rule concluding marketing_originated) and the second what is asked."""
    results: list[RuleResult] = ref["results"]
    listed = [r for r in results if r.outcome is not FALSE]  # one reason each, in order
    firsts: list[int] = []
    for question in ("marketing_originated", "tech_request"):
        for index, r in enumerate(listed):
            if r.outcome is TRUE and getattr(r.rule.then, question) and index not in firsts:
                firsts.append(index)
                break
    reasons = ref["reasons"]
    ordered = [reasons[i] for i in firsts] + [x for i, x in enumerate(reasons) if i not in firsts]
    return TagVerdict(
        key=issue.key,
        marketing_originated=ref["marketing_originated"] is TRUE,
        tech_request=ref["tech_request"] is TRUE,
        category=ref["category"] if ref["tech_request"] is TRUE else None,
        reasons=tuple(ordered),
        rules_version=version,
        undecided=ERROR in (ref["marketing_originated"], ref["tech_request"]),
    )


def check(tagger: Tagger, issue: Issue, directory: Directory, with_catalog: bool) -> None:
    rules = tagger.rules

    def context() -> Context:
        if with_catalog:
            return rules.context(issue, directory, fields=tagger.fields)
        return Context(issue, directory, None, tagger.fields)

    ref = reference(rules, context())
    fast: TaggingResult = evaluate(rules, context())
    where = f"{issue.key}: {issue.summary!r}"
    assert [r.outcome for r in fast.rules] == ref["outcomes"], where
    assert (fast.marketing_originated, fast.tech_request, fast.category) == (
        ref["marketing_originated"],
        ref["tech_request"],
        ref["category"],
    ), where
    assert fast.reasons() == ref["reasons"], where
    assert [r.condition for r in fast.rules] == ref["trees"], where
    assert [r.category for r in fast.rules] == ref["categories"], where
    each = evaluate_each(rules, context())
    assert [r.outcome for r in each.rules] == ref["outcomes"], where
    assert (each.marketing_originated, each.tech_request, each.category) == (
        fast.marketing_originated,
        fast.tech_request,
        fast.category,
    ), where
    if with_catalog:
        verdict = tagger.classify(issue, directory)
        assert verdict == reference_classify(issue, ref, rules.version), where


def test_the_corpus_gets_the_reference_verdicts_reasons_and_trees(tagger: Tagger) -> None:
    issues = corpus(tagger)
    assert len(issues) >= 300
    for issue, directory in issues:
        check(tagger, issue, directory, True)
    for issue, directory, with_catalog in variants(issues):
        check(tagger, issue, directory, with_catalog)


def test_generated_issues_get_the_reference_verdicts_reasons_and_trees(tagger: Tagger) -> None:
    issues = generated(tagger)
    assert len(issues) == 5_000
    outcomes = set()
    for issue, directory in issues:
        check(tagger, issue, directory, True)
        outcomes.add(tagger.classify(issue, directory).tag)
    assert outcomes == {True, False}  # the mix has both
    for issue, directory, with_catalog in variants(issues):
        check(tagger, issue, directory, with_catalog)


def test_a_second_pass_over_cached_decisions_agrees_with_the_first(tagger: Tagger) -> None:
    """Decisions and word triggers are cached per rule set: the warm pass decides the same."""
    issues = corpus(tagger)
    first = [evaluate(tagger.rules, tagger.rules.context(i, d)).reasons() for i, d in issues]
    second = [evaluate(tagger.rules, tagger.rules.context(i, d)).reasons() for i, d in issues]
    assert first == second


# -- rules written to reach every path of the optimised evaluation -------------------------------

SYNTHETIC = r"""
kind: tagging
definitions:
  marketing:
    any:
      - reporter_in_group: [marketing]
      - requested_by_in_group: [marketing]
      - text: {regex: ['\b(i''m|we are|i work) (in|on) (the )?(marketing|brand) team\b']}
  tech_words:
    text:
      keywords: [api, pixel, "integrat*", sso, "Drift"]
      phrases: [tag manager, api key*, "the copy", a b test]
      regex: ['\w\s*(->|=>)\s*\w', '\bsso\b', 'utm_[a-z]+=', '^\s*connect\b']
  shouting:
    text: {keywords: [URGENT, "ASAP*"], phrases: [Tag Manager], case_sensitive: true}
  shouting_rx:
    text: {regex: ['[A-Z]{4,} NOW', 'Ärger'], case_sensitive: true}
  unfiltered:
    text: {regex: ['[a-z]+ [0-9]+', '(?i:mixed) case']}
  justified:
    text: {keywords: [export, csv], phrases: [customer data], in: [Justification, summary]}
  picked:
    text: {keywords: [high, urgent], in: [Priority pick]}
  # Text leaves whose regexes wait to be confirmed, together in all/any groups, one of them
  # reading a custom field that may be missing (an error unless a check confirms it).
  rx_pair:
    all:
      - text: {regex: ['customer (data|list)', '\bexport\b'], in: [Justification, description]}
      - text: {regex: ['\w\s*(->|=>)\s*\w', '\bsso\b']}
  rx_either:
    any:
      - text: {regex: ['\bapi\b.{0,20}\bkeys?\b'], in: [summary]}
      - text: {regex: ['\bexport\b.{0,30}\bdata\b'], in: [Justification, summary]}
  any_tech:
    any:
      - {ref: tech_words}
      - {ref: unfiltered}
      - vendor: {}
      - all: [{field: Cost, gt: 100}, not: {ref: shouting}]
signals:
  exact:
    threshold: 4
    in: [summary, description, Justification]
    keywords: {pixel: 3, crm: 2, api: 2, "integrat*": 2, webinar: -2, data: 1}
    phrases: {tag manager: 3, customer data: 3}
    regex: {'\bsso\b': 2, 'utm_[a-z]+': 2}
    vendors: {weight: 3, categories: [saas, tracking]}
  fractional:
    threshold: 0.3
    keywords: {pixel: 0.1, crm: 0.2, api: 0.1}
    regex: {'\bsso\b': 0.1}
    vendors: {weight: 0.1}
rules:
  - name: from-marketing
    if: {ref: marketing}
    then: {marketing_originated: true}
  - name: mkt-project
    if:
      all:
        - project_in: [MKT]
        - not: {reporter_in_group: [it]}
    then: {marketing_originated: true}
  - name: veto-it
    if:
      all:
        - reporter_in_group: [it]
        - {field: Requested by, is_empty: true}
    then: {marketing_originated: false}
  - name: veto-label
    if: {label_in: [not-marketing]}
    then: {marketing_originated: false}
  - name: no-category
    if: {ref: shouting}
    then: {tech_request: true}
  - name: vendor-category
    if:
      any:
        - vendor: {categories: [tracking, data]}
        - {ref: tech_words}
    then: {tech_request: true, category_from: vendor, category: fallback}
  - name: segment-vendor
    if: {vendor: {segments: [CRM, chat], in: [summary, Justification]}}
    then: {tech_request: true, category_from: vendor}
  - name: words
    if:
      any:
        - {ref: any_tech}
        - {ref: shouting_rx}
    then: {tech_request: true, category: words}
  - name: justified
    if: {ref: justified}
    then: {tech_request: true, category: data}
  - name: picked
    if:
      any:
        - {ref: picked}
        - request_type_in: [New software]
    then: {tech_request: true, category: picked}
  - name: scored
    if:
      any:
        - {signals: exact}
        - signals: {name: exact, threshold: 2}
        - {signals: fractional}
    then: {tech_request: true, category: scored}
  - name: rx-pair
    if: {ref: rx_pair}
    then: {tech_request: true, category: rx}
  - name: costly
    if: {field: Cost, gt: 1000}
    then: {tech_request: true, category: spend}
  - name: veto-copy
    if:
      all:
        - text: {phrases: [the copy, press release]}
        - not: {ref: any_tech}
    then: {tech_request: false}
  - name: veto-rx
    if: {all: [{ref: rx_either}, {text: {regex: ['\bwebinar\b', 'press rel']}}]}
    then: {tech_request: false}
  - name: veto-review
    if:
      any:
        - label_in: [review]
        - text: {in: [summary], regex: ['^\s*review\s*:']}
    then: {tech_request: false}
"""

WORD_TEXT = (
    "api pixel pixels integration integrating sso drift Drift segment Segment tag manager key"
    " keys the copy a b test URGENT urgent ASAP ASAPly Tag Manager NOW LOUD WORDS NOW i'm we are"
    " i work in on marketing brand team connect HubSpot Hub Spot GA4 Google Analytics Meta Pixel"
    " Sprout Social export csv customer data crm webinar utm_source= data press release review:"
    " -> => <-> mixed MIXED case abc 123 hello world please need for with café naïve Ärger ärger"
    " reintegration apis rapid xsso ssox tagmanager keyed api-keys utm_x= preASAP"
)
WORDS = WORD_TEXT.split()


class Str:
    """A field value whose text cannot be built (``str()`` fails)."""

    def __str__(self) -> str:
        raise ValueError("no text")


def synthetic_issues(n: int, seed: int) -> Iterator[tuple[Issue, Directory]]:
    import random

    rng = random.Random(seed)
    groups = StaticDirectory({"m": ["marketing"], "i": ["it"], "x": ["sales"]})
    for i in range(n):

        def text() -> str | None:
            if rng.random() < 0.05:
                return None
            words = rng.choices(WORDS, k=rng.randint(0, 12))
            seps = [rng.choice([" ", " ", ", ", "-", ". ", "  "]) for _ in words]
            return "".join(w + s for w, s in zip(words, seps, strict=True))

        custom: dict[str, Any] = {}
        for name, values in (
            ("Justification", [None, "export of customer data", ["csv", "x"], {"value": "api"}]),
            ("Priority pick", [None, "high", {"name": "Urgent"}, Str(), 7]),
            ("Requested by", [None, "m", "x", User(account_id="m", display_name="M")]),
            ("Request Type", [None, "New software", {"requestType": {"name": "Other"}}]),
            ("Cost", [None, 5, 5000, "lots"]),
        ):
            if rng.random() < 0.85:  # else: not loaded (an error where it is read)
                custom[name] = rng.choice(values)
        reporter = rng.choice([None, "m", "i", "x"])
        issue = Issue(
            id=str(i),
            key=f"SYN-{i}",
            project=rng.choice(["MKT", "IT", None]),
            issue_type="Task",
            summary=text(),
            description=text(),
            reporter=User(account_id=reporter, display_name=reporter) if reporter else None,
            labels=tuple(rng.sample(["review", "not-marketing", "x"], rng.randint(0, 2))),
            custom=custom,
        )
        yield issue, (Failing() if rng.random() < 0.05 else groups)


def synthetic_tagger(tmp_path: Path) -> Tagger:
    from rulekit import CATALOG_ENTRIES

    (tmp_path / "tagging.yaml").write_text(SYNTHETIC, encoding="utf-8")
    (tmp_path / "vendors.yaml").write_text(yaml.safe_dump({"vendors": CATALOG_ENTRIES}))
    return Tagger.load(tmp_path)


@pytest.mark.parametrize("inline", [True, False], ids=["inlined", "one-function-per-definition"])
def test_synthetic_rules_get_the_reference_verdicts_reasons_and_trees(
    tmp_path: Path, inline: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every path: missing and unreadable custom fields, a failing directory, no catalog,
    case-sensitive and non-ASCII text, prefixes, regexes without a usable literal, signal sets
    with fractional weights, rules without a category, vendor categories and segments."""
    module = importlib.import_module("bridgeplugin.rules.evaluate")  # not the function
    if not inline:
        monkeypatch.setattr(module, "_INLINE_LIMIT", 0)
    tagger = synthetic_tagger(tmp_path)
    verdicts = set()
    for n, (issue, directory) in enumerate(synthetic_issues(3_000, seed=11)):
        check(tagger, issue, directory, n % 10 != 0)
        verdicts.add(tagger.classify(issue, directory).to_json()["tag"])
    assert verdicts == {True, False}
    plan = module._plan(tagger.rules)
    assert ("def d0(" in plan._source) is not inline
