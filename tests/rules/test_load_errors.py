"""Every broken rule file is refused with file:line, what is wrong, and what would be valid."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from rulekit import CATALOG_ENTRIES

from bridgeplugin.errors import RuleFileError
from bridgeplugin.rules import load_rules

HEAD = "kind: tagging\nrules:\n"


@dataclass
class Bad:
    name: str
    text: str  # the rule file (dedented)
    line: int
    message: tuple[str, ...]  # fragments of the message
    hint: tuple[str, ...] = ()  # fragments of the hint ("did you mean ...", valid values)
    with_catalog: bool = False

    def __str__(self) -> str:
        return self.name


def rule(body: str) -> str:
    """A file with one rule named 'r' whose if/then are ``body`` (YAML, 4-space indented)."""
    return HEAD + "  - name: r\n" + textwrap.indent(textwrap.dedent(body), "    ")


CASES = [
    Bad(
        "an unknown key in then suggests the closest valid one",
        rule("if: {project_in: [MKT]}\nthen: {tech_request: true, catgory: saas}\n"),
        5,
        ("rule 'r', then: unknown key 'catgory'",),
        (
            "did you mean 'category'?",
            "valid keys: category, category_from, marketing_originated, tech_request",
        ),
    ),
    Bad(
        "an unknown top-level key lists the valid ones",
        "kind: tagging\nrule:\n  - name: r\n",
        2,
        ("unknown key 'rule'",),
        ("did you mean 'rules'?", "valid keys: definitions, description, kind, rules, signals"),
    ),
    Bad(
        "an unknown key in a rule is found on its own line",
        rule("if: {project_in: [MKT]}\nthen: {tech_request: true}\ndescripton: x\n"),
        6,
        ("rule 'r': unknown key 'descripton'",),
        ("did you mean 'description'?",),
    ),
    Bad(
        "an unknown predicate lists the predicates",
        rule("if:\n  all:\n    - projet_in: [MKT]\nthen: {tech_request: true}\n"),
        6,
        ("rule 'r', if.all[0]: unknown predicate 'projet_in'",),
        ("did you mean 'project_in'?", "valid predicates: all, any,", "vendor"),
    ),
    Bad(
        "a predicate with two keys asks for all/any",
        rule("if: {project_in: [MKT], label_in: [x]}\nthen: {tech_request: true}\n"),
        4,
        ("a predicate has exactly one key, found 2: project_in, label_in",),
        ("combine predicates with all: [...] or any: [...]",),
    ),
    Bad(
        "a bad regex names its line and the regex error",
        rule(
            "if:\n  text:\n    regex:\n      - 'ok'\n      - '(unclosed'\n"
            "then: {tech_request: true}\n"
        ),
        8,
        (
            "rule 'r', if.text.regex[1]: bad regex '(unclosed': missing ), unterminated "
            "subpattern at position 0",
        ),
        ("single quotes",),
    ),
    Bad(
        "a bad regex in a signal set names its line",
        "kind: tagging\nsignals:\n  tech:\n    threshold: 1\n    regex:\n      '[a-': 2\n"
        "rules:\n  - name: r\n    if: {signals: tech}\n    then: {tech_request: true}\n",
        6,
        ("signal 'tech', regex: bad regex '[a-': unterminated character set",),
    ),
    Bad(
        "a key written twice in one mapping is refused",
        rule("if: {project_in: [MKT]}\nthen: {tech_request: true}\nthen: {tech_request: false}\n"),
        6,
        ("key 'then' appears twice in one mapping (first on line 5)",),
    ),
    Bad(
        "an unknown kind suggests the closest kind",
        "kind: taging\nrules: []\n",
        1,
        ("unknown kind 'taging'",),
        ("did you mean 'tagging'?", "valid kinds: tagging, reviews, epics, budgets"),
    ),
    Bad(
        "a file without a kind says how to start it",
        "rules: []\n",
        1,
        ("missing key 'kind'",),
        ("start the file with kind: tagging",),
    ),
    Bad(
        "a YAML boolean where text belongs asks for quotes",
        rule("if:\n  project_in: [MKT, NO]\nthen: {tech_request: true}\n"),
        5,
        ("rule 'r', if.project_in[1]: expected text, got False",),
        ("write it in quotes: 'NO'",),
    ),
    Bad(
        "a single value where a list belongs shows how to write a list",
        rule("if: {project_in: MKT}\nthen: {tech_request: true}\n"),
        4,
        ("expected a list, got 'MKT'",),
        ("write a list as [a, b]",),
    ),
    Bad(
        "a field comparison needs exactly one operator",
        rule("if: {field: Cost, gt: 1, lt: 5}\nthen: {tech_request: true}\n"),
        4,
        ("field needs exactly one comparison", "(found: gt, lt)"),
    ),
    Bad(
        "a misspelt field operator suggests the right one",
        rule("if:\n  field: Cost\n  gte: 1\n  greater: 5\nthen: {tech_request: true}\n"),
        7,
        ("rule 'r', if: unknown key 'greater'",),
        ("valid keys: contains, eq, field, gt, gte",),
    ),
    Bad(
        "a keyword with several words belongs under phrases",
        rule("if: {text: {keywords: [pixel, tag manager]}}\nthen: {tech_request: true}\n"),
        4,
        ("keyword 'tag manager' has several words",),
        ("list it under phrases:",),
    ),
    Bad(
        "two spellings of one keyword are refused",
        rule("if: {text: {keywords: [pixel, Pixel]}}\nthen: {tech_request: true}\n"),
        4,
        ("'Pixel' matches the same words as 'pixel'",),
    ),
    Bad(
        "a keyword without letters cannot match",
        rule("if: {text: {keywords: ['--']}}\nthen: {tech_request: true}\n"),
        4,
        ("'--' has no letters or digits to match",),
    ),
    Bad(
        "a star inside a word is refused",
        rule("if: {text: {keywords: ['pi*xel']}}\nthen: {tech_request: true}\n"),
        4,
        ("only a trailing * (a word prefix) is supported",),
    ),
    Bad(
        "text needs something to match",
        rule("if: {text: {in: [summary]}}\nthen: {tech_request: true}\n"),
        4,
        ("text needs at least one of keywords, phrases or regex",),
    ),
    Bad(
        "an unknown definition lists the definitions",
        "kind: tagging\ndefinitions:\n  from_marketing: {project_in: [MKT]}\n"
        "rules:\n  - name: r\n    if: {ref: from_marketting}\n    then: {tech_request: true}\n",
        6,
        ("unknown definition 'from_marketting'",),
        ("did you mean 'from_marketing'?", "definitions in this file: from_marketing"),
    ),
    Bad(
        "definitions that refer to each other in a circle are refused",
        "kind: tagging\ndefinitions:\n  a: {ref: b}\n  b: {any: [{ref: a}]}\n"
        "rules:\n  - name: r\n    if: {ref: a}\n    then: {tech_request: true}\n",
        3,
        ("definitions refer to each other in a circle: a -> b -> a",),
    ),
    Bad(
        "an unknown signal set lists the sets",
        "kind: tagging\nsignals:\n  tech: {threshold: 1, keywords: {api: 1}}\n"
        "rules:\n  - name: r\n    if: {signals: teck}\n    then: {tech_request: true}\n",
        6,
        ("unknown signal set 'teck'",),
        ("did you mean 'tech'?",),
    ),
    Bad(
        "a vendor predicate without a catalog says where the catalog goes",
        rule("if: {vendor: {}}\nthen: {tech_request: true}\n"),
        4,
        ("vendor matching needs the vendor catalog, and none was loaded",),
        ("put vendors.yaml next to the rule files",),
    ),
    Bad(
        "an unknown vendor category lists the catalog's categories",
        rule("if: {vendor: {categories: [tracking, sass]}}\nthen: {tech_request: true}\n"),
        4,
        ("unknown vendor category 'sass'",),
        ("did you mean 'saas'?", "the catalog's category values: data, saas, tracking"),
        with_catalog=True,
    ),
    Bad(
        "category_from vendor needs a vendor predicate",
        rule("if: {project_in: [MKT]}\nthen: {tech_request: true, category_from: vendor}\n"),
        5,
        ("category_from: vendor needs a vendor predicate in the rule's if",),
    ),
    Bad(
        "a category belongs to tech requests",
        rule("if: {project_in: [MKT]}\nthen: {marketing_originated: true, category: saas}\n"),
        5,
        ("category and category_from go with tech_request: true",),
    ),
    Bad(
        "then must conclude something",
        rule("if: {project_in: [MKT]}\nthen: {}\n"),
        5,
        ("then needs marketing_originated or tech_request",),
    ),
    Bad(
        "a rule name must be a slug",
        HEAD + "  - name: Mkt Origin\n"
        "    if: {project_in: [MKT]}\n    then: {tech_request: true}\n",
        3,
        ("'Mkt Origin' is not a valid name",),
        ("lower-case letters, digits",),
    ),
    Bad(
        "a rule without if says which keys are required",
        HEAD + "  - name: r\n    then: {tech_request: true}\n",
        3,
        ("rule 'r': missing key 'if'",),
        ("required keys: if, name, then",),
    ),
    Bad(
        "not takes a single predicate",
        rule("if: {not: [{project_in: [MKT]}]}\nthen: {tech_request: true}\n"),
        4,
        ("not takes one predicate, not a list",),
    ),
    Bad(
        "all takes a non-empty list",
        rule("if: {all: []}\nthen: {tech_request: true}\n"),
        4,
        ("all takes a non-empty list of predicates",),
    ),
    Bad(
        "a YAML syntax error names its line", rule("if: {project_in: [MKT}\n"), 4, ("invalid YAML",)
    ),
    Bad("an empty file is refused", "# nothing here\n", 1, ("the file is empty",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_broken_rule_file_is_refused_with_its_place_and_a_fix(case: Bad, tmp_path: Path) -> None:
    path = tmp_path / "tagging.yaml"
    path.write_text(case.text)
    if case.with_catalog:
        (tmp_path / "vendors.yaml").write_text(yaml.safe_dump({"vendors": CATALOG_ENTRIES}))
    with pytest.raises(RuleFileError) as caught:
        load_rules(tmp_path)
    err = caught.value
    assert str(err).startswith(f"{path}:{case.line}: "), str(err)
    assert (err.path, err.line) == (str(path), case.line)
    for fragment in case.message:
        assert fragment in err.message, f"{fragment!r} not in {err.message!r}"
    for fragment in case.hint:
        assert err.hint and fragment in err.hint, f"{fragment!r} not in hint {err.hint!r}"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_duplicate_rule_names_across_files_name_both_places(tmp_path: Path) -> None:
    first = write(
        tmp_path / "a.yaml",
        HEAD + "  - name: r\n    if: {project_in: [A]}\n    then: {tech_request: true}\n",
    )
    second = write(
        tmp_path / "b.yaml",
        HEAD + "  - name: x\n    if: {project_in: [B]}\n"
        "    then: {tech_request: true}\n  - name: r\n    if: {project_in: [C]}\n"
        "    then: {tech_request: true}\n",
    )
    with pytest.raises(RuleFileError) as caught:
        load_rules(tmp_path)
    assert str(caught.value).startswith(f"{second}:6: rule name 'r' is used twice")
    assert f"(first at {first}:3)" in str(caught.value)


def test_a_directory_without_tagging_files_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "reviews.yaml", "kind: reviews\n")
    with pytest.raises(RuleFileError, match="no rule file of kind 'tagging' found"):
        load_rules(tmp_path)


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="no such file or directory"):
        load_rules(tmp_path / "nope")


def test_a_broken_vendor_catalog_beside_the_rules_is_refused_by_line(tmp_path: Path) -> None:
    write(
        tmp_path / "tagging.yaml",
        HEAD + "  - name: r\n    if: {vendor: {}}\n    then: {tech_request: true}\n",
    )
    catalog = write(
        tmp_path / "vendors.yaml",
        "vendors:\n  - name: HubSpot\n    category: saas\n    segmnt: CRM\n",
    )
    with pytest.raises(RuleFileError) as caught:
        load_rules(tmp_path)
    assert str(caught.value).startswith(f"{catalog}:4: vendors[0]: unknown key 'segmnt'")
    assert "did you mean 'segment'?" in str(caught.value)
