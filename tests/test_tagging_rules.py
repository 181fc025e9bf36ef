"""The shipped tagging rules: every file under rules/ loads, the shipped cases pass, the
`bridge rules test` runner reports failures with their trees, and quality does not regress.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bridgeplugin.cli import main
from bridgeplugin.rules import load_rules, load_vendors
from bridgeplugin.rules.load import kind_of
from bridgeplugin.rules.source import read_document
from bridgeplugin.rules_testing import case_files, case_issue, load_cases, run_cases
from bridgeplugin.tagging import Tagger

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
CORPUS = ROOT / "tests" / "data" / "tagging_corpus.yaml"
FRESH = ROOT / "tests" / "data" / "tagging_corpus_fresh.yaml"
FRESH2 = ROOT / "tests" / "data" / "tagging_corpus_fresh2.yaml"


def invoke(*args: str, env: dict[str, str] | None = None):
    # No BRIDGE_* from the developer's shell: the shipped rules, no site.
    clean = {"BRIDGE_JIRA_URL": "", "BRIDGE_RULES": "", "BRIDGE_CONFIG": ""}
    return CliRunner().invoke(main, list(args), env={**clean, **(env or {})})


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger.load(RULES)


# -- every shipped file is loaded -------------------------------------------------------------


def test_every_shipped_tagging_file_is_loaded_by_its_loader():
    """Each YAML file under rules/ declares a known kind; the tagging ones (rules, their test
    cases, the vendor catalog) load with the loaders sync and `bridge rules` use. Files of the
    other kinds (reviews, budgets, ...) are loaded by their own modules' tests."""
    files = sorted(RULES.rglob("*.y*ml"))
    loaded: dict[str, str] = {}
    for path in files:
        if path.name == "vendors.yaml":
            assert len(load_vendors(path)) >= 150
            loaded[path.name] = "vendors"
            continue
        kind = kind_of(read_document(path))  # an unknown kind raises here
        if kind == "tagging":
            assert len(load_rules(path, vendors=RULES / "vendors.yaml")) > 0
        elif kind == "tests":
            assert load_cases([path])
        loaded[path.name] = kind
    assert {k: v for k, v in loaded.items() if v in ("tagging", "tests", "vendors")} == {
        "tagging.yaml": "tagging",
        "tagging_tests.yaml": "tests",
        "vendors.yaml": "vendors",
    }


def test_the_shipped_rules_load_and_name_what_they_read(tagger: Tagger):
    assert {"Requested by", "Request Type"} <= tagger.custom_fields()
    assert {"marketing", "brand", "sales"} <= tagger.groups()
    assert tagger.rules.vendors is not None and len(tagger.rules.vendors) >= 150


def test_the_shipped_cases_pass_through_the_cli():
    result = invoke("rules", "test")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    cases = load_cases(case_files(RULES))
    assert f"{len(cases)} passed, 0 failed" in result.output
    assert len(cases) >= 40


def test_the_shipped_cases_cover_every_category_and_the_demo_seed():
    cases = [c.case for c in load_cases(case_files(RULES))]
    categories = {c.expect.category for c in cases if c.expect.category}
    assert categories == {
        "saas",
        "integration",
        "tracking",
        "data",
        "website",
        "mobile",
        "ai",
        "access",
        "infrastructure",
    }
    assert sum(c.name.startswith("demo-") for c in cases) >= 15
    assert any(c.expect.tech_request is False for c in cases)
    assert any(c.expect.marketing_originated is False for c in cases)


# -- the runner -------------------------------------------------------------------------------


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    return folder


def write_cases(folder: Path, cases: list[dict]) -> None:
    (folder / "tagging_tests.yaml").write_text(
        yaml.safe_dump({"kind": "tests", "cases": cases}, sort_keys=False), encoding="utf-8"
    )


PIXEL = {
    "project": "MKT",
    "reporter_groups": ["marketing"],
    "summary": "Add the Reddit pixel to the pricing page",
}


