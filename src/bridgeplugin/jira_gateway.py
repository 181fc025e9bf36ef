"""The only module that talks to Jira.

It wraps the ``jira`` package (3.10.x) but uses little more than its HTTP session: the
client's helpers either default to ``fields=*all``, fall back to the removed ``/search``, add
reload GETs, don't chunk bulk creates, or retry on their own. So the gateway builds each request
itself and sends it through ``JIRA._session`` (auth, headers, timeout, connection pool), with
the client's own retries switched off (``max_retries=0``: ``ResilientSession.request`` then
makes exactly one attempt and never sleeps). Retries, pagination, field selection and error
mapping happen here, once, through ``retry.call_with_retry``.

Cloud and Data Center differ inside this module only: API version 3 vs 2, enhanced JQL search
with ``nextPageToken`` vs ``/search`` with ``startAt``, ADF vs plain-text bodies, account ids
vs user names, ``parent`` vs the "Epic Link" field, bulk fetch endpoints vs searches.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol
from urllib.parse import quote, urlsplit

import requests
from jira import JIRA
from pydantic import SecretStr

from .adf import adf_to_text, is_adf, text_to_adf
from .bulk import TASK_DONE, BulkResult, bulk_edit_outcome, properties_task_failures
from .errors import (
    AtlassianError,
    BadRequest,
    ConfigError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)
from .fields import FieldCatalog, field_info_from_json
from .model import (
    Board,
    ChangeItem,
    ChangelogEntry,
    Comment,
    CreateResult,
    FieldInfo,
    Issue,
    IssueLink,
    Project,
    ServerInfo,
    Sprint,
    Status,
    Transition,
    User,
    Worklog,
)
from .pace import IssueWritePacer
from .retry import (
    API_TOKEN_URL,
    DEFAULT_POLICY,
    ErrorContext,
    RetryDecision,
    RetryPolicy,
    call_with_retry,
    json_length,
    to_error,
)

__all__ = [
    "BULK_CREATE_CHUNK",
    "BULK_EDIT_CHUNK",
    "BULK_FETCH_CHUNK",
    "PROPERTIES_BULK_CHUNK",
    "BulkResult",
    "CallCounter",
    "JiraApi",
    "JiraGateway",
]

log = logging.getLogger(__name__)

BULK_CREATE_CHUNK = 50  # POST /issue/bulk accepts up to 50 issues
BULK_FETCH_CHUNK = 100  # POST /issue/bulkfetch accepts up to 100 ids or keys
CHANGELOG_BULK_CHUNK = 1000  # POST /changelog/bulkfetch: 1,000 issues, 10 field ids
MAX_KEYS_PAGE = 5000  # enhanced search page size when only keys are asked for
MAX_PROPERTY_CHARS = 32_768
BULK_EDIT_CHUNK = 1000  # POST /bulk/issues/fields edits up to 1,000 issues
PROPERTIES_BULK_CHUNK = 100  # POST /issue/properties/multi: 100 issues ...
PROPERTIES_PER_ISSUE = 10  # ... with up to 10 properties each
# Polling Jira's asynchronous tasks: at once, then 0.5 s, doubling up to 5 s, for 5 minutes.
TASK_POLL_FIRST_DELAY = 0.5
TASK_POLL_MAX_DELAY = 5.0
TASK_POLL_TIMEOUT = 300.0
# POSTs that only read (long bodies): counted as reads, as the sandbox ledger does.
_READ_ONLY_POSTS = ("/search/jql", "/search", "/search/approximate-count", "/bulkfetch")
_SEARCH_PROPERTIES_MAX = 5

Timeout = float | tuple[float, float]

# Fields whose plain-string value the gateway turns into the object Jira expects.
_BY_KEY = {"project", "parent"}
_BY_NAME = {"issuetype", "priority", "resolution", "security"}
_RICH_TEXT = {"description", "environment"}
_TEXTAREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"
# System field ids every site has: used as given, without fetching the field list.
_SYSTEM_FIELDS = frozenset(
    {
        "assignee", "components", "created", "creator", "description", "duedate",
        "environment", "fixVersions", "issuelinks", "issuetype", "labels", "parent",
        "priority", "project", "reporter", "resolution", "resolutiondate", "security",
        "status", "subtasks", "summary", "timetracking", "updated", "versions",
    }
)  # fmt: skip


# ``issue/{key}`` and what hangs under it (comment, transitions, properties/x): a write there
# counts against that issue's write limit. Search and bulk paths are not per issue.
_ISSUE_WRITE = re.compile(r"issue/([^/?]+)")


@dataclass
class CallCounter:
    """Every HTTP request a gateway sent, retries included, as a read or a write.

    ``bridge sync --format json`` reports these; they match the sandbox ledger's
    ``Call.is_write`` (searches and bulk fetches are POSTs that only read).
    """

    reads: int = 0
    writes: int = 0

    def count(self, method: str, path: str) -> None:
        method = method.upper()
        read_only_post = method == "POST" and path.rstrip("/").endswith(_READ_ONLY_POSTS)
        if method in ("GET", "HEAD") or read_only_post:
            self.reads += 1
        else:
            self.writes += 1


class JiraApi(Protocol):
    """Exactly the Jira calls bridgeplugin makes; the domain's in-memory fake implements this."""

    calls: CallCounter

    def server_info(self) -> ServerInfo: ...
    def myself(self) -> User: ...
    def fields(self) -> list[FieldInfo]: ...
    def resolve_field(self, name: str) -> FieldInfo: ...
    def resolve_fields(self, names: Iterable[str]) -> list[FieldInfo]: ...
    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str],
        properties: Sequence[str] = (),
        page_size: int = 100,
        expand: Sequence[str] = (),
        reconcile: Sequence[int] = (),
    ) -> Iterator[Issue]: ...
    def search_keys(self, jql: str, *, page_size: int = MAX_KEYS_PAGE) -> Iterator[str]: ...
    def get_issues(
        self, keys: Sequence[str], fields: Sequence[str], *, properties: Sequence[str] = ()
    ) -> list[Issue]: ...
    def get_issue(
        self, key: str, fields: Sequence[str], *, properties: Sequence[str] = ()
    ) -> Issue: ...
    def create_issues(self, specs: Sequence[Mapping[str, Any]]) -> list[CreateResult]: ...
    def create_issue(
        self,
        spec: Mapping[str, Any],
        *,
        probe: Callable[[], CreateResult | None] | None = None,
    ) -> CreateResult: ...
    def edit_issue(
        self,
        key: str,
        fields: Mapping[str, Any] | None = None,
        update: Mapping[str, Any] | None = None,
        notify: bool = False,
    ) -> None: ...
    def add_labels(self, key: str, labels: Iterable[str]) -> None: ...
    def remove_labels(self, key: str, labels: Iterable[str]) -> None: ...
    def transitions(self, key: str) -> list[Transition]: ...
    def transition(
        self,
        key: str,
        name_or_id: str,
        fields: Mapping[str, Any] | None = None,
        *,
        known: Transition | None = None,
    ) -> Transition: ...
    def add_comment(
        self, key: str, body_text: str, *, probe: Callable[[], Comment | None] | None = None
    ) -> Comment: ...
    def comments(self, key: str) -> list[Comment]: ...
    def link_issues(self, type_name: str, inward_key: str, outward_key: str) -> None: ...
    def get_property(self, key: str, prop: str) -> Any | None: ...
    def set_property(self, key: str, prop: str, value: Any) -> None: ...
    def bulk_edit_labels(
        self,
        keys: Sequence[str],
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        *,
        ids: Mapping[str, str] | None = None,
    ) -> BulkResult: ...
    def set_properties_bulk(
        self, values: Mapping[str, Mapping[str, Any]], *, ids: Mapping[str, str] | None = None
    ) -> BulkResult: ...
    def comments_bulk(self, keys: Sequence[str]) -> dict[str, list[Comment]]: ...
    def changelog(self, key: str) -> Iterator[ChangelogEntry]: ...
    def changelogs_bulk(
        self, keys: Sequence[str], field_ids: Sequence[str] | None = None
    ) -> dict[str, list[ChangelogEntry]]: ...
    def worklogs(self, key: str) -> list[Worklog]: ...
    def user(self, account_id: str) -> User: ...
    def group_members(self, group: str) -> list[User]: ...
    def existing_groups(self, names: Sequence[str]) -> set[str]: ...
    def user_groups(self, account_id: str) -> list[str]: ...
    def projects(self) -> list[Project]: ...
    def project(self, key: str) -> Project: ...
    def statuses(self, project: str) -> list[Status]: ...
    def my_permissions(self, project_key: str, permissions: Sequence[str]) -> dict[str, bool]: ...
    def boards(self, project_key: str | None = None) -> list[Board]: ...
    def sprints(
        self, board_id: int, states: Sequence[str] = ("active", "closed")
    ) -> list[Sprint]: ...
    def sprint_issues(self, sprint_id: int, fields: Sequence[str]) -> Iterator[Issue]: ...


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class JiraGateway:
    """``JiraApi`` over the ``jira`` client's HTTP session, for Cloud and Data Center.

    Credentials: ``email`` + ``token`` (Cloud API token, basic auth) or ``pat`` (Data Center
    personal access token, sent as a bearer token). Both are ``SecretStr`` and leave this
    object only inside the session's auth handler. ``timeout`` is ``(connect, read)`` seconds
    and applies to every request (the session passes it on each call). ``deployment`` skips the
    ``serverInfo`` probe when the caller already knows ("Cloud" or "Server").
    """

    def __init__(
        self,
        base_url: str,
        *,
        email: str | None = None,
        token: SecretStr | None = None,
        pat: SecretStr | None = None,
        timeout: Timeout = (5.0, 30.0),
        policy: RetryPolicy = DEFAULT_POLICY,
        deployment: Literal["Cloud", "Server"] | None = None,
        on_retry: Callable[[RetryDecision, int, float], None] | None = None,
    ) -> None:
        if not base_url:
            raise ConfigError("no Jira site configured", hint="set BRIDGE_JIRA_URL")
        self.base_url = base_url.rstrip("/")
        self._policy = policy
        self._on_retry = on_retry
        self._timeout = timeout
        if pat is not None and pat.get_secret_value():
            auth: dict[str, Any] = {"token_auth": pat.get_secret_value()}
            account = "the personal access token"
            credential_vars = "BRIDGE_JIRA_PAT"
            credential_help = "create one in Jira under Profile > Personal Access Tokens"
        elif email and token is not None and token.get_secret_value():
            auth = {"basic_auth": (email, token.get_secret_value())}
            account = email
            credential_vars = "BRIDGE_JIRA_EMAIL/BRIDGE_JIRA_TOKEN"
            credential_help = f"create a token at {API_TOKEN_URL}"
        else:
            raise ConfigError(
                "no Jira credentials configured",
                hint="set BRIDGE_JIRA_EMAIL and BRIDGE_JIRA_TOKEN (Cloud) or BRIDGE_JIRA_PAT",
            )
        # get_server_info=False: the constructor makes no request; serverInfo goes through
        # the retry layer below. max_retries=0: exactly one retry layer (ours).
        self._jira = JIRA(
            server=self.base_url,
            get_server_info=False,
            max_retries=0,
            timeout=timeout,
            options={"check_update": False},
            **auth,
        )
        self._session: requests.Session = self._jira._session
        self._ctx = ErrorContext(
            service="Jira",
            base_url=self.base_url,
            account=account,
            credential_vars=credential_vars,
            credential_help=credential_help,
            url_var="BRIDGE_JIRA_URL",
            timeout=timeout,
        )
        self._info: ServerInfo | None = None
        if deployment is not None:
            self._info = ServerInfo(base_url=self.base_url, deployment_type=deployment)
            self._sync_client_info()
        self._catalog: FieldCatalog | None = None
        self._project_types: dict[str, dict[str, bool]] = {}
        # Writes that name issues wait rather than run into Jira's per-issue limit (pace.py).
        self.pacer = IssueWritePacer()
        self._may_mute = True  # False once Jira refused notifyUsers=false (see edit_issue)
        self._may_bulk_edit = True  # False once Jira refused bulk edit (see bulk_edit_labels)
        self.calls = CallCounter()

    # ---------------------------------------------------------------------------- plumbing

    def close(self) -> None:
        """Release the HTTP connections."""
        self._jira.close()

    def __enter__(self) -> JiraGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_cloud(self) -> bool:
        return self.server_info().is_cloud

    def _api_version(self) -> str:
        return "3" if self.is_cloud else "2"

    def _url(self, path: str, api: str) -> str:
        if api == "agile":
            return f"{self.base_url}/rest/agile/1.0/{path}"
        version = "2" if api == "v2" else self._api_version()
        return f"{self.base_url}/rest/api/{version}/{path}"

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        subject: str | None = None,
        permission: str | None = None,
        probe: Callable[[], Any] | None = None,
        api: str = "platform",
        location: bool = False,
        issues: Sequence[str] = (),
    ) -> Any:
        """Send one request through the client's session, retried and error-mapped.

        ``location=True``: the answer is a redirect to a task (``303 See Other``); it is not
        followed, and its ``Location`` header is returned instead of a body. A write is paced
        per issue (``pace.py``): the issue its path names, and ``issues`` (a link names two).
        """
        url = self._url(path, api)
        if idempotent is None:
            idempotent = method in {"GET", "PUT", "DELETE", "HEAD"}
        data = json.dumps(body) if body is not None else None
        ctx = replace(
            self._ctx,
            method=method,
            path=urlsplit(url).path,
            subject=subject,
            permission=permission,
        )

        written = [*issues]
        if method not in ("GET", "HEAD"):
            named = _ISSUE_WRITE.match(path)
            if named and not named.group(1).startswith(("bulk", "properties")):
                written.append(named.group(1))

        def send() -> Any:
            if written:
                self.pacer.before_write(written)
            self.calls.count(method, urlsplit(url).path)
            if location:
                resp = self._session.request(
                    method, url, params=params, data=data, allow_redirects=False
                )
                return resp.headers.get("Location")
            resp = self._session.request(method, url, params=params, data=data)
            if not resp.content:
                return None
            try:
                return resp.json()
            except ValueError:
                raise AtlassianError(
                    f"Jira answered {method} {urlsplit(url).path} with something that is not "
                    f"JSON ({resp.headers.get('Content-Type', 'no content type')})",
                    status=resp.status_code,
                    method=method,
                    url=url.split("?", 1)[0],
                    hint="check that BRIDGE_JIRA_URL points at the Jira site itself",
                ) from None

        return call_with_retry(
            send,
            idempotent=idempotent,
            policy=self._policy,
            on_retry=self._on_retry,
            probe=probe,
            translate=lambda exc: to_error(exc, ctx),
            label=f"Jira {method} {urlsplit(url).path}",
        )

    def _sync_client_info(self) -> None:
        # Keep the jira client's own view consistent (its helpers branch on these).
        assert self._info is not None
        self._jira.deploymentType = self._info.deployment_type
        numbers = [int(p) for p in self._info.version.split(".") if p.isdigit()]
        self._jira._version = tuple(numbers) or (0, 0, 0)

    # ---------------------------------------------------------------------------- site

    def server_info(self) -> ServerInfo:
        """Site facts, fetched once: ``deploymentType`` decides Cloud vs Data Center paths."""
        if self._info is None:
            raw = self._request("GET", "serverInfo", api="v2", subject="the Jira site") or {}
            self._info = ServerInfo(
                base_url=str(raw.get("baseUrl") or self.base_url),
                deployment_type=str(raw.get("deploymentType") or "Server"),
                version=str(raw.get("version") or ""),
            )
            self._sync_client_info()
        return self._info

    def myself(self) -> User:
        return _user(self._request("GET", "myself", subject="the current user"))

    def fields(self) -> list[FieldInfo]:
        """All fields of the site, fetched once per gateway (names rarely change mid-run)."""
        return list(self._fields_catalog().fields)

    def _fields_catalog(self) -> FieldCatalog:
        if self._catalog is None:
            raw = self._request("GET", "field", subject="the field list") or []
            self._catalog = FieldCatalog(field_info_from_json(f) for f in raw)
        return self._catalog

    def resolve_field(self, name: str) -> FieldInfo:
        return self._fields_catalog().resolve(name)

    def resolve_fields(self, names: Iterable[str]) -> list[FieldInfo]:
        return self._fields_catalog().resolve_many(names)

    def _info_for(self, name: str) -> FieldInfo:
        """A field by name or id; well-known system ids need no ``/field`` round trip."""
        if name in _SYSTEM_FIELDS:
            return FieldInfo(id=name, name=name)
        return self._fields_catalog().resolve(name)

    def _field_ids(self, names: Sequence[str]) -> list[str]:
        if isinstance(names, str):
            raise TypeError("fields must be a list of names or ids, not one string")
        ids: list[str] = []
        for name in names:
            if name.startswith("*"):
                raise ValueError(
                    f"fields={name!r} is refused: name the fields you need (large payloads, "
                    "slow searches and smaller pages otherwise)"
                )
            fid = self._info_for(name).id
            if fid not in ids:
                ids.append(fid)
        return ids

    # ---------------------------------------------------------------------------- search

    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str],
        properties: Sequence[str] = (),
        page_size: int = 100,
        expand: Sequence[str] = (),
        reconcile: Sequence[int] = (),
    ) -> Iterator[Issue]:
        """Issues matching ``jql``, lazily, one page in memory at a time.

        ``fields`` are names or ids, resolved up front so a typo fails before any search; they
        are always sent explicitly (Jira's default is ``id`` only, the client's ``*all``).
        ``reconcile`` (issue ids, up to 50) asks Cloud for read-after-write consistency, e.g.
        when looking for an issue created moments ago.
        """
        ids = self._field_ids(fields)
        if len(properties) > _SEARCH_PROPERTIES_MAX:
            raise ValueError(f"at most {_SEARCH_PROPERTIES_MAX} issue properties per search")
        if len(reconcile) > 50:
            raise ValueError("at most 50 issue ids can be reconciled")
        if not 1 <= page_size <= MAX_KEYS_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_KEYS_PAGE}")
        if self.is_cloud:
            body: dict[str, Any] = {"jql": jql, "fields": ids, "maxResults": page_size}
            if properties:
                body["properties"] = list(properties)
            if expand:
                body["expand"] = ",".join(expand)
            if reconcile:
                body["reconcileIssues"] = [int(i) for i in reconcile]
            raw_pages = self._enhanced_search_pages(body)
        else:
            body = {"jql": jql, "fields": ids, "maxResults": page_size}
            if properties:
                body["properties"] = list(properties)
            if expand:
                body["expand"] = list(expand)
            raw_pages = self._offset_search_pages(body)
        return (self._issue(raw) for page in raw_pages for raw in page)

    def search_keys(self, jql: str, *, page_size: int = MAX_KEYS_PAGE) -> Iterator[str]:
        """Only the keys matching ``jql``: the cheapest search, with pages of up to 5,000."""
        page_size = max(1, min(page_size, MAX_KEYS_PAGE))
        body: dict[str, Any] = {"jql": jql, "fields": ["key"], "maxResults": page_size}
        pages = (
            self._enhanced_search_pages(body) if self.is_cloud else self._offset_search_pages(body)
        )
        return (_key_of(raw) for page in pages for raw in page)

    def _enhanced_search_pages(self, body: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """POST /rest/api/3/search/jql, following ``nextPageToken`` (Cloud).

        POST rather than GET so long JQL and field lists never hit URL length limits; it only
        reads, so it is retried like a GET.
        """
        token: str | None = None
        seen: set[str] = set()
        while True:
            page_body = dict(body)
            if token:
                page_body["nextPageToken"] = token
            data = self._request(
                "POST",
                "search/jql",
                body=page_body,
                idempotent=True,
                subject="the search",
                permission="Browse Projects",
            )
            yield list(data.get("issues") or [])
            token = data.get("nextPageToken")
            if not token or data.get("isLast") is True:
                return
            if token in seen:
                raise AtlassianError(
                    "Jira repeated a search page token; stopping to avoid an endless loop",
                    method="POST",
                    url=self._url("search/jql", "platform"),
                )
            seen.add(token)

    def _offset_search_pages(self, body: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """POST /rest/api/2/search with ``startAt`` (Data Center only: gone from Cloud)."""
        start = 0
        while True:
            data = self._request(
                "POST",
                "search",
                body={**body, "startAt": start},
                idempotent=True,
                subject="the search",
                permission="Browse Projects",
            )
            issues = list(data.get("issues") or [])
            yield issues
            start += len(issues)
            total = data.get("total")
            if not issues or (isinstance(total, int) and start >= total):
                return

    # ---------------------------------------------------------------------------- read issues

    def get_issues(
        self, keys: Sequence[str], fields: Sequence[str], *, properties: Sequence[str] = ()
    ) -> list[Issue]:
        """Issues by key or id, 100 per request, in the order asked (unknown ones left out)."""
        ids = self._field_ids(fields)
        keys = list(dict.fromkeys(keys))
        found: list[Issue] = []
        if not keys:
            return found
        if self.is_cloud:
            for chunk in _chunks(keys, BULK_FETCH_CHUNK):
                body: dict[str, Any] = {"issueIdsOrKeys": list(chunk), "fields": ids}
                if properties:
                    body["properties"] = list(properties)
                data = self._request(
                    "POST",
                    "issue/bulkfetch",
                    body=body,
                    idempotent=True,
                    subject=f"issues {', '.join(chunk[:3])}{'…' if len(chunk) > 3 else ''}",
                    permission="Browse Projects",
                )
                for err in data.get("issueErrors") or []:
                    log.warning(
                        "Jira could not return issue %s: %s", err.get("id"), err.get("errorMessage")
                    )
                found.extend(self._issue(raw) for raw in data.get("issues") or [])
        else:
            for chunk in _chunks(keys, BULK_FETCH_CHUNK):
                jql = f"key in ({', '.join(_jql_quote(k) for k in chunk)})"
                found.extend(self.search(jql, fields=ids, properties=properties))
        order = {k.upper(): i for i, k in enumerate(keys)}
        return sorted(found, key=lambda i: order.get(i.key.upper(), order.get(i.id, len(order))))

    def get_issue(
        self, key: str, fields: Sequence[str], *, properties: Sequence[str] = ()
    ) -> Issue:
        ids = self._field_ids(fields)
        params: dict[str, Any] = {"fields": ",".join(ids) if ids else "id"}
        if properties:
            params["properties"] = ",".join(properties)
        raw = self._request(
            "GET",
            f"issue/{quote(key)}",
            params=params,
            subject=f"issue {key}",
            permission="Browse Projects",
        )
        return self._issue(raw)

    # ---------------------------------------------------------------------------- write issues

    def create_issues(self, specs: Sequence[Mapping[str, Any]]) -> list[CreateResult]:
        """Create issues 50 per request; one result per spec, in order, ok or with its errors.

        Jira answers 201 when some succeed (failed ones in ``errors[].failedElementNumber``)
        and 400 when all fail; both come back as results, not exceptions. A chunk is re-sent
        only when the failure proves nothing was created (429, refused connection): callers
        converge on lost responses by looking before creating on their next run.
        """
        prepared = [self._issue_update(spec) for spec in specs]
        results: list[CreateResult] = []
        for offset in range(0, len(prepared), BULK_CREATE_CHUNK):
            chunk = prepared[offset : offset + BULK_CREATE_CHUNK]
            project = _spec_project(chunk[0])
            try:
                data = self._request(
                    "POST",
                    "issue/bulk",
                    body={"issueUpdates": chunk},
                    idempotent=False,
                    subject=f"project {project}" if project else "the new issues",
                    permission="Create Issues",
                )
            except BadRequest as exc:
                errors = exc.details.get("errors")
                if not isinstance(errors, list) or not errors:
                    raise
                data = {"issues": [], "errors": errors}
            results.extend(_bulk_results(data or {}, offset, len(chunk)))
        return results

    def create_issue(
        self,
        spec: Mapping[str, Any],
        *,
        probe: Callable[[], CreateResult | None] | None = None,
    ) -> CreateResult:
        """Create one issue; ``probe`` finds it if a lost response leaves the outcome unknown.

        Without a probe an ambiguous failure (timeout, 503) is raised, never blindly re-sent.
        """
        body = self._issue_update(spec)
        project = _spec_project(body)
        data = self._request(
            "POST",
            "issue",
            body=body,
            idempotent=False,
            probe=probe,
            subject=f"project {project}" if project else "the new issue",
            permission="Create Issues",
        )
        if isinstance(data, CreateResult):
            return data
        if not isinstance(data, Mapping) or not data.get("key"):
            raise AtlassianError(
                "Jira answered the create without an issue key",
                method="POST",
                url=self._url("issue", "platform"),
                hint="look for the issue before creating it again",
            )
        return CreateResult(index=0, id=str(data.get("id")), key=str(data["key"]))

    def edit_issue(
        self,
        key: str,
        fields: Mapping[str, Any] | None = None,
        update: Mapping[str, Any] | None = None,
        notify: bool = False,
    ) -> None:
        """Edit fields (``fields`` sets, ``update`` applies operations like add/remove).

        ``notify=False`` sends ``notifyUsers=false`` so a sync run doesn't mail every watcher.
        Only accounts with admin rights may mute notifications: the OpenAPI description says
        Jira then ignores the flag, while some sites answer 403 instead. On a 403 the edit is
        sent once more without the flag (and later edits don't ask again); a 403 then is a
        real missing Edit Issues permission.
        """
        body: dict[str, Any] = {}
        if fields:
            body["fields"] = self._field_values(fields)
        if update:
            body["update"] = {self._field_id(k): v for k, v in update.items()}
        if not body:
            return
        mute = not notify and self._may_mute
        try:
            self._send_edit(key, body, mute=mute)
        except PermissionDenied:
            if not mute:
                raise
            self._may_mute = False
            self._send_edit(key, body, mute=False)

    def _send_edit(self, key: str, body: dict[str, Any], *, mute: bool) -> None:
        self._request(
            "PUT",
            f"issue/{quote(key)}",
            params={"notifyUsers": "false"} if mute else None,
            body=body,
            subject=f"issue {key}",
            permission="Edit Issues",
        )

    def add_labels(self, key: str, labels: Iterable[str]) -> None:
        """Add labels without touching the others (``update.labels`` add, never a full set)."""
        ops = [{"add": label} for label in dict.fromkeys(labels)]
        if ops:
            self.edit_issue(key, update={"labels": ops})

    def remove_labels(self, key: str, labels: Iterable[str]) -> None:
        ops = [{"remove": label} for label in dict.fromkeys(labels)]
        if ops:
            self.edit_issue(key, update={"labels": ops})

    def transitions(self, key: str) -> list[Transition]:
        return [t for t, _ in self._transitions(key)]

    def _transitions(self, key: str) -> list[tuple[Transition, bool]]:
        """Transitions available now, each with whether it loops back to the same status."""
        raw = self._request(
            "GET",
            f"issue/{quote(key)}/transitions",
            subject=f"issue {key}",
            permission="Browse Projects",
        )
        return [
            (_transition(t), bool(t.get("looped"))) for t in (raw or {}).get("transitions") or []
        ]

    def transition(
        self,
        key: str,
        name_or_id: str,
        fields: Mapping[str, Any] | None = None,
        *,
        known: Transition | None = None,
    ) -> Transition:
        """Move ``key`` by transition name (case-insensitive) or id; returns the one taken.

        Names are what workflows share across sites; ids differ. An unknown name raises
        ``BadRequest`` listing the transitions available *now*, since availability depends on
        the current status and the account's permissions. ``known``: the transition as the
        caller read it from ``transitions(key)`` moments ago; it is taken without reading the
        list again (if the issue moved meanwhile, Jira refuses it and says why).
        """
        if known is not None:
            available = [(known, known.looped)]
            name_or_id = known.id
        else:
            available = self._transitions(key)
        wanted = name_or_id.strip()
        match = next((p for p in available if p[0].id == wanted), None) or next(
            (p for p in available if p[0].name.casefold() == wanted.casefold()), None
        )
        if match is None:
            names = ", ".join(repr(t.name) for t, _ in available) or "none"
            raise BadRequest(
                f"issue {key} has no transition {name_or_id!r} from its current status; "
                f"available: {names}",
                method="POST",
                url=self._url(f"issue/{quote(key)}/transitions", "platform"),
                details={"available": [t.name for t, _ in available]},
                hint="check the workflow, or whether the issue was moved meanwhile",
            )
        chosen, looped = match
        body: dict[str, Any] = {"transition": {"id": chosen.id}}
        if fields:
            body["fields"] = self._field_values(fields)

        def probe() -> Transition | None:
            # Applied iff the issue now sits in the target status. A looped transition keeps
            # the status, so it can't be told apart: then an unknown outcome is raised.
            status = self.get_issue(key, ["status"]).status or ""
            return chosen if status.casefold() == chosen.to_status.casefold() else None

        self._request(
            "POST",
            f"issue/{quote(key)}/transitions",
            body=body,
            idempotent=False,
            probe=None if looped else probe,
            subject=f"issue {key}",
            permission="Transition Issues",
        )
        return chosen

    def add_comment(
        self, key: str, body_text: str, *, probe: Callable[[], Comment | None] | None = None
    ) -> Comment:
        """Comment in plain text (ADF on Cloud); ``probe`` finds it after a lost response."""
        body: Any = text_to_adf(body_text) if self.is_cloud else body_text
        raw = self._request(
            "POST",
            f"issue/{quote(key)}/comment",
            body={"body": body},
            idempotent=False,
            probe=probe,
            subject=f"issue {key}",
            permission="Add Comments",
        )
        return raw if isinstance(raw, Comment) else _comment(raw)

    def comments(self, key: str) -> list[Comment]:
        return [
            _comment(c)
            for c in self._offset_pages(
                f"issue/{quote(key)}/comment", items_key="comments", subject=f"issue {key}"
            )
        ]

    def link_issues(self, type_name: str, inward_key: str, outward_key: str) -> None:
        """Link two issues; after an ambiguous failure, look for the link before re-sending."""

        def probe() -> bool | None:
            issue = self.get_issue(inward_key, ["issuelinks"])
            for link in issue.links:
                if link.type.casefold() == type_name.casefold() and link.key == outward_key:
                    return True
            return None

        self._request(
            "POST",
            "issueLink",
            body={
                "type": {"name": type_name},
                "inwardIssue": {"key": inward_key},
                "outwardIssue": {"key": outward_key},
            },
            idempotent=False,
            probe=probe,
            issues=(inward_key, outward_key),
            subject=f"issues {inward_key} and {outward_key}",
            permission="Link Issues",
        )

    def get_property(self, key: str, prop: str) -> Any | None:
        """An issue entity property's value, or None when it is not set."""
        try:
            raw = self._request(
                "GET",
                f"issue/{quote(key)}/properties/{quote(prop, safe='')}",
                subject=f"property {prop!r} of issue {key}",
            )
        except NotFound:
            return None
        return (raw or {}).get("value")

    def set_property(self, key: str, prop: str, value: Any) -> None:
        """Store ``value`` as an issue entity property (checked against Jira's limit first)."""
        _check_property(key, prop, value)
        self._request(
            "PUT",
            f"issue/{quote(key)}/properties/{quote(prop, safe='')}",
            body=value,
            subject=f"issue {key}",
            permission="Edit Issues",
        )

    # ---------------------------------------------------------------------------- bulk writes

    def bulk_edit_labels(
        self,
        keys: Sequence[str],
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        *,
        ids: Mapping[str, str] | None = None,
    ) -> BulkResult:
        """Add and/or remove labels on many issues; their other labels stay as they are.

        Cloud: ``POST /bulk/issues/fields``, up to 1,000 issues per request and one request per
        operation (Jira takes one option per field), ``sendBulkNotification: false``, then the
        task is polled until it is done. Bulk edit needs the global "Make bulk changes"
        permission: on a 403 this call and every later one fall back to one ``update.labels``
        edit per issue. Data Center has no bulk edit: one edit per issue.

        ``ids`` (key -> numeric id, e.g. from the search that found the issues) maps Jira's
        per-issue outcomes, which come by id, back to keys without a lookup. Re-sending is
        harmless (adding a present label or removing an absent one changes nothing), so a
        lost answer is retried like an idempotent call.
        """
        keys = list(dict.fromkeys(keys))
        add_list = list(dict.fromkeys(add))
        remove_list = list(dict.fromkeys(remove))
        if not keys or not (add_list or remove_list):
            return BulkResult()
        if self.is_cloud and self._may_bulk_edit:
            try:
                result = BulkResult()
                for option, labels in (("ADD", add_list), ("REMOVE", remove_list)):
                    if not labels:
                        continue
                    for chunk in _chunks(keys, BULK_EDIT_CHUNK):
                        result = result.merge(self._bulk_edit(chunk, option, labels, ids))
                return result
            except PermissionDenied:
                log.warning(
                    "Jira refused bulk edit (the account lacks the global 'Make bulk changes' "
                    "permission): editing labels one issue at a time"
                )
                self._may_bulk_edit = False
        return self._labels_per_issue(keys, add_list, remove_list)

    def _bulk_edit(
        self,
        keys: Sequence[str],
        option: str,
        labels: Sequence[str],
        ids: Mapping[str, str] | None,
    ) -> BulkResult:
        body = {
            "selectedIssueIdsOrKeys": list(keys),
            "selectedActions": ["labels"],
            "editedFieldsInput": {
                "labelsFields": [
                    {
                        "fieldId": "labels",
                        "bulkEditMultiSelectFieldOption": option,
                        "labels": [{"name": label} for label in labels],
                    }
                ]
            },
            "sendBulkNotification": False,
        }
        data = self._request(
            "POST",
            "bulk/issues/fields",
            body=body,
            idempotent=True,
            subject=f"{len(keys)} issues",
            permission="Make bulk changes",
        )
        task = str((data or {}).get("taskId") or "")
        if not task:
            raise AtlassianError(
                "Jira answered the bulk edit without a task id",
                method="POST",
                url=self._url("bulk/issues/fields", "platform"),
                hint="the next sync checks the labels again and edits what is missing",
            )

        def progress() -> Any:
            return self._request(
                "GET",
                f"bulk/queue/{quote(task)}",
                subject=f"bulk edit task {task}",
                permission="Make bulk changes",
            )

        done = self._await_task(progress, f"bulk edit task {task}")
        processed = done.get("processedAccessibleIssues") or []
        failures = done.get("failedAccessibleIssues") or {}
        if done.get("status") == "COMPLETE" and not failures and len(processed) >= len(keys):
            return BulkResult(ok=tuple(keys), tasks=(task,))
        # Something was left out: Jira names it by id, so map ids back to keys.
        id_map = {k: str(v) for k, v in (ids or {}).items()}
        missing = [k for k in keys if k not in id_map]
        if missing:
            id_map.update(self._issue_ids(missing))
        return bulk_edit_outcome(keys, id_map, done, task)

    def _labels_per_issue(
        self, keys: Sequence[str], add: Sequence[str], remove: Sequence[str]
    ) -> BulkResult:
        ops = [{"add": label} for label in add] + [{"remove": label} for label in remove]
        ok: list[str] = []
        failed: dict[str, tuple[str, ...]] = {}
        for key in keys:
            try:
                self.edit_issue(key, update={"labels": ops})
            except _ISSUE_ERRORS as exc:
                failed[key] = (exc.message,)
            else:
                ok.append(key)
        return BulkResult(ok=tuple(ok), failed=failed, per_issue=True)

    def set_properties_bulk(
        self, values: Mapping[str, Mapping[str, Any]], *, ids: Mapping[str, str] | None = None
    ) -> BulkResult:
        """Set entity properties on many issues: ``{key: {property: value}}``.

        Cloud: ``POST /issue/properties/multi``, 100 issues with up to 10 properties each per
        request; Jira answers ``303`` to a task that is polled until done. It is not
        transactional: issues that failed are named in the task result. The endpoint takes
        numeric issue ids: from ``ids``, a key that is already an id, or else one bulk fetch
        per 100 keys. Setting a value twice equals setting it once, so a lost answer is
        retried. Data Center: one ``PUT`` per property. Values are checked against Jira's
        limits (non-empty, 32,768 characters) before anything is sent.
        """
        items: dict[str, dict[str, Any]] = {}
        for key, props in values.items():
            if len(props) > PROPERTIES_PER_ISSUE:
                raise ValueError(f"at most {PROPERTIES_PER_ISSUE} properties per issue ({key})")
            for prop, value in props.items():
                _check_property(key, prop, value)
            if props:
                items[key] = dict(props)
        if not items:
            return BulkResult()
        if not self.is_cloud:
            return self._properties_per_issue(items)
        id_map = self._issue_ids(list(items), ids)
        failed: dict[str, tuple[str, ...]] = {
            k: ("no such issue (or not visible to this account)",) for k in items if k not in id_map
        }
        ok: list[str] = []
        tasks: list[str] = []
        known = [k for k in items if k in id_map]
        for chunk in _chunks(known, PROPERTIES_BULK_CHUNK):
            body = {"issues": [{"issueID": int(id_map[k]), "properties": items[k]} for k in chunk]}
            where = self._request(
                "POST",
                "issue/properties/multi",
                body=body,
                idempotent=True,
                location=True,
                subject=f"{len(chunk)} issues",
                permission="Edit Issues",
            )
            task = str(where or "").rstrip("/").rsplit("/", 1)[-1]
            if not task:
                raise AtlassianError(
                    "Jira answered the bulk property update without a task location",
                    method="POST",
                    url=self._url("issue/properties/multi", "platform"),
                    hint="the next sync compares the properties again and writes what differs",
                )
            tasks.append(task)

            def status(task: str = task) -> Any:
                return self._request("GET", f"task/{quote(task)}", subject=f"task {task}")

            failures = properties_task_failures(self._await_task(status, f"property task {task}"))
            for key in chunk:
                reasons = failures.get(id_map[key]) or failures.get("*")
                if reasons:
                    failed[key] = reasons
                else:
                    ok.append(key)
        return BulkResult(ok=tuple(ok), failed=failed, tasks=tuple(tasks))

    def _properties_per_issue(self, items: Mapping[str, Mapping[str, Any]]) -> BulkResult:
        ok: list[str] = []
        failed: dict[str, tuple[str, ...]] = {}
        for key, props in items.items():
            try:
                for prop, value in props.items():
                    self.set_property(key, prop, value)
            except _ISSUE_ERRORS as exc:
                failed[key] = (exc.message,)
            else:
                ok.append(key)
        return BulkResult(ok=tuple(ok), failed=failed, per_issue=True)

    def _issue_ids(
        self, keys: Sequence[str], known: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Key -> numeric id: from ``known``, keys that are ids, else a bulk fetch."""
        out = {k: str(known[k]) for k in keys if known and k in known}
        out.update({k: k for k in keys if k.isdigit()})
        missing = [k for k in keys if k not in out]
        if missing:
            by_key = {i.key.upper(): i.id for i in self.get_issues(missing, ["issuetype"])}
            out.update({k: by_key[k.upper()] for k in missing if k.upper() in by_key})
        return out

    def _await_task(self, fetch: Callable[[], Any], what: str) -> dict[str, Any]:
        """Poll an asynchronous task until it is done: at once, then after 0.5, 1, 2, 4, 5, 5 …
        seconds, for at most ``TASK_POLL_TIMEOUT``. Each poll goes through the retry layer."""
        waited = 0.0
        delay = TASK_POLL_FIRST_DELAY
        while True:
            data = fetch() or {}
            status = str(data.get("status") or "")
            if status in TASK_DONE:
                return dict(data)
            if waited >= TASK_POLL_TIMEOUT:
                raise AtlassianError(
                    f"Jira's {what} did not finish within {TASK_POLL_TIMEOUT:.0f} s "
                    f"(status {status or 'unknown'})",
                    hint="it may still finish; the next sync compares again and writes only "
                    "what is missing",
                )
            self._policy.sleep(delay)
            waited += delay
            delay = min(delay * 2, TASK_POLL_MAX_DELAY)

    def comments_bulk(self, keys: Sequence[str]) -> dict[str, list[Comment]]:
        """Comments of many issues, by key: the ``comment`` field of a bulk fetch, 100 issues
        per request (Cloud). An issue with more comments than that field carries is read page
        by page; Data Center reads each issue's comments."""
        keys = list(dict.fromkeys(keys))
        if not self.is_cloud:
            return {key: self.comments(key) for key in keys}
        out: dict[str, list[Comment]] = {}
        for chunk in _chunks(keys, BULK_FETCH_CHUNK):
            data = self._request(
                "POST",
                "issue/bulkfetch",
                body={"issueIdsOrKeys": list(chunk), "fields": ["comment"]},
                idempotent=True,
                subject=f"comments of {len(chunk)} issues",
                permission="Browse Projects",
            )
            for raw in (data or {}).get("issues") or []:
                key = str(raw.get("key"))
                page = (raw.get("fields") or {}).get("comment") or {}
                comments = [_comment(c) for c in page.get("comments") or []]
                total = page.get("total")
                if isinstance(total, int) and total > len(comments):
                    comments = self.comments(key)
                out[key] = comments
        return out

    # ---------------------------------------------------------------------------- history

    def changelog(self, key: str) -> Iterator[ChangelogEntry]:
        """The issue's history, oldest first, a page at a time."""
        if self.is_cloud:
            pages = self._offset_pages(
                f"issue/{quote(key)}/changelog", items_key="values", subject=f"issue {key}"
            )
            return (_changelog_entry(raw) for raw in pages)
        # Data Center has no paged changelog resource: expand it on the issue.
        raw = self._request(
            "GET",
            f"issue/{quote(key)}",
            params={"expand": "changelog", "fields": "id"},
            subject=f"issue {key}",
        )
        histories = ((raw or {}).get("changelog") or {}).get("histories") or []
        return iter([_changelog_entry(h) for h in histories])

    def changelogs_bulk(
        self, keys: Sequence[str], field_ids: Sequence[str] | None = None
    ) -> dict[str, list[ChangelogEntry]]:
        """Histories of many issues at once, keyed by issue **id** (how Jira answers).

        Callers hold ``Issue.id`` from the search that found the issues. ``field_ids`` (names
        or ids, at most 10) filters the entries to changes of those fields.
        """
        ids = self._field_ids(field_ids) if field_ids else []
        if len(ids) > 10:
            raise ValueError("changelog bulk fetch filters on at most 10 fields")
        out: dict[str, list[ChangelogEntry]] = {}
        if not keys:
            return out
        if not self.is_cloud:
            for key in keys:
                issue_id = self.get_issue(key, []).id
                entries = list(self.changelog(key))
                if ids:
                    entries = [e for e in entries if any(i.field_id in ids for i in e.items)]
                out[issue_id] = entries
            return out
        for chunk in _chunks(list(keys), CHANGELOG_BULK_CHUNK):
            token: str | None = None
            while True:
                body: dict[str, Any] = {"issueIdsOrKeys": list(chunk), "maxResults": 1000}
                if ids:
                    body["fieldIds"] = ids
                if token:
                    body["nextPageToken"] = token
                data = self._request(
                    "POST",
                    "changelog/bulkfetch",
                    body=body,
                    idempotent=True,
                    subject="the changelogs",
                    permission="Browse Projects",
                )
                for item in data.get("issueChangeLogs") or []:
                    entries = out.setdefault(str(item.get("issueId")), [])
                    entries.extend(_changelog_entry(h) for h in item.get("changeHistories") or [])
                token = data.get("nextPageToken")
                if not token:
                    break
        return out

    def worklogs(self, key: str) -> list[Worklog]:
        return [
            _worklog(w)
            for w in self._offset_pages(
                f"issue/{quote(key)}/worklog",
                items_key="worklogs",
                subject=f"issue {key}",
                page_size=1000,
            )
        ]

    # ---------------------------------------------------------------------------- people

    def user(self, account_id: str) -> User:
        key = "accountId" if self.is_cloud else "username"
        return _user(self._request("GET", "user", params={key: account_id}, subject=account_id))

    def existing_groups(self, names: Sequence[str]) -> set[str]:
        """Which of ``names`` exist on the site: one bulk call per 50 names (Cloud).

        Rules may name groups a site doesn't have; asking first avoids a 404 per missing
        group on every run. Data Center has no bulk group resource: all names come back, and
        ``group_members`` answers 404 for the missing ones.
        """
        unique = sorted(set(names))
        if not unique or not self.is_cloud:
            return set(unique)
        found: set[str] = set()
        for chunk in _chunks(unique, 50):
            for raw in self._offset_pages(
                "group/bulk",
                items_key="values",
                params={"groupName": list(chunk)},
                subject="groups",
                permission="Browse users and groups",
                page_size=50,
            ):
                found.add(str(raw.get("name")))
        return found & set(unique)

    def group_members(self, group: str) -> list[User]:
        """Active members of ``group`` (inactive accounts can't approve anything)."""
        return [
            _user(u)
            for u in self._offset_pages(
                "group/member",
                items_key="values",
                params={"groupname": group, "includeInactiveUsers": "false"},
                subject=f"group {group!r}",
                permission="Browse users and groups",
                page_size=50,
            )
        ]

    def user_groups(self, account_id: str) -> list[str]:
        key = "accountId" if self.is_cloud else "username"
        raw = self._request(
            "GET",
            "user/groups",
            params={key: account_id},
            subject=f"user {account_id}",
            permission="Browse users and groups",
        )
        return [str(g.get("name")) for g in raw or []]

    # ---------------------------------------------------------------------------- projects

    def projects(self) -> list[Project]:
        if self.is_cloud:
            raw = self._offset_pages(
                "project/search",
                items_key="values",
                params={"expand": "issueTypes"},
                subject="the projects",
                page_size=50,
            )
        else:
            raw = iter(
                self._request("GET", "project", params={"expand": "issueTypes"}, subject="projects")
                or []
            )
        return [_project(p) for p in raw]

    def project(self, key: str) -> Project:
        raw = self._project_raw(key)
        return _project(raw)

    def _project_raw(self, key: str) -> dict[str, Any]:
        raw = self._request("GET", f"project/{quote(key)}", subject=f"project {key}") or {}
        self._project_types[key.upper()] = {
            str(t.get("name")).casefold(): bool(t.get("subtask"))
            for t in raw.get("issueTypes") or []
        }
        return raw

    def statuses(self, project: str) -> list[Status]:
        """The statuses used by ``project``'s workflows, each once."""
        raw = self._request(
            "GET", f"project/{quote(project)}/statuses", subject=f"project {project}"
        )
        seen: dict[str, Status] = {}
        for issue_type in raw or []:
            for s in issue_type.get("statuses") or []:
                status = Status(
                    id=str(s.get("id")),
                    name=str(s.get("name")),
                    category=((s.get("statusCategory") or {}).get("key")),
                )
                seen.setdefault(status.id, status)
        return list(seen.values())

    def my_permissions(self, project_key: str, permissions: Sequence[str]) -> dict[str, bool]:
        """Which of ``permissions`` (keys like ``EDIT_ISSUES``) this account has on a project."""
        wanted = [p.strip().upper() for p in permissions]
        raw = self._request(
            "GET",
            "mypermissions",
            params={"projectKey": project_key, "permissions": ",".join(wanted)},
            subject=f"project {project_key}",
        )
        have = (raw or {}).get("permissions") or {}
        return {p: bool((have.get(p) or {}).get("havePermission")) for p in wanted}

    # ---------------------------------------------------------------------------- agile

    def boards(self, project_key: str | None = None) -> list[Board]:
        params = {"projectKeyOrId": project_key} if project_key else {}
        return [
            _board(b)
            for b in self._offset_pages(
                "board",
                items_key="values",
                params=params,
                api="agile",
                subject=f"boards of {project_key}" if project_key else "the boards",
                page_size=50,
            )
        ]

    def sprints(self, board_id: int, states: Sequence[str] = ("active", "closed")) -> list[Sprint]:
        params = {"state": ",".join(states)} if states else {}
        return [
            _sprint(s, board_id)
            for s in self._offset_pages(
                f"board/{int(board_id)}/sprint",
                items_key="values",
                params=params,
                api="agile",
                subject=f"board {board_id}",
                page_size=50,
            )
        ]

    def sprint_issues(self, sprint_id: int, fields: Sequence[str]) -> Iterator[Issue]:
        """Issues in a sprint, via JQL so field selection and paging match ``search``."""
        return self.search(f"sprint = {int(sprint_id)}", fields=fields)

    # ---------------------------------------------------------------------------- helpers

    def _offset_pages(
        self,
        path: str,
        *,
        items_key: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
        api: str = "platform",
        subject: str | None = None,
        permission: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Items of a ``startAt``/``maxResults`` resource, one page per request."""
        start = 0
        while True:
            data = self._request(
                "GET",
                path,
                params={**(params or {}), "startAt": start, "maxResults": page_size},
                api=api,
                subject=subject,
                permission=permission,
            )
            if isinstance(data, list):  # some Data Center resources answer a bare array
                yield from data
                return
            items = list((data or {}).get(items_key) or [])
            yield from items
            start += len(items)
            total = (data or {}).get("total")
            if not items or (data or {}).get("isLast") is True:
                return
            if isinstance(total, int) and start >= total:
                return

    def _field_id(self, name: str) -> str:
        return self._info_for(name).id

    def _field_values(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Field names -> ids, and plain values -> the shapes Jira expects."""
        out: dict[str, Any] = {}
        for name, value in fields.items():
            info = self._info_for(name)
            out[info.id] = self._field_value(info, value)
        return out

    def _field_value(self, info: FieldInfo, value: Any) -> Any:
        fid = info.id
        if isinstance(value, str):
            if fid in _BY_KEY:
                return {"key": value}
            if fid in _BY_NAME:
                return {"name": value}
            if fid in {"assignee", "reporter"}:
                return {"accountId": value} if self.is_cloud else {"name": value}
            if self.is_cloud and (fid in _RICH_TEXT or info.schema_custom == _TEXTAREA):
                return text_to_adf(value)
        if fid in {"components", "fixVersions", "versions"} and isinstance(value, list | tuple):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    def _issue_update(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """A caller's spec (``{"fields": {...}, "update": ...}`` or bare fields) in ids."""
        if "fields" in spec and isinstance(spec["fields"], Mapping):
            fields = dict(spec["fields"])
            extra = {k: v for k, v in spec.items() if k != "fields"}
        else:
            fields, extra = dict(spec), {}
        body: dict[str, Any] = {"fields": self._field_values(fields)}
        if not self.is_cloud:
            self._epic_link_for_server(body["fields"])
        if extra.get("update"):
            body["update"] = {self._field_id(k): v for k, v in extra["update"].items()}
        if extra.get("properties"):
            body["properties"] = list(extra["properties"])
        return body

    def _epic_link_for_server(self, fields: dict[str, Any]) -> None:
        """Data Center: an epic's children name it in "Epic Link", not ``parent``."""
        parent = fields.get("parent")
        project = (fields.get("project") or {}).get("key")
        issue_type = (fields.get("issuetype") or {}).get("name")
        if not parent or not project or not issue_type:
            return
        types = self._project_types.get(project.upper())
        if types is None:
            self._project_raw(project)
            types = self._project_types.get(project.upper(), {})
        if types.get(str(issue_type).casefold()):
            return  # a sub-task: parent is right
        epic_link = self.resolve_field("Epic Link")
        fields.pop("parent")
        fields[epic_link.id] = parent.get("key") if isinstance(parent, Mapping) else parent

    def _issue(self, raw: Mapping[str, Any]) -> Issue:
        fields = raw.get("fields") or {}
        kw: dict[str, Any] = {"id": str(raw.get("id")), "key": str(raw.get("key"))}
        custom: dict[str, Any] = {}
        for fid, value in fields.items():
            if fid in _ISSUE_FIELD_PARSERS:
                kw.update(_ISSUE_FIELD_PARSERS[fid](value))
            elif fid.startswith("customfield_"):
                info = self._fields_catalog().by_id(fid)
                custom[info.name if info else fid] = _simplify(value)
            else:  # other system fields (priority, duedate, ...) keep their id
                custom[fid] = _simplify_system(value)
        if not self.is_cloud and not kw.get("parent") and custom.get("Epic Link"):
            kw["parent"] = str(custom["Epic Link"])
        kw["custom"] = custom
        kw["properties"] = dict(raw.get("properties") or {})
        return Issue(**kw)


# Failures that concern one issue (its permissions, its content): a per-issue fallback records
# them and goes on with the other issues. Anything else (transport, 5xx, 401, rate limits
# after retries) stops the whole call.
_ISSUE_ERRORS = (BadRequest, PermissionDenied, NotFound, Conflict, PayloadTooLarge)


def _check_property(key: str, prop: str, value: Any) -> None:
    """Jira's limits on an entity property value, checked before sending."""
    if value is None or value == "":
        raise BadRequest(
            f"refusing to store an empty value as property {prop!r} of {key}",
            hint="Jira requires a non-empty JSON value",
        )
    size = json_length(value)
    if size > MAX_PROPERTY_CHARS:
        raise PayloadTooLarge(
            f"property {prop!r} of {key} would be {size} characters; Jira allows "
            f"{MAX_PROPERTY_CHARS}",
            hint="store less (ids, not copies) in the property",
        )


# -------------------------------------------------------------------------------- JSON -> model


def _key_of(raw: Mapping[str, Any]) -> str:
    key = raw.get("key")
    if not key:
        raise AtlassianError(
            f"Jira's search answered issue {raw.get('id')} without its key although "
            "fields=key was asked for",
            hint="the site does not behave like Jira Cloud's enhanced search",
        )
    return str(key)


def _jql_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _spec_project(body: Mapping[str, Any]) -> str | None:
    project = (body.get("fields") or {}).get("project")
    if isinstance(project, Mapping):
        return project.get("key") or project.get("id")
    return project


def _bulk_results(data: Mapping[str, Any], offset: int, count: int) -> list[CreateResult]:
    """Spread Jira's bulk answer over the request: created issues fill the non-failed slots."""
    failed: dict[int, Mapping[str, Any]] = {}
    for err in data.get("errors") or []:
        number = err.get("failedElementNumber")
        if isinstance(number, int):
            failed[number] = err
    created = iter(data.get("issues") or [])
    results: list[CreateResult] = []
    for i in range(count):
        if i in failed:
            err = failed[i]
            element = err.get("elementErrors") or {}
            results.append(
                CreateResult(
                    index=offset + i,
                    status=err.get("status"),
                    errors={str(k): str(v) for k, v in (element.get("errors") or {}).items()},
                    error_messages=tuple(str(m) for m in element.get("errorMessages") or []),
                )
            )
            continue
        issue = next(created, None)
        if issue is None:
            results.append(
                CreateResult(
                    index=offset + i, error_messages=("Jira reported neither issue nor error",)
                )
            )
        else:
            results.append(
                CreateResult(index=offset + i, id=str(issue.get("id")), key=str(issue.get("key")))
            )
    return results


def _user(raw: Mapping[str, Any] | None) -> User:
    raw = raw or {}
    return User(
        account_id=str(raw.get("accountId") or raw.get("name") or raw.get("key") or ""),
        display_name=str(raw.get("displayName") or ""),
        email=raw.get("emailAddress") or None,
        active=bool(raw.get("active", True)),
        time_zone=raw.get("timeZone") or None,
    )


def _maybe_user(raw: Any) -> User | None:
    return _user(raw) if isinstance(raw, Mapping) else None


def _named(raw: Any) -> str | None:
    if isinstance(raw, Mapping):
        value = raw.get("name") or raw.get("value") or raw.get("key")
        return str(value) if value is not None else None
    return None if raw is None else str(raw)


def _links(raw: Any) -> dict[str, Any]:
    links = []
    for link in raw or []:
        type_name = str((link.get("type") or {}).get("name") or "")
        if link.get("outwardIssue"):
            links.append(
                IssueLink(type=type_name, direction="outward", key=link["outwardIssue"]["key"])
            )
        elif link.get("inwardIssue"):
            links.append(
                IssueLink(type=type_name, direction="inward", key=link["inwardIssue"]["key"])
            )
    return {"links": tuple(links)}


def _status(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        return {}
    return {
        "status": raw.get("name"),
        "status_category": (raw.get("statusCategory") or {}).get("key"),
    }


_ISSUE_FIELD_PARSERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "project": lambda v: {"project": (v or {}).get("key")},
    "issuetype": lambda v: {"issue_type": _named(v)},
    "status": _status,
    "summary": lambda v: {"summary": v},
    "description": lambda v: {"description": adf_to_text(v) if v is not None else None},
    "reporter": lambda v: {"reporter": _maybe_user(v)},
    "creator": lambda v: {"creator": _maybe_user(v)},
    "assignee": lambda v: {"assignee": _maybe_user(v)},
    "labels": lambda v: {"labels": tuple(v or ())},
    "components": lambda v: {"components": tuple(_named(c) or "" for c in v or ())},
    "parent": lambda v: {"parent": (v or {}).get("key")},
    "worklog": lambda v: _worklog_field(v),
    "resolution": lambda v: {"resolution": _named(v)},
    "created": lambda v: {"created": v},
    "updated": lambda v: {"updated": v},
    "issuelinks": _links,
}


def _simplify(value: Any) -> Any:
    """Custom-field JSON -> what rules compare: option values, users, plain text."""
    if isinstance(value, list):
        return [_simplify(v) for v in value]
    if isinstance(value, Mapping):
        if is_adf(value):
            return adf_to_text(value)
        if "accountId" in value:
            return _user(value)
        if "value" in value:
            child = value.get("child")
            if isinstance(child, Mapping) and "value" in child:
                return f"{value['value']} / {child['value']}"
            return value["value"]
        return dict(value)
    return value


def _simplify_system(value: Any) -> Any:
    """System objects (priority, versions, ...) by name; the rest as custom values."""
    if isinstance(value, list):
        return [_simplify_system(v) for v in value]
    if isinstance(value, Mapping) and "name" in value and "accountId" not in value:
        return str(value["name"])
    return _simplify(value)


def _transition(raw: Mapping[str, Any]) -> Transition:
    to = raw.get("to") or {}
    return Transition(
        id=str(raw.get("id")),
        name=str(raw.get("name")),
        to_status=str(to.get("name") or ""),
        looped=bool(raw.get("looped")),
    )


def _comment(raw: Mapping[str, Any]) -> Comment:
    return Comment(
        id=str(raw.get("id")),
        author=_maybe_user(raw.get("author")),
        body=adf_to_text(raw.get("body")),
        created=raw.get("created"),
    )


def _changelog_entry(raw: Mapping[str, Any]) -> ChangelogEntry:
    return ChangelogEntry(
        id=str(raw.get("id")),
        author=_maybe_user(raw.get("author")),
        created=raw.get("created"),
        items=tuple(
            ChangeItem(
                field=str(i.get("field") or ""),
                field_id=i.get("fieldId"),
                from_value=i.get("from"),
                from_string=i.get("fromString"),
                to_value=i.get("to"),
                to_string=i.get("toString"),
            )
            for i in raw.get("items") or []
        ),
    )


def _worklog_field(raw: Any) -> dict[str, Any]:
    """The ``worklog`` field of a search (a ``PageOfWorklogs``: the first worklogs, the total)."""
    page = raw if isinstance(raw, Mapping) else {}
    worklogs = tuple(_worklog(w) for w in page.get("worklogs") or [])
    total = page.get("total")
    return {"worklogs": worklogs, "worklog_total": total if isinstance(total, int) else None}


def _worklog(raw: Mapping[str, Any]) -> Worklog:
    return Worklog(
        id=str(raw.get("id")),
        author=_maybe_user(raw.get("author")),
        started=raw.get("started"),
        time_spent_seconds=int(raw.get("timeSpentSeconds") or 0),
    )


def _project(raw: Mapping[str, Any]) -> Project:
    return Project(
        id=str(raw.get("id")),
        key=str(raw.get("key")),
        name=str(raw.get("name") or ""),
        project_type=str(raw.get("projectTypeKey") or ""),
        issue_types=tuple(str(t.get("name")) for t in raw.get("issueTypes") or []),
    )


def _board(raw: Mapping[str, Any]) -> Board:
    location = raw.get("location") or {}
    return Board(
        id=int(raw["id"]),
        name=str(raw.get("name") or ""),
        type=str(raw.get("type") or "scrum"),
        project_key=location.get("projectKey"),
    )


def _sprint(raw: Mapping[str, Any], board_id: int) -> Sprint:
    return Sprint(
        id=int(raw["id"]),
        name=str(raw.get("name") or ""),
        state=str(raw.get("state") or ""),
        start_date=raw.get("startDate"),
        end_date=raw.get("endDate"),
        complete_date=raw.get("completeDate"),
        board_id=int(raw.get("originBoardId") or board_id),
        goal=raw.get("goal") or None,
    )
