"""`bridge rules validate|explain` and `bridge classify` against a sandbox site, and the help
of every command (each has an example)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from bridgeplugin.cli import main
from bridgeplugin.sandbox.seed import SEEDS_DIR, Seed
from bridgeplugin.sandbox.server import RunningSandbox, start
from bridgeplugin.tagging import Tagger

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


def demo_document() -> dict:
    return yaml.safe_load((SEEDS_DIR / "demo.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_site() -> Iterator[RunningSandbox]:
    sandbox = start("demo")
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def full_site() -> Iterator[RunningSandbox]:
    """The demo site plus every group and field the shipped rules name (a site they fit)."""
    doc = demo_document()
    names = Tagger.load(RULES).referenced_names()
    have = {g["name"] for g in doc["groups"]}
    doc["groups"] += [{"name": g, "members": []} for g in sorted(names["groups"] - have)]
    doc["fields"].append({"name": "Request Type", "type": "select", "options": ["New software"]})
    sandbox = start(Seed.model_validate(doc))
    yield sandbox
    sandbox.stop()


def run(site: RunningSandbox | None, *args: str, stdin: str | None = None):
    env = {"BRIDGE_RULES": "", "BRIDGE_CONFIG": "", "BRIDGE_JIRA_URL": ""}
    if site is not None:
        env.update(
            BRIDGE_JIRA_URL=site.url,
            BRIDGE_JIRA_EMAIL="admin@example.com",
            BRIDGE_JIRA_TOKEN="sandbox-token",
            BRIDGE_RETRY__MAX_ATTEMPTS="1",
        )
    return CliRunner().invoke(main, list(args), env=env, input=stdin)


def ledger_writes(site: RunningSandbox) -> list[str]:
    import urllib.request

    with urllib.request.urlopen(f"{site.url}/_sandbox/ledger") as answer:
        calls = json.load(answer)["calls"]
    return [f"{c['method']} {c['path']}" for c in calls if c["method"] not in ("GET", "HEAD")]


# -- validate ---------------------------------------------------------------------------------


def test_validate_without_a_site_checks_the_files_only():
    result = run(None, "rules", "validate")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ")
    vendors = len(yaml.safe_load((RULES / "vendors.yaml").read_text(encoding="utf-8"))["vendors"])
    assert f"{vendors} vendors" in result.output and "test cases" in result.output


def test_validate_on_a_site_that_has_every_name_is_ok(full_site: RunningSandbox):
    result = run(full_site, "rules", "validate")
    assert result.exit_code == 0, result.output
    assert f"ok: every name the rules use exists on {full_site.url}" in result.output


def test_validate_on_the_demo_site_lists_what_it_lacks_with_file_and_line(
    demo_site: RunningSandbox,
):
    """The demo company has one marketing group and no service desk: the shipped rules, made
    for a bigger organisation, name groups and a field it lacks. One line each, exit 1."""
    result = run(demo_site, "rules", "validate")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()[1:]
    rules_file = str(RULES / "tagging.yaml")
    brand = next(x for x in lines if "'brand'" in x)
    line = (RULES / "tagging.yaml").read_text().splitlines().index("      - brand") + 1
    assert brand == f"{rules_file}:{line}: group 'brand' does not exist on the site"
    field = next(x for x in lines if "'Request Type'" in x)
    assert field.startswith(f"{rules_file}:")
    assert "unknown field 'Request Type' (did you mean" in field
    assert not any("'marketing'" in x for x in lines)  # the demo has that one


@pytest.fixture
def broken_names(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(RULES / "vendors.yaml", folder)
    (folder / "tagging.yaml").write_text(
        "kind: tagging\n"
        "rules:\n"
        "  - name: from-marketing\n"
        "    if: {reporter_in_group: [markting]}\n"
        "    then: {marketing_originated: true}\n"
        "  - name: big-spend\n"
        "    if: {field: Costs, gt: 1000}\n"
        "    then: {tech_request: true, category: saas}\n"
        "  - name: in-project\n"
        "    if: {project_in: [MKTX]}\n"
        "    then: {marketing_originated: true}\n",
        encoding="utf-8",
    )
    return folder


def test_validate_names_a_missing_group_field_and_project_with_suggestions(
    demo_site: RunningSandbox, broken_names: Path
):
    result = run(demo_site, "rules", "validate", "--rules", str(broken_names))
    assert result.exit_code == 1, result.output
    where = str(broken_names / "tagging.yaml")
    assert result.output.splitlines()[1:] == [
        f"{where}:7: unknown field 'Costs' (did you mean 'Cost'?)",
        f"{where}:4: group 'markting' does not exist on the site",
        f"{where}:10: project 'MKTX' does not exist (or is not visible)",
    ]


def test_validate_no_site_skips_the_names(demo_site: RunningSandbox, broken_names: Path):
    result = run(demo_site, "rules", "validate", "--rules", str(broken_names), "--no-site")
    assert result.exit_code == 0, result.output


def test_validate_site_without_a_configured_site_is_a_usage_error():
    result = run(None, "rules", "validate", "--site")
    assert result.exit_code == 2
    assert "BRIDGE_JIRA_URL" in result.output


# -- explain ----------------------------------------------------------------------------------


def test_explain_reads_the_issue_and_its_people_from_the_site(demo_site: RunningSandbox):
    result = run(demo_site, "rules", "explain", "IT-17")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("IT-17  Need API access for the agency to our product feed\n")
    assert "marketing_originated: yes   tech_request: yes   category: access" in out
    assert "[true]  requested-by-marketing -> marketing_originated: true" in out
    assert "requester Mateo García is in group marketing" in out
    assert "reporter Mateo García is in group marketing" in out
    assert "[true]  access -> tech_request: true, category: access" in out
    assert "summary mentions keyword 'access'" in out
    # The demo site has no "Request Type" field: said once, and read as empty.
    assert "note: field 'Request Type' is not on this site; read as empty" in out
    assert "[false] not-technology VETO" in out


def test_explain_json_gives_verdict_and_tree_of_a_vetoed_review_subtask(
    demo_site: RunningSandbox,
):
    result = run(demo_site, "rules", "explain", "MKT-4", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["verdict"]["key"] == "MKT-4"
    assert (out["verdict"]["tech_request"], out["verdict"]["tag"]) == (False, False)
    review = next(r for r in out["result"]["rules"] if r["name"] == "review-task")
    assert review["outcome"] == "true"
    assert review["reason"] == (
        "label review-security is in [review-integration, review-security, review-privacy, "
        "review-legal]"
    )
    assert out["absent_fields"] == ["Request Type"]


def test_explain_writes_nothing(demo_site: RunningSandbox):
    before = len(ledger_writes(demo_site))
    assert run(demo_site, "rules", "explain", "MKT-1").exit_code == 0
    assert len(ledger_writes(demo_site)) == before


def test_explain_an_unknown_issue_is_an_api_error(demo_site: RunningSandbox):
    result = run(demo_site, "rules", "explain", "MKT-999")
    assert result.exit_code == 3
    assert "MKT-999" in result.output


# -- classify with the site's groups and field names ------------------------------------------


def search_page(site: RunningSandbox, jql: str) -> str:
    """What a script would pipe in: a v3 search page with custom fields by id."""
    import base64
    import urllib.request

    body = json.dumps({"jql": jql, "fields": ["*all"], "maxResults": 100}).encode()
    request = urllib.request.Request(
        f"{site.url}/rest/api/3/search/jql",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic "
            + base64.b64encode(b"admin@example.com:sandbox-token").decode(),
        },
    )
    with urllib.request.urlopen(request) as answer:
        return answer.read().decode()


def test_classify_a_search_page_with_groups_and_field_names_from_the_site(
    demo_site: RunningSandbox,
):
    page = search_page(demo_site, "project = IT AND key in (IT-12, IT-17, IT-21) ORDER BY key")
    before = len(ledger_writes(demo_site))
    result = run(demo_site, "classify", stdin=page)
    assert result.exit_code == 0, result.output
    verdicts = {v["key"]: v for v in map(json.loads, result.stdout.splitlines())}
    assert "group(s) the rules name are not on the site" in result.stderr
    assert set(verdicts) == {"IT-12", "IT-17", "IT-21"}
    # Requested by (customfield_10103) was named from the site's field list.
    assert any(r.startswith("requested-by-marketing:") for r in verdicts["IT-17"]["reasons"])
    assert (verdicts["IT-17"]["tag"], verdicts["IT-17"]["category"]) == (True, "access")
    assert verdicts["IT-12"]["marketing_originated"] is False  # an architect's own work
    assert verdicts["IT-21"]["tech_request"] is False  # the VPN bug: break/fix
    assert len(ledger_writes(demo_site)) == before  # never writes


# -- help -------------------------------------------------------------------------------------


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name in group.list_commands(click.Context(group)):
        cmd = group.get_command(click.Context(group), name)
        out.append((*prefix, name))
        if isinstance(cmd, click.Group):
            out.extend(all_commands(cmd, (*prefix, name)))
    return out


@pytest.mark.parametrize("path", all_commands(main), ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"bridge {' '.join(path)} --help has no example"
