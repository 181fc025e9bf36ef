"""The only module that talks to Confluence.

It wraps atlassian-python-api (5.0.x) with the v1 client that works on Cloud:
``atlassian.ConfluenceServer(url_with_/wiki, username, password, cloud=True)`` resolves
``content``/``space`` to ``<url>/rest/api/...``, i.e. ``/wiki/rest/api/content`` on Cloud.
(``Confluence("https://x.atlassian.net")`` dispatches to a Cloud class without create, update
or attach; ``ConfluenceV2.get_page_by_title`` swallows errors, so an auth failure would look
like "no such page" and lead to duplicates.)

From the library we keep auth, the session and ``raise_for_status``; we avoid the helpers that
are wrong for us: ``update_page`` reads the history and writes last + 1 (racy, two extra GETs,
bare HTTPError on 409), ``attach_content`` swallows a failing GET and never uses the documented
``PUT /child/attachment``, ``create_page`` posts to ``content/`` and rewrites 404 into a
permission error. Its own 429 retry is switched off (``retry_with_header=False``,
``backoff_and_retry=False``): retries happen once, in ``retry.call_with_retry``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from atlassian import ConfluenceServer
from pydantic import SecretStr

from .errors import AtlassianError, ConfigError
from .model import Attachment, Page, Space
from .retry import (
    API_TOKEN_URL,
    DEFAULT_POLICY,
    ErrorContext,
    RetryDecision,
    RetryPolicy,
    call_with_retry,
    to_error,
)

__all__ = ["ConfluenceApi", "ConfluenceGateway"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Timeout = float | tuple[float, float]

_PAGE_EXPAND = "version,space,ancestors"
_CONTENT = "rest/api/content"


class ConfluenceApi(Protocol):
    """Exactly the Confluence calls bridgeplugin makes."""

    def find_page(self, space: str, title: str) -> Page | None: ...
    def get_page(self, page_id: str, body: bool = True) -> Page: ...
    def create_page(
        self, space: str, title: str, body_storage: str, parent_id: str | None = None
    ) -> Page: ...
    def update_page(self, page: Page, title: str, body_storage: str) -> Page: ...
    def attach_file(
        self, page_id: str, filename: str, data: bytes, content_type: str, comment: str = ""
    ) -> Attachment: ...
    def attachments(self, page_id: str) -> list[Attachment]: ...
    def add_labels(self, page_id: str, labels: Iterable[str]) -> None: ...
    def labels(self, page_id: str) -> list[str]: ...
    def children(self, page_id: str) -> list[Page]: ...
    def space(self, key: str) -> Space: ...


class ConfluenceGateway:
    """``ConfluenceApi`` over atlassian-python-api's v1 client, Cloud first.

    ``base_url`` is the Confluence root: ``https://acme.atlassian.net/wiki`` on Cloud. Auth is
    the Jira account's e-mail + API token (Cloud) or a Data Center PAT, as ``SecretStr``.
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
        on_retry: Callable[[RetryDecision, int, float], None] | None = None,
    ) -> None:
        if not base_url:
            raise ConfigError(
                "no Confluence site configured",
                hint="set BRIDGE_CONFLUENCE_URL (e.g. https://acme.atlassian.net/wiki)",
            )
        self.base_url = base_url.rstrip("/")
        self._policy = policy
        self._on_retry = on_retry
        # No library retries: one layer, ours.
        common: dict[str, Any] = {"backoff_and_retry": False, "retry_with_header": False}
        if pat is not None and pat.get_secret_value():
            self._client = ConfluenceServer(
                self.base_url, token=pat.get_secret_value(), cloud=False, **common
            )
            account = "the personal access token"
            credential_vars = "BRIDGE_JIRA_PAT"
            credential_help = "create one in Confluence under Profile > Personal Access Tokens"
        elif email and token is not None and token.get_secret_value():
            self._client = ConfluenceServer(
                self.base_url,
                username=email,
                password=token.get_secret_value(),
                cloud=True,
                **common,
            )
            account = email
            credential_vars = "BRIDGE_JIRA_EMAIL/BRIDGE_JIRA_TOKEN"
            credential_help = f"create a token at {API_TOKEN_URL}"
        else:
            raise ConfigError(
                "no Confluence credentials configured",
                hint="set BRIDGE_JIRA_EMAIL and BRIDGE_JIRA_TOKEN (Cloud) or BRIDGE_JIRA_PAT",
            )
        # The constructor casts timeout to int; every request passes ``self.timeout`` to
        # requests, which takes a (connect, read) tuple.
        self._client.timeout = timeout
        self._ctx = ErrorContext(
            service="Confluence",
            base_url=self.base_url,
            account=account,
            credential_vars=credential_vars,
            credential_help=credential_help,
            url_var="BRIDGE_CONFLUENCE_URL",
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ConfluenceGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------------------- plumbing

    def _call(
        self,
        fn: Callable[[], T],
        *,
        method: str,
        path: str,
        idempotent: bool | None = None,
        subject: str | None = None,
        permission: str | None = None,
        probe: Callable[[], T | None] | None = None,
    ) -> T:
        """Run one library call under the retry layer, mapping failures to ``errors.py``."""
        if idempotent is None:
            idempotent = method in {"GET", "PUT", "DELETE"}
        ctx = replace(
            self._ctx,
            method=method,
            path=f"/{path.lstrip('/')}",
            subject=subject,
            permission=permission,
        )
        return call_with_retry(
            fn,
            idempotent=idempotent,
            policy=self._policy,
            on_retry=self._on_retry,
            probe=probe,
            translate=lambda exc: to_error(exc, ctx),
            label=f"Confluence {method} {path}",
        )

    def _json(self, data: Any, *, method: str, path: str) -> dict[str, Any]:
        if isinstance(data, dict):
            return data
        raise AtlassianError(
            f"Confluence answered {method} {path} with something that is not JSON",
            method=method,
            url=f"{self.base_url}/{path.lstrip('/')}",
            hint="check BRIDGE_CONFLUENCE_URL: on Cloud it ends in /wiki",
        )

    def _get(self, path: str, params: Mapping[str, Any], *, subject: str) -> dict[str, Any]:
        data = self._call(
            lambda: self._client.get(path, params=dict(params)),
            method="GET",
            path=path,
            subject=subject,
        )
        return self._json(data, method="GET", path=path)

    def _paged(
        self, path: str, params: Mapping[str, Any] | None = None, *, subject: str, limit: int = 50
    ) -> Iterator[dict[str, Any]]:
        """Results of a v1 ``start``/``limit`` collection, one request per page."""
        start = 0
        while True:
            data = self._get(
                path, {**(params or {}), "start": start, "limit": limit}, subject=subject
            )
            results = list(data.get("results") or [])
            yield from results
            start += len(results)
            links = data.get("_links")
            if not results:
                return
            if isinstance(links, Mapping):
                if not links.get("next"):
                    return
            elif len(results) < limit:
                return

    # ---------------------------------------------------------------------------- pages

    def find_page(self, space: str, title: str) -> Page | None:
        """The page titled ``title`` in ``space``, or None. Errors are raised, never hidden:
        a 401 read as "not found" would make the caller create a duplicate."""
        data = self._call(
            lambda: self._client.get_page_by_title(space, title, expand=_PAGE_EXPAND),
            method="GET",
            path=_CONTENT,
            subject=f"page {title!r} in space {space}",
        )
        data = self._json(data, method="GET", path=_CONTENT)
        results = data.get("results") if "results" in data else [data]
        for raw in results or []:
            if str(raw.get("title", "")).casefold() == title.casefold():
                return self._page(raw, space=space)
        return None

    def get_page(self, page_id: str, body: bool = True) -> Page:
        expand = _PAGE_EXPAND + (",body.storage" if body else "")
        path = f"{_CONTENT}/{page_id}"
        data = self._call(
            lambda: self._client.get_page_by_id(page_id, expand=expand),
            method="GET",
            path=path,
            subject=f"page {page_id}",
        )
        return self._page(self._json(data, method="GET", path=path))

    def create_page(
        self, space: str, title: str, body_storage: str, parent_id: str | None = None
    ) -> Page:
        """Create a page; if the answer is lost, look the title up before creating again."""
        payload: dict[str, Any] = {
            "type": "page",
            "title": title,
            "space": {"key": space},
            "body": {"storage": {"value": body_storage, "representation": "storage"}},
        }
        if parent_id:
            payload["ancestors"] = [{"id": str(parent_id)}]
        data = self._call(
            lambda: self._client.post(_CONTENT, data=payload),
            method="POST",
            path=_CONTENT,
            idempotent=False,
            probe=lambda: self.find_page(space, title),
            subject=f"space {space}",
            permission="Add Pages",
        )
        if isinstance(data, Page):
            return data
        return self._page(self._json(data, method="POST", path=_CONTENT), space=space)

    def update_page(self, page: Page, title: str, body_storage: str) -> Page:
        """Write a new version on top of ``page.version``; 409 (``Conflict``) if it moved on.

        The version is explicit so two writers can't both succeed silently; a lost answer is
        checked by reading the page back before anything is re-sent.
        """
        new_version = page.version + 1
        payload = {
            "id": page.id,
            "type": "page",
            "title": title,
            "space": {"key": page.space_key},
            "body": {"storage": {"value": body_storage, "representation": "storage"}},
            "version": {"number": new_version},
        }
        path = f"{_CONTENT}/{page.id}"

        def probe() -> Page | None:
            current = self.get_page(page.id, body=True)
            same = (current.version, current.title, current.body) == (
                new_version,
                title,
                body_storage,
            )
            return current if same else None

        data = self._call(
            lambda: self._client.put(path, data=payload),
            method="PUT",
            path=path,
            idempotent=False,  # a re-sent PUT of the same version answers 409
            probe=probe,
            subject=f"page {page.id} ({page.title!r})",
            permission="Edit Pages",
        )
        if isinstance(data, Page):
            return data
        return self._page(self._json(data, method="PUT", path=path), space=page.space_key)

    def children(self, page_id: str) -> list[Page]:
        return [
            self._page(raw)
            for raw in self._paged(
                f"{_CONTENT}/{page_id}/child/page",
                {"expand": _PAGE_EXPAND},
                subject=f"children of page {page_id}",
            )
        ]

    def space(self, key: str) -> Space:
        path = f"rest/api/space/{key}"
        data = self._call(
            lambda: self._client.get_space(key),
            method="GET",
            path=path,
            subject=f"space {key}",
        )
        raw = self._json(data, method="GET", path=path)
        return Space(
            id=str(raw.get("id")),
            key=str(raw.get("key") or key),
            name=str(raw.get("name") or ""),
            type=str(raw.get("type") or ""),
            url=self._link(raw),
        )

    # ---------------------------------------------------------------------------- attachments

    def attach_file(
        self, page_id: str, filename: str, data: bytes, content_type: str, comment: str = ""
    ) -> Attachment:
        """Upload ``data`` as ``filename``: PUT creates it or adds a version (so it's safe to
        repeat). Confluence blocks multipart uploads without ``X-Atlassian-Token: nocheck``.
        ``comment`` becomes the version's comment (``Attachment.comment`` when read back)."""
        path = f"{_CONTENT}/{page_id}/child/attachment"
        form = {"minorEdit": "true", **({"comment": comment} if comment else {})}
        answer = self._call(
            lambda: self._client.put(
                path,
                data=form,
                files={"file": (filename, data, content_type)},
                headers={"X-Atlassian-Token": "nocheck", "Accept": "application/json"},
            ),
            method="PUT",
            path=path,
            subject=f"page {page_id}",
            permission="Add Attachments",
        )
        raw = self._json(answer, method="PUT", path=path)
        results = raw.get("results")
        item = results[0] if isinstance(results, list) and results else raw
        return self._attachment(item)

    def attachments(self, page_id: str) -> list[Attachment]:
        return [
            self._attachment(raw)
            for raw in self._paged(
                f"{_CONTENT}/{page_id}/child/attachment",
                {"expand": "version"},
                subject=f"attachments of page {page_id}",
            )
        ]

    # ---------------------------------------------------------------------------- labels

    def add_labels(self, page_id: str, labels: Iterable[str]) -> None:
        """Add global labels in one request; adding a present label is a no-op (idempotent)."""
        body = [{"prefix": "global", "name": name} for name in dict.fromkeys(labels)]
        if not body:
            return
        path = f"{_CONTENT}/{page_id}/label"
        self._call(
            lambda: self._client.post(path, data=body),
            method="POST",
            path=path,
            idempotent=True,
            subject=f"page {page_id}",
            permission="Edit Pages",
        )

    def labels(self, page_id: str) -> list[str]:
        return [
            str(raw.get("name"))
            for raw in self._paged(
                f"{_CONTENT}/{page_id}/label", subject=f"labels of page {page_id}", limit=200
            )
        ]

    # ---------------------------------------------------------------------------- JSON -> model

    def _link(self, raw: Mapping[str, Any]) -> str | None:
        links = raw.get("_links") or {}
        webui = links.get("webui")
        if not webui:
            return None
        return f"{str(links.get('base') or self.base_url).rstrip('/')}{webui}"

    def _page(self, raw: Mapping[str, Any], *, space: str | None = None) -> Page:
        ancestors = raw.get("ancestors") or []
        body = ((raw.get("body") or {}).get("storage") or {}).get("value")
        labels = ((raw.get("metadata") or {}).get("labels") or {}).get("results") or []
        return Page(
            id=str(raw.get("id")),
            title=str(raw.get("title") or ""),
            space_key=str((raw.get("space") or {}).get("key") or space or ""),
            version=int((raw.get("version") or {}).get("number") or 1),
            body=body,
            parent_id=str(ancestors[-1]["id"]) if ancestors else None,
            labels=tuple(str(label.get("name")) for label in labels),
            url=self._link(raw),
        )

    def _attachment(self, raw: Mapping[str, Any]) -> Attachment:
        extensions = raw.get("extensions") or {}
        metadata = raw.get("metadata") or {}
        links = raw.get("_links") or {}
        download = links.get("download")
        size = extensions.get("fileSize")
        return Attachment(
            id=str(raw.get("id")),
            title=str(raw.get("title") or ""),
            media_type=extensions.get("mediaType") or metadata.get("mediaType"),
            file_size=int(size) if size is not None else None,
            version=(raw.get("version") or {}).get("number"),
            download_url=f"{self.base_url}{download}" if download else None,
            comment=metadata.get("comment"),
        )