def test_a_failing_case_exits_1_with_what_differed_and_the_tree(rules_copy: Path):
    write_cases(
        rules_copy,
        [
            {"name": "passes", "issue": PIXEL, "expect": {"tag": True, "category": "tracking"}},
            {"name": "wrong-on-purpose", "issue": PIXEL, "expect": {"tech_request": False}},
        ],
    )
    result = invoke("rules", "test", "--rules", str(rules_copy))
    assert result.exit_code == 1, result.output
    assert "PASS passes" in result.output
    assert "FAIL wrong-on-purpose" in result.output
    assert "tech_request: expected false, got true" in result.output
    assert "tagging_tests.yaml:" in result.output  # where the case is
    # the reason tree of the rule that decided it
    assert "[true]  tracking -> tech_request: true, category: tracking" in result.output
    assert "summary mentions" in result.output and "'pixel'" in result.output
    assert "1 passed, 1 failed" in result.output


def test_json_report_lists_every_case(rules_copy: Path):
    write_cases(rules_copy, [{"name": "one", "issue": PIXEL, "expect": {"tag": False}}])
    result = invoke("rules", "test", "--rules", str(rules_copy), "--format", "json")
    assert result.exit_code == 1
    report = yaml.safe_load(result.output)  # JSON is YAML
    assert report["failed"] == 1 and report["cases"][0]["mismatches"] == [
        "tag: expected false, got true"
    ]


def test_a_rules_dir_without_cases_is_a_usage_error(rules_copy: Path):
    (rules_copy / "tagging_tests.yaml").unlink()
    result = invoke("rules", "test", "--rules", str(rules_copy))
    assert result.exit_code == 2
    assert "no test cases" in result.output


def test_a_case_with_an_unknown_key_names_file_and_line(rules_copy: Path):
    (rules_copy / "tagging_tests.yaml").write_text(
        "kind: tests\ncases:\n  - name: x\n    issue: {project: MKT, summary: hi}\n"
        "    expect: {tech_requets: true}\n",
        encoding="utf-8",
    )
    result = invoke("rules", "test", "--rules", str(rules_copy))
    assert result.exit_code == 2
    assert "tagging_tests.yaml:5" in result.output
    assert "unknown key 'tech_requets'" in result.output
    assert "did you mean 'tech_request'" in result.output


def test_duplicate_case_names_are_refused(rules_copy: Path):
    write_cases(rules_copy, [{"name": "twice", "issue": PIXEL, "expect": {}}] * 2)
    result = invoke("rules", "test", "--rules", str(rules_copy))
    assert result.exit_code == 2
    assert "test case name 'twice' is used twice" in result.output


def test_a_typo_in_a_rule_file_is_one_line_with_file_line_and_exit_2(rules_copy: Path):
    path = rules_copy / "tagging.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    if: {ref: requester_in_marketing}\n" in text
    path.write_text(
        text.replace("    if: {ref: requester_in_marketing}\n", "    if: {reff: x}\n", 1),
        encoding="utf-8",
    )
    line = path.read_text(encoding="utf-8").splitlines().index("    if: {reff: x}") + 1
    for command in (["rules", "validate", "--no-site"], ["rules", "test"]):
        result = invoke(*command, "--rules", str(rules_copy))
        assert result.exit_code == 2, result.output
        lines = [x for x in result.output.splitlines() if x.strip()]
        assert len(lines) == 1
        assert f"tagging.yaml:{line}:" in lines[0]
        assert "unknown predicate 'reff'" in lines[0] and "did you mean 'ref'" in lines[0]


# -- quality on the corpus ----------------------------------------------------------------------


