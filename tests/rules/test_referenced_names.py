"""referenced_names: what the rules expect the Jira site to have."""

from __future__ import annotations

from rulekit import FIXTURES

from bridgeplugin.rules import FieldNames, load_rules, referenced_names


def test_the_example_rules_name_their_fields_groups_projects_and_types() -> None:
    names = referenced_names(load_rules(FIXTURES / "example"))
    assert names == {
        "fields": {"Cost", "Requested by", "Request Type", "Business justification"},
        "groups": {"marketing", "it-architecture"},
        "projects": {"MKT", "IT"},
        "statuses": {"Approved"},
        "issue_types": {"Task", "Story"},
        "request_types": {"New marketing tool"},
    }


def test_configured_field_names_are_the_ones_reported() -> None:
    names = referenced_names(
        load_rules(FIXTURES / "example"),
        fields=FieldNames(requested_by="Requester", request_type="Customer Request Type"),
    )
    assert {"Requester", "Customer Request Type"} <= names["fields"]
    assert "Requested by" not in names["fields"]
