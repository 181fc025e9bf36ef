"""Routes of the fake Jira Cloud: ``/rest/api/{2,3,latest}/...`` and ``/rest/agile/1.0/...``.

Handlers translate HTTP into ``JiraState`` calls and ``Shaper`` output, nothing more. They read
``site.jira`` / ``site.accounts`` / ``site.clock`` at call time because a reset swaps them. Every
read that returns objects sets ``request.points`` to 1 + the number of objects (Atlassian's
points model); writes cost the base point.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from ..routing import HttpError, Request, Response, Router, json_response
from .bulk import router as bulk_router
from .catalog import GLOBAL_PERMISSIONS, PROJECT_PERMISSIONS
from .model import format_time
from .search import Searcher
from .shapes import FieldSelection, Shaper, group_id, select_fields
from .state import NOT_FOUND, JiraState

__all__ = ["router"]

_VERSIONS = ("2", "3", "latest")
_API = "/rest/api/{ver}"
_AGILE = "/rest/agile/1.0"
MAX_BULK_CREATE = 50
MAX_BULK_FETCH = 100
MAX_BULK_CHANGELOG_ISSUES = 1000
MAX_BULK_CHANGELOG_FIELDS = 10
MAX_SEARCH_PROPERTIES = 5
MAX_RECONCILE = 50
_REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
_CLOUD_VERSION = ("1001.0.0-SNAPSHOT", [1001, 0, 0])
_SERVER_VERSION = ("9.12.15", [9, 12, 15])


def router(site: Any) -> Router:
    """All Jira routes, bound to ``site`` (a ``SiteState``) whose parts are read per call."""
    r = Router()

    def jira() -> JiraState:
        return site.jira  # type: ignore[no-any-return]

    def searcher() -> Searcher:
        # One per Jira state: a reset or a new seed starts with no cursors.
        st = jira()
        found = st.cache.get("searcher")
        if found is None:
            found = st.cache["searcher"] = Searcher()
        return found  # type: ignore[no-any-return]

    def api(method: str, path: str) -> Callable[[Callable[[Request], Any]], Any]:
        def register(handler: Callable[[Request], Any]) -> Any:
            def checked(req: Request) -> Any:
                if req.params.get("ver") not in _VERSIONS:
                    raise HttpError(404, f"No resource at {req.path} in the sandbox.")
                return handler(req)

            checked.__name__ = handler.__name__
            return r.route(method, _API + path)(checked)

        return register

    def agile(method: str, path: str) -> Callable[[Callable[[Request], Any]], Any]:
        return r.route(method, _AGILE + path)

    def shaper(req: Request, ver: str | None = None) -> Shaper:
        host = req.headers.get("host", "127.0.0.1")
        return Shaper(jira(), f"http://{host}", ver or req.params.get("ver", "2"))

    def rich_ver(req: Request) -> str:
        return "3" if req.params.get("ver") == "3" else "2"

    def issue_of(req: Request) -> Any:
        return jira().visible_issue(req.params["key"], req.user)

    def expand_of(req: Request) -> set[str]:
        return set(req.args("expand"))

    # ==================================================================== core

    @api("GET", "/serverInfo")
    def server_info(req: Request) -> Any:
        st = jira()
        cloud = st.site.deployment_type == "Cloud"
        version, numbers = _CLOUD_VERSION if cloud else _SERVER_VERSION
        base = f"http://{req.headers.get('host', '127.0.0.1')}"
        now = format_time(st.clock.now())
        return {
            "baseUrl": base,
            "displayUrl": base,
            "version": version,
            "versionNumbers": numbers,
            "deploymentType": st.site.deployment_type,
            "buildNumber": 100_300 if cloud else 9_120_015,
            "buildDate": "2026-11-01T00:00:00.000+0000",
            "serverTime": now,
            "scmInfo": "bridge-sandbox",
            "serverTitle": "Jira",
            "serverTimeZone": "UTC",
        }

    @api("GET", "/myself")
    def myself(req: Request) -> Any:
        req.points = 2
        return shaper(req).user(req.user.account_id, full=True)

    @api("GET", "/field")
    def fields(req: Request) -> Any:
        out = [shaper(req).field(f) for f in jira().fields.values()]
        req.points = 1 + len(out)
        return out

    @api("GET", "/issuetype")
    def issue_types(req: Request) -> Any:
        sh = shaper(req)
        out = [sh.issue_type(t) for t in jira().issue_types.values()]
        req.points = 1 + len(out)
        return out

    @api("GET", "/status")
    def statuses(req: Request) -> Any:
        sh = shaper(req)
        out = [sh.status(s) for s in jira().statuses.values()]
        req.points = 1 + len(out)
        return out

    @api("GET", "/statuscategory")
    def status_categories(req: Request) -> Any:
        sh = shaper(req)
        return [sh.status_category(k) for k in ("new", "indeterminate", "done")]

    @api("GET", "/resolution")
    def resolutions(req: Request) -> Any:
        sh = shaper(req)
        return [sh.resolution(name) for name in jira().resolutions]

    @api("GET", "/issueLinkType")
    def link_types(req: Request) -> Any:
        sh = shaper(req)
        out = [sh.link_type(t) for t in jira().link_types.values()]
        req.points = 1 + len(out)
        return {"issueLinkTypes": out}

    def visible_projects(req: Request) -> list[Any]:
        st = jira()
        allowed = st.browsable_projects(req.user)
        return [p for p in st.projects.values() if p.key in allowed]

    def project_of(req: Request) -> Any:
        st = jira()
        ref = req.params["project"]
        p = st.project_ref(ref)
        if p is None or not st.can(req.user, p.key, "BROWSE_PROJECTS"):
            raise HttpError(404, f"No project could be found with key '{ref}'.")
        return p

    @api("GET", "/project")
    def projects(req: Request) -> Any:
        sh = shaper(req)
        out = [sh.project(p, expand_of(req)) for p in visible_projects(req)]
        req.points = 1 + len(out)
        return out

    @api("GET", "/project/search")
    def project_search(req: Request) -> Any:
        start, limit = _paging(req, default_max=50, cap=100)
        found = visible_projects(req)
        keys = set(req.args("keys"))
        if keys:
            found = [p for p in found if p.key in keys]
        ids = set(req.args("id"))
        if ids:
            found = [p for p in found if p.id in ids]
        query = (req.arg("query") or "").lower()
        if query:
            found = [p for p in found if query in p.key.lower() or query in p.name.lower()]
        order = req.arg("orderBy") or "key"
        field = order.lstrip("+-")
        if field in ("key", "name", "id"):
            found.sort(
                key=lambda p: int(p.id) if field == "id" else getattr(p, field).lower(),
                reverse=order.startswith("-"),
            )
        page = found[start : start + limit]
        sh = shaper(req)
        req.points = 1 + len(page)
        return _page_bean(
            req,
            sh,
            "project/search",
            start,
            limit,
            len(found),
            [sh.project(p, expand_of(req)) for p in page],
        )

    @api("GET", "/project/{project}")
    def project(req: Request) -> Any:
        found = project_of(req)
        req.points = 2
        return shaper(req).project(found, expand_of(req))

    @api("GET", "/project/{project}/statuses")
    def project_statuses(req: Request) -> Any:
        p = project_of(req)
        st = jira()
        sh = shaper(req)
        out = []
        for t in p.issue_types:
            it = st.issue_types[t]
            wf = st.workflow_of(p.key, t)
            out.append(
                {
                    "self": f"{sh.api}/issuetype/{it.id}",
                    "id": it.id,
                    "name": it.name,
                    "subtask": it.subtask,
                    "statuses": [sh.status(st.statuses[s]) for s in wf.statuses],
                }
            )
        req.points = 1 + len(out)
        return out

    @api("GET", "/project/{project}/components")
    def project_components(req: Request) -> Any:
        p = project_of(req)
        return shaper(req).project(p)["components"]

    @api("GET", "/mypermissions")
    def my_permissions(req: Request) -> Any:
        st = jira()
        keys = req.args("permissions")
        if not keys:
            raise HttpError(400, "The 'permissions' query parameter is required.")
        unknown = [k for k in keys if not _known(k)]
        if unknown:
            raise HttpError(400, f"Unrecognized permission key: {unknown[0]}.")
        project_key = None
        if req.arg("projectKey") or req.arg("projectId"):
            p = st.project_ref(req.arg("projectKey") or req.arg("projectId") or "")
            if p is None or not st.can(req.user, p.key, "BROWSE_PROJECTS"):
                raise HttpError(404, "No project could be found with that key or id.")
            project_key = p.key
        elif req.arg("issueKey") or req.arg("issueId"):
            issue = st.visible_issue(req.arg("issueKey") or req.arg("issueId") or "", req.user)
            project_key = issue.project
        have = {}
        for key in keys:
            if project_key is not None:
                have[key] = _known(key) and st.can(req.user, project_key, key)
            else:
                # Without a project: held in at least one project (Jira's answer).
                have[key] = _known(key) and any(st.can(req.user, k, key) for k in st.projects)
        return shaper(req).permissions(keys, have)

    # ==================================================================== issues

    @api("GET", "/issue/{key}")
    def get_issue(req: Request) -> Any:
        issue = issue_of(req)
        sel = select_fields(jira(), req.args("fields"), "*all")
        props = req.args("properties")
        req.points = 2
        return shaper(req).issue(issue, sel, expand_of(req), props, user=req.user)

    @api("POST", "/issue")
    def create_issue(req: Request) -> Any:
        issue = jira().create_issue(req.user, req.json(), rich_ver(req))
        sh = shaper(req)
        return json_response(
            {"id": str(issue.id), "key": issue.key, "self": f"{sh.api}/issue/{issue.id}"},
            status=201,
        )

    @api("PUT", "/issue/{key}")
    def edit_issue(req: Request) -> Any:
        issue = issue_of(req)
        jira().edit_issue(req.user, issue, req.json(), rich_ver(req))
        if req.arg("returnIssue", "false").lower() == "true":
            sel = select_fields(jira(), None, "*all")
            return shaper(req).issue(issue, sel, expand_of(req), user=req.user)
        return Response(status=204)

    @api("DELETE", "/issue/{key}")
    def delete_issue(req: Request) -> Any:
        issue = issue_of(req)
        subtasks = (req.arg("deleteSubtasks") or "false").lower() == "true"
        jira().delete_issue(req.user, issue, subtasks)
        return Response(status=204)

    @api("POST", "/issue/bulk")
    def bulk_create(req: Request) -> Any:
        body = req.json()
        updates = body.get("issueUpdates") if isinstance(body, dict) else None
        if not isinstance(updates, list):
            raise HttpError(400, "issueUpdates must be a list of issues to create.")
        if len(updates) > MAX_BULK_CREATE:
            raise HttpError(
                400,
                f"The number of issues to create ({len(updates)}) exceeds the maximum of "
                f"{MAX_BULK_CREATE} per request.",
            )
        sh = shaper(req)
        created, errors = [], []
        for n, item in enumerate(updates):
            if req.refuse_item is not None and req.refuse_item(n):
                errors.append(_refused_item(n))
                continue
            try:
                issue = jira().create_issue(req.user, item, rich_ver(req))
            except HttpError as exc:
                errors.append(
                    {
                        "status": exc.status,
                        "elementErrors": {"errorMessages": exc.messages, "errors": exc.errors},
                        "failedElementNumber": n,
                    }
                )
                continue
            created.append(
                {"id": str(issue.id), "key": issue.key, "self": f"{sh.api}/issue/{issue.id}"}
            )
        status = 400 if updates and not created else 201
        return json_response({"issues": created, "errors": errors}, status=status)

    @api("POST", "/issue/bulkfetch")
    def bulk_fetch(req: Request) -> Any:
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("issueIdsOrKeys"), list):
            raise HttpError(400, "issueIdsOrKeys is required.")
        refs = [str(x) for x in body["issueIdsOrKeys"]]
        if not refs:
            raise HttpError(400, "issueIdsOrKeys must not be empty.")
        if len(refs) > MAX_BULK_FETCH:
            raise HttpError(
                400, f"You can request a maximum of {MAX_BULK_FETCH} issues in one request."
            )
        props = _list_param(body.get("properties"))
        if len(props) > MAX_SEARCH_PROPERTIES:
            raise HttpError(
                400, f"A maximum of {MAX_SEARCH_PROPERTIES} properties can be requested."
            )
        st = jira()
        sel = select_fields(st, _list_param(body.get("fields")), "*navigable")
        expand = set(_list_param(body.get("expand")))
        found, errors = {}, []
        for ref in refs:
            issue = st.find_issue(ref)
            if issue is None or not st.can(req.user, issue.project, "BROWSE_PROJECTS"):
                errors.append({"id": ref, "errorMessage": NOT_FOUND})
            else:
                found[issue.id] = issue
        sh = shaper(req)
        # Jira returns them in ascending id order, whatever order they were asked in.
        issues = [sh.issue(found[i], sel, expand, props, user=req.user) for i in sorted(found)]
        req.points = 1 + len(issues)
        return {"issues": issues, "issueErrors": errors}

    # -- workflow --------------------------------------------------------------------------

    @api("GET", "/issue/{key}/transitions")
    def get_transitions(req: Request) -> Any:
        issue = issue_of(req)
        sh = shaper(req)
        found = jira().transitions_for(req.user, issue)
        wanted = req.arg("transitionId")
        if wanted:
            found = [t for t in found if t.id == wanted]
        req.points = 1 + len(found)
        return {"expand": "transitions", "transitions": [sh.transition(t) for t in found]}

    @api("POST", "/issue/{key}/transitions")
    def do_transition(req: Request) -> Any:
        issue = issue_of(req)
        jira().transition(req.user, issue, req.json(), rich_ver(req))
        return Response(status=204)

    # -- comments ----------------------------------------------------------------------------

    @api("GET", "/issue/{key}/comment")
    def get_comments(req: Request) -> Any:
        issue = issue_of(req)
        start, limit = _paging(req, default_max=100, cap=5000)
        desc = (req.arg("orderBy") or "").startswith("-")
        page = shaper(req).comment_page(issue, start, limit, order_desc=desc)
        req.points = 1 + len(page["comments"])
        return page

    @api("GET", "/issue/{key}/comment/{comment}")
    def get_comment(req: Request) -> Any:
        issue = issue_of(req)
        comment = jira().find_comment(issue, req.params["comment"])
        req.points = 2
        return shaper(req).comment(issue, comment)

    @api("PUT", "/issue/{key}/comment/{comment}")
    def edit_comment(req: Request) -> Any:
        issue = issue_of(req)
        comment = jira().find_comment(issue, req.params["comment"])
        jira().edit_comment(req.user, issue, comment, req.json(), rich_ver(req))
        return shaper(req).comment(issue, comment)

    @api("DELETE", "/issue/{key}/comment/{comment}")
    def delete_comment(req: Request) -> Any:
        issue = issue_of(req)
        comment = jira().find_comment(issue, req.params["comment"])
        jira().delete_comment(req.user, issue, comment)
        return Response(status=204)

    @api("PUT", "/issue/{key}/assignee")
    def assign(req: Request) -> Any:
        issue = issue_of(req)
        jira().assign(req.user, issue, req.json() if req.body else None)
        return Response(status=204)

    @api("POST", "/issue/{key}/comment")
    def add_comment(req: Request) -> Any:
        issue = issue_of(req)
        comment = jira().add_comment(req.user, issue, req.json(), rich_ver(req))
        return json_response(shaper(req).comment(issue, comment), status=201)

    # -- entity properties ------------------------------------------------------------------

    @api("GET", "/issue/{key}/properties")
    def property_keys(req: Request) -> Any:
        issue = issue_of(req)
        sh = shaper(req)
        keys = [
            {"self": f"{sh.api}/issue/{issue.id}/properties/{k}", "key": k}
            for k in issue.properties
        ]
        req.points = 1 + len(keys)
        return {"keys": keys}

    @api("GET", "/issue/{key}/properties/{prop}")
    def get_property(req: Request) -> Any:
        issue = issue_of(req)
        key = req.params["prop"]
        if key not in issue.properties:
            raise HttpError(404, f"The property with key '{key}' does not exist.")
        req.points = 2
        return {"key": key, "value": issue.properties[key]}

    @api("PUT", "/issue/{key}/properties/{prop}")
    def put_property(req: Request) -> Any:
        issue = issue_of(req)
        created = jira().set_property(req.user, issue, req.params["prop"], req.body)
        return Response(status=201 if created else 200)

    @api("DELETE", "/issue/{key}/properties/{prop}")
    def delete_property(req: Request) -> Any:
        issue = issue_of(req)
        jira().delete_property(req.user, issue, req.params["prop"])
        return Response(status=204)

    # -- links ---------------------------------------------------------------------------------

    @api("POST", "/issueLink")
    def create_link(req: Request) -> Any:
        jira().create_link(req.user, req.json())
        return Response(status=201)

    @api("GET", "/issueLink/{link}")
    def get_link(req: Request) -> Any:
        st = jira()
        link = st.links.get(int(req.params["link"])) if req.params["link"].isdigit() else None
        if link is None:
            raise HttpError(404, "No issue link with id '{}' exists.".format(req.params["link"]))
        source, target = st.by_id[link.source], st.by_id[link.target]
        for end in (source, target):
            st.visible_issue(str(end.id), req.user)
        sh = shaper(req)
        req.points = 2
        return {
            "id": str(link.id),
            "self": f"{sh.api}/issueLink/{link.id}",
            "type": sh.link_type(st.link_types[link.type]),
            "inwardIssue": sh.issue_ref(source),
            "outwardIssue": sh.issue_ref(target),
        }

    @api("DELETE", "/issueLink/{link}")
    def delete_link(req: Request) -> Any:
        st = jira()
        link = st.links.get(int(req.params["link"])) if req.params["link"].isdigit() else None
        if link is None:
            raise HttpError(404, "No issue link with id '{}' exists.".format(req.params["link"]))
        source = st.visible_issue(str(link.source), req.user)
        st.require(req.user, source.project, "LINK_ISSUES", "link issues", 404)
        st.delete_link(req.user, link)
        return Response(status=204)

    # -- changelog ---------------------------------------------------------------------------

    @api("GET", "/issue/{key}/changelog")
    def changelog(req: Request) -> Any:
        issue = issue_of(req)
        start, limit = _paging(req, default_max=100, cap=100)
        sh = shaper(req)
        page = issue.changelog[start : start + limit]
        req.points = 1 + len(page)
        return _page_bean(
            req,
            sh,
            f"issue/{issue.key}/changelog",
            start,
            limit,
            len(issue.changelog),
            [sh.change_group(g) for g in page],
        )

    @api("POST", "/changelog/bulkfetch")
    def changelog_bulk(req: Request) -> Any:
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("issueIdsOrKeys"), list):
            raise HttpError(400, "issueIdsOrKeys is required.")
        refs = [str(x) for x in body["issueIdsOrKeys"]]
        if not refs or len(refs) > MAX_BULK_CHANGELOG_ISSUES:
            raise HttpError(
                400, f"issueIdsOrKeys must hold 1 to {MAX_BULK_CHANGELOG_ISSUES} issues."
            )
        field_ids = _list_param(body.get("fieldIds"))
        if len(field_ids) > MAX_BULK_CHANGELOG_FIELDS:
            raise HttpError(400, f"fieldIds can hold at most {MAX_BULK_CHANGELOG_FIELDS} fields.")
        limit = _int(body.get("maxResults"), 1000, "maxResults")
        limit = max(1, min(limit, 10_000))
        offset = _offset_token(body.get("nextPageToken"))
        st = jira()
        sh = shaper(req)
        # A flat list of (issue, change group) in issue order, then paged by change groups.
        entries = []
        seen: set[int] = set()
        for ref in refs:
            issue = st.find_issue(ref)
            if issue is None or issue.id in seen:
                continue
            if not st.can(req.user, issue.project, "BROWSE_PROJECTS"):
                continue
            seen.add(issue.id)
            for g in issue.changelog:
                if field_ids and not any(it.field_id in field_ids for it in g.items):
                    continue
                entries.append((issue, g))
        page = entries[offset : offset + limit]
        grouped: dict[int, dict[str, Any]] = {}
        for issue, g in page:
            shaped = sh.change_group(g)
            if field_ids:
                shaped["items"] = [
                    it
                    for it, raw in zip(shaped["items"], g.items, strict=True)
                    if raw.field_id in field_ids
                ]
            grouped.setdefault(issue.id, {"issueId": str(issue.id), "changeHistories": []})[
                "changeHistories"
            ].append(shaped)
        out: dict[str, Any] = {"issueChangeLogs": list(grouped.values())}
        if offset + limit < len(entries):
            out["nextPageToken"] = _encode_offset(offset + limit)
        req.points = 1 + len(page)
        return out

    # -- worklogs ----------------------------------------------------------------------------

    @api("GET", "/issue/{key}/worklog")
    def worklogs(req: Request) -> Any:
        issue = issue_of(req)
        start, limit = _paging(req, default_max=5000, cap=5000)
        page = shaper(req).worklog_page(issue, start, limit)
        req.points = 1 + len(page["worklogs"])
        return page

    @api("POST", "/issue/{key}/worklog")
    def add_worklog(req: Request) -> Any:
        issue = issue_of(req)
        wl = jira().add_worklog(req.user, issue, req.json(), rich_ver(req))
        return json_response(shaper(req).worklog(issue, wl), status=201)

    # ==================================================================== search

    def search_params(req: Request) -> dict[str, Any]:
        """GET query parameters or POST body of the search endpoints, as one dict."""
        if req.method == "POST":
            body = req.json()
            if not isinstance(body, dict):
                raise HttpError(400, "Request body must be a JSON object.")
            return {
                "jql": body.get("jql") or "",
                "nextPageToken": body.get("nextPageToken"),
                "maxResults": body.get("maxResults"),
                "startAt": body.get("startAt"),
                "fields": _list_param(body.get("fields")),
                "expand": set(_list_param(body.get("expand"))),
                "properties": _list_param(body.get("properties")),
                "reconcileIssues": _list_param(body.get("reconcileIssues")),
            }
        return {
            "jql": req.arg("jql") or "",
            "nextPageToken": req.arg("nextPageToken"),
            "maxResults": req.arg("maxResults"),
            "startAt": req.arg("startAt"),
            "fields": req.args("fields"),
            "expand": expand_of(req),
            "properties": req.args("properties"),
            "reconcileIssues": req.args("reconcileIssues"),
        }

    def page_limit(st: JiraState, raw: Any, sel: FieldSelection) -> int:
        limit = _int(raw, 50, "maxResults")
        cap = st.site.search_max_results_ids_only if sel.ids_only else st.site.search_max_results
        # Jira clamps silently: a page may be smaller than asked for.
        return max(0, min(limit, cap))

    def cloud_only(req: Request) -> None:
        # Data Center has neither the enhanced search nor the approximate count.
        if jira().site.deployment_type != "Cloud":
            raise HttpError(404, f"No resource at {req.path} on a Data Center site.")

    def enhanced_search(req: Request) -> Any:
        cloud_only(req)
        st = jira()
        p = search_params(req)
        if len(p["properties"]) > MAX_SEARCH_PROPERTIES:
            raise HttpError(
                400, f"A maximum of {MAX_SEARCH_PROPERTIES} issue properties can be requested."
            )
        if len(p["reconcileIssues"]) > MAX_RECONCILE:
            raise HttpError(400, f"reconcileIssues accepts at most {MAX_RECONCILE} issue ids.")
        sel = select_fields(st, p["fields"], "id")
        limit = page_limit(st, p["maxResults"], sel)
        issues, token = searcher().page(
            st,
            req.user,
            p["jql"],
            p["nextPageToken"],
            limit,
            lag=req.search_lag,
            reconcile=_ids(p["reconcileIssues"]),
        )
        sh = shaper(req)
        out: dict[str, Any] = {
            "issues": [
                sh.issue(i, sel, p["expand"], p["properties"], user=req.user, compact=True)
                for i in issues
            ],
            "isLast": token is None,
        }
        if token is not None:
            out["nextPageToken"] = token
        if "names" in p["expand"]:
            out["names"] = {fid: st.fields[fid].name for fid in sel.ids}
        if "schema" in p["expand"]:
            out["schema"] = {fid: st.fields[fid].schema for fid in sel.ids if st.fields[fid].schema}
        req.points = 1 + len(issues)
        return out

    api("GET", "/search/jql")(enhanced_search)
    api("POST", "/search/jql")(enhanced_search)

    @api("POST", "/search/approximate-count")
    def approximate_count(req: Request) -> Any:
        cloud_only(req)
        body = req.json()
        jql = body.get("jql", "") if isinstance(body, dict) else ""
        s = searcher()
        query = s.compile(jira(), req.user, jql or "", bounded=True)
        return {"count": s.count(jira(), req.user, query)}

    def old_search(req: Request) -> Any:
        st = jira()
        if st.site.deployment_type == "Cloud":
            raise HttpError(410, _REMOVED_SEARCH)
        # Data Center: startAt/maxResults/total paging over the same engine.
        p = search_params(req)
        sel = select_fields(st, p["fields"], "*navigable")
        start = max(0, _int(p["startAt"], 0, "startAt"))
        limit = max(0, min(_int(p["maxResults"], 50, "maxResults"), st.site.search_max_results))
        s = searcher()
        query = s.compile(st, req.user, p["jql"], bounded=False)
        ids = s.run(st, req.user, query, lag=req.search_lag)
        page = [st.by_id[i] for i in ids[start : start + limit]]
        sh = shaper(req)
        out: dict[str, Any] = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": limit,
            "total": len(ids),
            "issues": [sh.issue(i, sel, p["expand"], p["properties"], user=req.user) for i in page],
        }
        if "names" in p["expand"]:
            out["names"] = {fid: st.fields[fid].name for fid in sel.ids}
        req.points = 1 + len(page)
        return out

    api("GET", "/search")(old_search)
    api("POST", "/search")(old_search)

    # ==================================================================== users and groups

    @api("GET", "/user")
    def get_user(req: Request) -> Any:
        acc = _user_param(req)
        req.points = 2
        return shaper(req).user(acc.account_id, full="groups" in expand_of(req))

    @api("GET", "/user/groups")
    def user_groups(req: Request) -> Any:
        acc = _user_param(req)
        sh = shaper(req)
        groups = site.accounts.groups_of(acc.account_id)
        req.points = 1 + len(groups)
        return [sh.group_name(g) for g in groups]

    def group_named(req: Request) -> str:
        name = req.arg("groupname")
        if name is None and req.arg("groupId"):
            name = next(
                (g for g in site.accounts.groups if group_id(g) == req.arg("groupId")), None
            )
        if not name:
            raise HttpError(400, "You must specify a group name or a group id.")
        if name not in site.accounts.groups:
            raise HttpError(404, f"Group with name '{name}' does not exist.")
        return name

    def members(name: str, include_inactive: bool) -> list[Any]:
        accounts = site.accounts
        found = [accounts.users[a] for a in accounts.groups[name] if a in accounts.users]
        return [a for a in found if a.active or include_inactive]

    @api("GET", "/group/member")
    def group_member(req: Request) -> Any:
        name = group_named(req)
        inactive = (req.arg("includeInactiveUsers") or "false").lower() == "true"
        start, limit = _paging(req, default_max=50, cap=50)
        found = members(name, inactive)
        page = found[start : start + limit]
        sh = shaper(req)
        req.points = 1 + len(page)
        return _page_bean(
            req,
            sh,
            f"group/member?groupname={name}",
            start,
            limit,
            len(found),
            [sh.user(a.account_id) for a in page],
        )

    @api("GET", "/group/bulk")
    def group_bulk(req: Request) -> Any:
        """Which of the named groups exist: one call instead of a 404 per missing group."""
        wanted = req.query.get("groupName", [])
        ids = set(req.query.get("groupId", []))
        found = [g for g in site.accounts.groups if g in wanted or (ids and group_id(g) in ids)]
        if not wanted and not ids:
            found = list(site.accounts.groups)
        start, limit = _paging(req, default_max=50, cap=50)
        page = found[start : start + limit]
        req.points = 1 + len(page)
        return {
            "isLast": start + len(page) >= len(found),
            "maxResults": limit,
            "startAt": start,
            "total": len(found),
            "values": [{"groupId": group_id(g), "name": g} for g in page],
        }

    @api("GET", "/group")
    def group(req: Request) -> Any:
        """The deprecated group resource; ``jira.JIRA.group_members`` still uses it."""
        name = group_named(req)
        found = members(name, True)
        sh = shaper(req)
        users = [sh.user(a.account_id) for a in found]
        req.points = 1 + len(users)
        return {
            **sh.group_name(name),
            "users": {
                "size": len(users),
                "items": users,
                "max-results": 50,
                "start-index": 0,
                "end-index": max(0, len(users) - 1),
            },
            "expand": "users",
        }

    @api("GET", "/user/search")
    def user_search(req: Request) -> Any:
        query = (req.arg("query") or req.arg("username") or "").lower()
        account_id = req.arg("accountId")
        if not query and not account_id:
            raise HttpError(400, "One of 'query' or 'accountId' parameters must be provided.")
        start, limit = _paging(req, default_max=50, cap=1000)
        found = [
            a
            for a in site.accounts.users.values()
            if (account_id and a.account_id == account_id)
            or (
                query
                and (
                    a.account_id.lower() == query
                    or a.email.lower().startswith(query)
                    or any(w.startswith(query) for w in a.display_name.lower().split())
                    or a.display_name.lower().startswith(query)
                    or a.name.lower().startswith(query)
                )
            )
        ]
        if (req.arg("includeInactive") or "false").lower() != "true":
            found = [a for a in found if a.active]
        page = found[start : start + limit]
        sh = shaper(req)
        req.points = 1 + len(page)
        return [sh.user(a.account_id) for a in page]

    @api("GET", "/groups/picker")
    def groups_picker(req: Request) -> Any:
        query = (req.arg("query") or "").lower()
        exclude = set(req.args("exclude"))
        limit = _int(req.arg("maxResults"), 20, "maxResults")
        found = [g for g in sorted(site.accounts.groups) if query in g.lower() and g not in exclude]
        shown = found[:limit]
        req.points = 1 + len(shown)
        return {
            "header": f"Showing {len(shown)} of {len(found)} matching groups",
            "total": len(found),
            "groups": [{"name": g, "html": g, "groupId": group_id(g), "labels": []} for g in shown],
        }

    def _user_param(req: Request) -> Any:
        ref = req.arg("accountId") or req.arg("username") or req.arg("key")
        if not ref:
            raise HttpError(400, "The 'accountId' query parameter needs to be provided.")
        acc = site.accounts.users.get(ref)
        if acc is None and jira().site.deployment_type == "Server":
            acc = site.accounts.find(ref)
        if acc is None:
            raise HttpError(
                404, "Specified user does not exist or you do not have required permissions"
            )
        return acc

    # ==================================================================== agile

    def board_of(req: Request) -> Any:
        st = jira()
        raw = req.params["board"]
        board = st.boards.get(int(raw)) if raw.isdigit() else None
        if board is None or not st.can(req.user, board.project, "BROWSE_PROJECTS"):
            raise HttpError(404, "Board does not exist or you do not have permission to see it.")
        return board

    def sprint_of(req: Request) -> Any:
        st = jira()
        raw = req.params["sprint"]
        sprint = st.sprints.get(int(raw)) if raw.isdigit() else None
        if sprint is None or not st.can(
            req.user, st.boards[sprint.board].project, "BROWSE_PROJECTS"
        ):
            raise HttpError(404, "Sprint does not exist or you do not have permission to see it.")
        return sprint

    @agile("GET", "/board")
    def boards(req: Request) -> Any:
        st = jira()
        start, limit = _paging(req, default_max=50, cap=50)
        found = [b for b in st.boards.values() if st.can(req.user, b.project, "BROWSE_PROJECTS")]
        ref = req.arg("projectKeyOrId")
        if ref:
            p = st.project_ref(ref)
            found = [b for b in found if p is not None and b.project == p.key]
        kinds = set(req.args("type"))
        if kinds:
            found = [b for b in found if b.type in kinds]
        name = (req.arg("name") or "").lower()
        if name:
            found = [b for b in found if name in b.name.lower()]
        page = found[start : start + limit]
        sh = shaper(req, "latest")
        req.points = 1 + len(page)
        return {
            "maxResults": limit,
            "startAt": start,
            "total": len(found),
            "isLast": start + len(page) >= len(found),
            "values": [sh.board(b) for b in page],
        }

    @agile("GET", "/board/{board}")
    def board(req: Request) -> Any:
        found = board_of(req)
        req.points = 2
        return shaper(req, "latest").board(found)

    @agile("GET", "/board/{board}/sprint")
    def board_sprints(req: Request) -> Any:
        b = board_of(req)
        st = jira()
        states = set(req.args("state"))
        bad = states - {"future", "active", "closed"}
        if bad:
            raise HttpError(400, f"The sprint state '{sorted(bad)[0]}' is not valid.")
        if b.type != "scrum":
            raise HttpError(400, "The board does not support sprints.")
        start, limit = _paging(req, default_max=50, cap=50)
        found = [
            s for s in st.sprints.values() if s.board == b.id and (not states or s.state in states)
        ]
        page = found[start : start + limit]
        sh = shaper(req, "latest")
        req.points = 1 + len(page)
        return {
            "maxResults": limit,
            "startAt": start,
            "isLast": start + len(page) >= len(found),
            "values": [sh.sprint(s) for s in page],
        }

    @agile("GET", "/sprint/{sprint}")
    def sprint(req: Request) -> Any:
        found = sprint_of(req)
        req.points = 2
        return shaper(req, "latest").sprint(found)

    def agile_issues(req: Request, scope: str) -> Any:
        st = jira()
        jql = req.arg("jql")
        combined = f"{scope} AND ({jql})" if jql and jql.strip() else scope
        sel = select_fields(st, req.args("fields"), "*navigable")
        start, limit = _paging(req, default_max=50, cap=st.site.search_max_results)
        s = searcher()
        query = s.compile(st, req.user, combined, bounded=False)
        ids = s.run(st, req.user, query, lag=req.search_lag)
        page = [st.by_id[i] for i in ids[start : start + limit]]
        sh = shaper(req, "latest")
        req.points = 1 + len(page)
        return {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": limit,
            "total": len(ids),
            "issues": [sh.issue(i, sel, expand_of(req), user=req.user) for i in page],
        }

    @agile("GET", "/sprint/{sprint}/issue")
    def sprint_issues(req: Request) -> Any:
        return agile_issues(req, f"sprint = {sprint_of(req).id}")

    @agile("GET", "/board/{board}/issue")
    def board_issues(req: Request) -> Any:
        return agile_issues(req, f"project = {board_of(req).project}")

    @agile("GET", "/board/{board}/sprint/{sprint}/issue")
    def board_sprint_issues(req: Request) -> Any:
        board_of(req)
        return agile_issues(req, f"sprint = {sprint_of(req).id}")

    # Bulk edit, bulk entity properties and their tasks live in bulk.py.
    r.include(bulk_router(site))

    return r


# ---------------------------------------------------------------------- helpers


def _known(key: str) -> bool:
    return key in PROJECT_PERMISSIONS or key in GLOBAL_PERMISSIONS


def _int(raw: Any, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise HttpError(400, f"The {name} parameter must be a number, not {raw!r}.")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise HttpError(400, f"The {name} parameter must be a number, not {raw!r}.") from None


def _paging(req: Request, *, default_max: int, cap: int) -> tuple[int, int]:
    start = max(0, _int(req.arg("startAt"), 0, "startAt"))
    limit = _int(req.arg("maxResults"), default_max, "maxResults")
    return start, max(0, min(limit, cap))


def _page_bean(
    req: Request, sh: Shaper, path: str, start: int, limit: int, total: int, values: list[Any]
) -> dict[str, Any]:
    """Jira's PageBean: startAt/maxResults/total/isLast/values (+ self, nextPage)."""
    sep = "&" if "?" in path else "?"
    out: dict[str, Any] = {
        "self": f"{sh.api}/{path}{sep}startAt={start}&maxResults={limit}",
        "maxResults": limit,
        "startAt": start,
        "total": total,
        "isLast": start + len(values) >= total,
        "values": values,
    }
    if not out["isLast"]:
        out["nextPage"] = f"{sh.api}/{path}{sep}startAt={start + len(values)}&maxResults={limit}"
    return out


def _list_param(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [x.strip() for x in raw.split(",") if x.strip()]
    if isinstance(raw, list):
        out = []
        for x in raw:
            out.extend(_list_param(x) if isinstance(x, str) else [str(x)])
        return out
    return [str(raw)]


def _encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset_token(raw: Any) -> int:
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(str(raw).encode()).decode()
        kind, _, value = text.partition(":")
        if kind != "offset":
            raise ValueError(text)
        return max(0, int(value))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HttpError(400, "The provided next page token is invalid.") from None


def _refused_item(n: int) -> dict[str, Any]:
    """A fault's per-item refusal, shaped as Jira reports one item of a bulk create."""
    return {
        "status": 400,
        "elementErrors": {
            "errorMessages": ["The issue could not be created (injected per-item fault)."],
            "errors": {},
        },
        "failedElementNumber": n,
    }


def _ids(values: list[str]) -> frozenset[int]:
    return frozenset(int(v) for v in values if str(v).strip().isdigit())
