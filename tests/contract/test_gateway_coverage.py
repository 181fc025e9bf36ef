"""The contract scenarios cover the whole Jira surface of the plugin.

* ``GATEWAY_ROUTES`` lists every request ``jira_gateway.py`` can send; a test reads the
  gateway's source and fails when it sends one the list lacks (or the list names one it no
  longer sends), so a new call cannot slip past the contract tests.
* Running every scenario of ``test_jira_contract`` must send each Cloud route of the list
  through the gateway and call each method of the ``JiraApi`` protocol (found with
  ``inspect``): a gateway method added without a contract scenario fails here.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_jira_contract import SCENARIOS, run_scenario

from bridgeplugin import jira_gateway
from bridgeplugin.jira_gateway import JiraApi, JiraGateway

if TYPE_CHECKING:
    from conftest import Sites

pytestmark = [pytest.mark.sandbox, pytest.mark.contract]

CLOUD = "cloud"
DATA_CENTER = "data center"
# Every request the gateway can send, as it goes to a Cloud site (path parameters as {}).
GATEWAY_ROUTES: dict[str, str] = {
    "GET /rest/api/2/serverInfo": CLOUD,
    "GET /rest/api/3/myself": CLOUD,
    "GET /rest/api/3/field": CLOUD,
    "POST /rest/api/3/search/jql": CLOUD,
    "POST /rest/api/3/issue/bulkfetch": CLOUD,
    "GET /rest/api/3/issue/{}": CLOUD,
    "POST /rest/api/3/issue/bulk": CLOUD,
    "POST /rest/api/3/issue": CLOUD,
    "PUT /rest/api/3/issue/{}": CLOUD,
    "GET /rest/api/3/issue/{}/transitions": CLOUD,
    "POST /rest/api/3/issue/{}/transitions": CLOUD,
    "POST /rest/api/3/issue/{}/comment": CLOUD,
    "GET /rest/api/3/issue/{}/comment": CLOUD,
    "POST /rest/api/3/issueLink": CLOUD,
    "GET /rest/api/3/issue/{}/properties/{}": CLOUD,
    "PUT /rest/api/3/issue/{}/properties/{}": CLOUD,
    "POST /rest/api/3/bulk/issues/fields": CLOUD,
    "GET /rest/api/3/bulk/queue/{}": CLOUD,
    "POST /rest/api/3/issue/properties/multi": CLOUD,
    "GET /rest/api/3/task/{}": CLOUD,
    "GET /rest/api/3/issue/{}/changelog": CLOUD,
    "POST /rest/api/3/changelog/bulkfetch": CLOUD,
    "GET /rest/api/3/issue/{}/worklog": CLOUD,
    "GET /rest/api/3/user": CLOUD,
    "GET /rest/api/3/group/member": CLOUD,
    "GET /rest/api/3/group/bulk": CLOUD,
    "GET /rest/api/3/user/groups": CLOUD,
    "GET /rest/api/3/project/search": CLOUD,
    "GET /rest/api/3/project/{}": CLOUD,
    "GET /rest/api/3/project/{}/statuses": CLOUD,
    "GET /rest/api/3/mypermissions": CLOUD,
    "GET /rest/agile/1.0/board": CLOUD,
    "GET /rest/agile/1.0/board/{}/sprint": CLOUD,
    # Sent only to Data Center (as /rest/api/2/...), which Atlassian's Cloud descriptions do
    # not describe: the startAt search (removed from Cloud: the 410 scenario covers that) and
    # the unpaged project list.
    "POST /rest/api/3/search": DATA_CENTER,
    "GET /rest/api/3/project": DATA_CENTER,
}
_API_PREFIX = {"platform": "/rest/api/3/", "v2": "/rest/api/2/", "agile": "/rest/agile/1.0/"}


def jira_api_methods() -> set[str]:
    """The methods the ``JiraApi`` protocol declares."""
    return {
        name
        for name, member in inspect.getmembers(JiraApi, inspect.isfunction)
        if not name.startswith("_") and name in vars(JiraApi)
    }


def _path_template(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    return None  # a variable: the generic pager itself, not a request of its own


def routes_in_gateway_source() -> set[str]:
    """``METHOD /path`` of every ``self._request(...)`` / ``self._offset_pages(...)`` call."""
    tree = ast.parse(Path(inspect.getfile(jira_gateway)).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
            and node.func.attr in ("_request", "_offset_pages")
        ):
            continue
        if node.func.attr == "_request":
            method_node, path_node = node.args[0], node.args[1]
            assert isinstance(method_node, ast.Constant), ast.unparse(node)
            method = str(method_node.value)
        else:
            method, path_node = "GET", node.args[0]
        path = _path_template(path_node)
        if path is None:
            continue
        api = next((k.value for k in node.keywords if k.arg == "api"), None)
        api_name = api.value if isinstance(api, ast.Constant) else "platform"
        found.add(f"{method} {_API_PREFIX[api_name]}{path}")
    return found


@pytest.fixture(scope="module")
def contract_run(sites: Sites) -> tuple[set[str], set[str]]:
    """Every scenario once (on this module's own sandboxes): the gateway methods called and
    the routes the gateway sent."""
    recorder = sites.listen()
    called: set[str] = set()
    for item in SCENARIOS:
        called |= run_scenario(item, sites, recorder).called
    sites.recorder = None
    routes = {e.route for e in recorder.exchanges if e.source == "gateway"}
    return called, routes


def test_the_route_list_matches_the_gateway_source() -> None:
    in_source = routes_in_gateway_source()
    assert in_source - GATEWAY_ROUTES.keys() == set(), "sent by the gateway, not listed"
    assert GATEWAY_ROUTES.keys() - in_source == set(), "listed, no longer sent by the gateway"


def test_the_gateway_implements_the_protocol() -> None:
    missing = {m for m in jira_api_methods() if not callable(getattr(JiraGateway, m, None))}
    assert not missing


def test_every_jira_api_method_has_a_contract_scenario(
    contract_run: tuple[set[str], set[str]],
) -> None:
    called, _ = contract_run
    assert len(jira_api_methods()) >= 30  # the protocol was really read
    assert jira_api_methods() - called == set()


def test_the_contract_run_sends_every_cloud_route(
    contract_run: tuple[set[str], set[str]],
) -> None:
    _, sent = contract_run
    cloud = {route for route, where in GATEWAY_ROUTES.items() if where == CLOUD}
    assert cloud - sent == set(), "never sent in the contract run"
    assert sent - cloud == set(), "sent, but not in GATEWAY_ROUTES as a Cloud route"