def corpus_scores(
    tagger: Tagger, split: str, corpus: Path = CORPUS
) -> dict[str, tuple[float, float]]:
    counts = {q: [0, 0, 0] for q in ("tech_request", "marketing_originated")}  # tp, fp, fn
    for item in yaml.safe_load(corpus.read_text(encoding="utf-8")):
        if item["split"] != split:
            continue
        verdict = tagger.classify(*case_issue({**item, "key": item["id"]}))
        for q, c in counts.items():
            got, want = getattr(verdict, q), item[q]
            c[0] += got and want
            c[1] += got and not want
            c[2] += want and not got
    return {q: (tp / (tp + fp), tp / (tp + fn)) for q, (tp, fp, fn) in counts.items()}


def test_quality_on_the_tune_split_does_not_regress(tagger: Tagger):
    """The rules were tuned on this split; a change that loses ground here is a regression."""
    for question, (precision, recall) in corpus_scores(tagger, "tune").items():
        assert precision >= 0.97, (question, precision)
        assert recall >= 0.97, (question, recall)


def test_quality_on_the_fresh_set_does_not_regress(tagger: Tagger):
    """Session 3 tuned the rules on the fresh set too, so it no longer measures them (a third
    set does); like the tune split, it now guards against regressions."""
    for question, (precision, recall) in corpus_scores(tagger, "fresh", FRESH).items():
        assert precision >= 0.97, (question, precision)
        assert recall >= 0.97, (question, recall)


def test_quality_on_the_second_fresh_set_does_not_regress(tagger: Tagger):
    """Session 3's second round tuned the rules on the second fresh set too (a fourth set
    measures them now); like the fresh set, it guards against regressions."""
    for question, (precision, recall) in corpus_scores(tagger, "fresh2", FRESH2).items():
        assert precision >= 0.97, (question, precision)
        assert recall >= 0.97, (question, recall)


def test_runner_turns_a_corpus_item_into_the_issue_it_describes():
    issue, directory = case_issue(
        {
            "project": "IT",
            "issue_type": "Service Request",
            "reporter_groups": ["it-servicedesk"],
            "requested_by_groups": ["brand"],
            "request_type": "New software",
            "summary": "s",
            "id": "c999",  # corpus bookkeeping keys are ignored
            "split": "tune",
        }
    )
    assert issue.project == "IT" and issue.issue_type == "Service Request"
    assert issue.custom["Request Type"] == "New software"
    requester = issue.custom["Requested by"]
    assert directory.groups_of(requester.account_id) == frozenset({"brand"})
    assert directory.groups_of(issue.reporter.account_id) == frozenset({"it-servicedesk"})
    assert issue.creator == issue.reporter


def test_run_cases_flags_an_undecided_verdict(tmp_path: Path):
    """A rule that cannot be decided (a field the case lacks) fails the case, visibly."""
    (tmp_path / "tagging.yaml").write_text(
        "kind: tagging\nrules:\n  - name: big\n    if: {field: Cost, gt: 10}\n"
        "    then: {tech_request: true}\n",
        encoding="utf-8",
    )
    (tmp_path / "t.yaml").write_text(
        "kind: tests\ncases:\n  - name: no-cost\n    issue: {project: MKT, summary: s}\n"
        "    expect: {}\n",
        encoding="utf-8",
    )
    outcomes = run_cases(Tagger.load(tmp_path), load_cases([tmp_path / "t.yaml"]))
    assert outcomes[0].mismatches == ["a rule could not be decided (see the tree)"]


def test_a_vetoed_request_says_why_in_one_short_line(tagger: Tagger):
    """A false definition is cited by name, not by its whole vocabulary (result.decisive)."""
    issue, directory = case_issue(
        {
            "project": "MKT",
            "reporter_groups": ["marketing"],
            "summary": "Update hero image on the homepage in the CMS",
        }
    )
    verdict = tagger.classify(issue, directory)
    veto = next(r for r in verdict.reasons if r.startswith("not-technology"))
    assert veto == (
        "not-technology (veto): summary mentions 'image', 'in the cms', 'hero image'; "
        "clear_tech is false"
    )
    assert all(len(r) < 300 for r in verdict.reasons)
