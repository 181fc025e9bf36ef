"""request_type_in: the service-desk request type (a field value) is one of the listed names."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, Case, ids, run_case

from bridgeplugin.rules import FieldNames

NEW_TOOL = {"request_type_in": ["New marketing tool", "Tracking pixel"]}

CASES = [
    Case(
        "a request type given as text is compared by name",
        NEW_TOOL,
        {"custom": {"Request Type": "New marketing tool"}},
        TRUE,
        reason="request type 'New marketing tool' is in [New marketing tool, Tracking pixel]",
    ),
    Case(
        "a request type object is read by its name",
        NEW_TOOL,
        {"custom": {"Request Type": {"name": "Tracking pixel"}}},
        TRUE,
    ),
    Case(
        "the raw Jira value is read through requestType.name",
        NEW_TOOL,
        {"custom": {"Request Type": {"requestType": {"name": "tracking PIXEL"}}}},
        TRUE,
    ),
    Case(
        "another request type is false",
        NEW_TOOL,
        {"custom": {"Request Type": "Get IT help"}},
        FALSE,
        contains=("'Get IT help' is not in",),
    ),
    Case(
        "an issue created outside the portal has no request type and is false",
        NEW_TOOL,
        {"custom": {"Request Type": None}},
        FALSE,
        contains=("Request Type is empty",),
    ),
    Case(
        "a request type field that was not loaded is an error",
        NEW_TOOL,
        {"custom": {}},
        ERROR,
        contains=("'Request Type' is not on the issue",),
    ),
    Case(
        "the field name comes from config",
        NEW_TOOL,
        {"custom": {"Customer Request Type": "New marketing tool"}},
        TRUE,
        fields=FieldNames(request_type="Customer Request Type"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_request_type_in(case: Case) -> None:
    run_case(case)
