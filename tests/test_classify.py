"""classify.py: Jira JSON in (v2 and v3, one issue, a list, a search page), issues and
directories out; and ``bridge classify`` offline (``--directory``), from files and stdin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridgeplugin.classify import (
    FileDirectory,
    complete_fields,
    issue_from_json,
    load_directory,
    parse_issue_json,
)
from bridgeplugin.cli import main
from bridgeplugin.errors import InputError
from bridgeplugin.model import User

DANA = {"accountId": "5b10a", "displayName": "Dana", "emailAddress": "dana@example.com"}
OMAR = {"accountId": "7c22f", "displayName": "Omar", "emailAddress": "omar@example.com"}


def raw_issue(
    key: str,
    summary: str,
    description: object = None,
    *,
    project: str = "MKT",
    reporter: dict = DANA,
    **fields: object,
) -> dict:
    return {
        "id": key.split("-")[1],
        "key": key,
        "fields": {
            "summary": summary,
            "description": description,
            "project": {"key": project},
            "issuetype": {"name": "Task"},
            "reporter": reporter,
            "creator": reporter,
            "labels": [],
            **fields,
        },
    }


def adf(text: str) -> dict:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


PIXEL = raw_issue("MKT-1", "Add the Reddit pixel to the pricing page", "For the launch.")
FLYERS = raw_issue("MKT-2", "Print 2,000 flyers for the roadshow", "A5, double sided.")
SALES_SEATS = raw_issue(
    "IT-3", "Gong licences for the new AEs", "6 seats.", project="IT", reporter=OMAR
)


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "keys"),
    [
        (PIXEL, ["MKT-1"]),
        ([PIXEL, FLYERS], ["MKT-1", "MKT-2"]),
        ({"issues": [PIXEL, FLYERS], "nextPageToken": "x", "isLast": False}, ["MKT-1", "MKT-2"]),
        ({"startAt": 0, "maxResults": 50, "total": 1, "issues": [SALES_SEATS]}, ["IT-3"]),
    ],
    ids=["one issue", "a list", "an enhanced search page", "a v2 search page"],
)
def test_every_shape_jira_answers_is_read(document: object, keys: list[str]):
    batch = parse_issue_json(json.dumps(document))
    assert [i["key"] for i in batch.issues] == keys


def test_malformed_json_names_line_and_column():
    with pytest.raises(InputError) as err:
        parse_issue_json('{"key": "MKT-1",\n "fields": {"summary": "x"\n}', "in.json")
    assert str(err.value).startswith("in.json:3:2: malformed JSON: Expecting ',' delimiter")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("42", "expected an issue, a list of issues or a search page, got int"),
        ('[{"fields": {}}]', "issue #1 is not a Jira issue (an object with a key)"),
        ('{"key": "A-1", "fields": []}', "issue A-1: fields is not an object"),
        ('{"issues": [], "names": ["x"]}', "names must map field ids to names"),
    ],
)
def test_json_that_is_not_issues_is_refused_clearly(document: str, message: str):
    with pytest.raises(InputError) as err:
        parse_issue_json(document)
    assert message in str(err.value)


def test_v3_adf_description_is_read_as_text():
    issue = issue_from_json(raw_issue("MKT-9", "s", adf("Please add the TikTok pixel.")))
    assert issue.description == "Please add the TikTok pixel."


def test_v2_fields_become_the_model():
    raw = raw_issue("MKT-9", "s", "plain text", labels=["tracking"], components=[{"name": "Web"}])
    issue = issue_from_json(raw)
    assert (issue.key, issue.project, issue.issue_type) == ("MKT-9", "MKT", "Task")
    assert issue.labels == ("tracking",) and issue.components == ("Web",)
    assert issue.reporter == User(account_id="5b10a", display_name="Dana", email="dana@example.com")


def test_custom_fields_are_named_from_the_names_map_else_keep_their_id():
    raw = raw_issue(
        "IT-1",
        "s",
        customfield_10010={"requestType": {"name": "New software"}},
        customfield_10200=OMAR,
    )
    named = issue_from_json(raw, {"customfield_10010": "Request Type"})
    assert named.custom["Request Type"] == {"requestType": {"name": "New software"}}
    assert named.custom["customfield_10200"].account_id == "7c22f"  # no name known: the id
    batch = parse_issue_json(json.dumps({**raw, "names": {"customfield_10200": "Requested by"}}))
    assert batch.names == {"customfield_10200": "Requested by"}


def test_fields_the_json_lacks_are_completed_as_empty():
    issue = complete_fields(issue_from_json(PIXEL), ["Requested by", "Request Type"])
    assert issue.custom == {"Requested by": None, "Request Type": None}


def test_directory_file_matches_account_ids_and_emails(tmp_path: Path):
    path = tmp_path / "groups.yaml"
    path.write_text("marketing: [dana@example.com]\nsales: [7c22f]\nempty:\n", encoding="utf-8")
    directory = load_directory(path)
    assert directory.groups_of("7c22f") == frozenset({"sales"})
    assert directory.groups_of("5b10a") == frozenset()  # e-mail not known yet
    directory.learn([User(account_id="5b10a", email="Dana@Example.com")])
    assert directory.groups_of("5b10a") == frozenset({"marketing"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- marketing\n", "maps group names to member lists"),
        ("marketing: dana\n", "group 'marketing' must list account ids or e-mail addresses"),
        ("marketing: [a\n", "invalid YAML"),
    ],
)
def test_a_bad_directory_file_is_refused_clearly(tmp_path: Path, text: str, message: str):
    path = tmp_path / "groups.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_directory(path)
    assert message in str(err.value)


# -- bridge classify, offline -----------------------------------------------------------------


@pytest.fixture
def groups_file(tmp_path: Path) -> Path:
    path = tmp_path / "groups.yaml"
    path.write_text("marketing: [dana@example.com]\nsales: [7c22f]\n", encoding="utf-8")
    return path


def classify(*args: str, stdin: str | None = None):
    env = {"BRIDGE_JIRA_URL": "", "BRIDGE_RULES": "", "BRIDGE_CONFIG": ""}
    return CliRunner().invoke(main, ["classify", *args], input=stdin, env=env)


def lines_of(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_classify_a_file_prints_one_json_object_per_issue(tmp_path: Path, groups_file: Path):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"issues": [PIXEL, FLYERS, SALES_SEATS]}), encoding="utf-8")
    result = classify(str(path), "--directory", str(groups_file))
    assert result.exit_code == 0, result.output
    out = lines_of(result.output)
    assert [o["key"] for o in out] == ["MKT-1", "MKT-2", "IT-3"]
    assert set(out[0]) == {
        "key",
        "marketing_originated",
        "tech_request",
        "category",
        "tag",
        "reasons",
    }
    pixel, flyers, seats = out
    assert (pixel["tag"], pixel["category"]) == (True, "tracking")
    assert "reporter-in-marketing: reporter Dana is in group marketing" in pixel["reasons"]
    assert (flyers["tech_request"], flyers["category"], flyers["tag"]) == (False, None, False)
    assert (seats["marketing_originated"], seats["tech_request"]) == (False, True)


def test_classify_reads_stdin_one_issue(groups_file: Path):
    result = classify("-", "--directory", str(groups_file), stdin=json.dumps(PIXEL))
    assert result.exit_code == 0, result.output
    assert lines_of(result.output)[0]["tag"] is True


def test_classify_reads_a_list_with_v3_descriptions(groups_file: Path):
    issue = raw_issue(
        "MKT-7", "Quick question", adf("Can we get the LinkedIn Insight Tag via GTM?")
    )
    result = classify("--directory", str(groups_file), stdin=json.dumps([issue]))
    assert result.exit_code == 0, result.output
    (out,) = lines_of(result.output)
    assert (out["tech_request"], out["category"]) == (True, "tracking")


def test_requested_by_named_through_the_names_map_decides_who_asked(groups_file: Path):
    """An IT agent (no groups) logs a call for Dana: the "Requested by" field says marketing."""
    agent = {"accountId": "0000", "displayName": "Agent"}
    issue = raw_issue(
        "IT-8",
        "Hootsuite seats",
        "Two more seats.",
        project="IT",
        reporter=agent,
        customfield_10300=DANA,
    )
    page = {"issues": [issue], "names": {"customfield_10300": "Requested by"}}
    result = classify("--directory", str(groups_file), stdin=json.dumps(page))
    (out,) = lines_of(result.output)
    assert out["marketing_originated"] is True
    assert "requested-by-marketing: requester Dana is in group marketing" in out["reasons"]


def test_classify_text_format(groups_file: Path):
    result = classify("--directory", str(groups_file), "--format", "text", stdin=json.dumps(PIXEL))
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "MKT-1: TAGGED"
    assert "category: tracking" in result.output
    assert "  - tracking: summary mentions" in result.output


def test_malformed_json_on_stdin_is_one_line_exit_2_no_traceback(groups_file: Path):
    result = classify("--directory", str(groups_file), stdin='{"key": "MKT-1", "fields": ')
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error: <stdin>:1:28: malformed JSON: Expecting value")
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit


def test_classify_without_directory_or_site_says_what_to_give():
    result = classify(stdin=json.dumps(PIXEL))
    assert result.exit_code == 2
    assert "--directory" in result.output and "BRIDGE_JIRA_URL" in result.output


def test_classify_a_missing_file_is_an_input_error(tmp_path: Path, groups_file: Path):
    result = classify(str(tmp_path / "nope.json"), "--directory", str(groups_file))
    assert result.exit_code == 2
    assert "nope.json: cannot read" in result.output


def test_file_directory_is_a_directory_for_the_rules():
    from bridgeplugin.rules import Directory

    assert isinstance(FileDirectory({}), Directory)
