"""State -> the JSON Confluence Cloud answers: v1 (``/wiki/rest/api``) and v2 (``/wiki/api/v2``).

Shapes follow the official OpenAPI descriptions (schemas ``Content``, ``ContentArray``,
``Version``, ``Space``, ``ContentHistory``, ``LabelArray``, ``SearchPageResponseSearchResult``;
v2 ``PageBulk``/``PageSingle``/``SpaceBulk``/``ChildPage``). v1 honours ``expand``: what is not
expanded is listed under ``_expandable``, as the real service does, so a client that forgets to
expand sees the same gap here as in production.

Links: objects carry ``_links.self`` (absolute) and ``webui``; top-level answers add ``base``
(``http://host/wiki``) and ``context``. v1 paging links are relative to ``base`` *without* the
``/wiki`` context (``/rest/api/content?...``), exactly as Confluence Cloud writes them; v2 links
start with ``/wiki/api/v2``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from .state import ConfluenceState, Content, Label, Space, Version

__all__ = [
    "Ctx",
    "Expand",
    "array",
    "content",
    "history",
    "iso",
    "label",
    "parse_expand",
    "search_result",
    "space",
    "user",
    "v2_child",
    "v2_label",
    "v2_page",
    "v2_space",
    "version",
]

Expand = dict[str, "Expand"]

# Confluence names every expandable property of content, even the ones the sandbox never fills.
_CONTENT_EXPANDABLE = (
    "childTypes",
    "container",
    "metadata",
    "operations",
    "children",
    "restrictions",
    "history",
    "ancestors",
    "body",
    "version",
    "descendants",
    "space",
)
_BODY_REPRESENTATIONS = ("storage", "view", "export_view", "styled_view", "editor")
_SPACE_EXPANDABLE = (
    "settings",
    "metadata",
    "operations",
    "lookAndFeel",
    "identifiers",
    "permissions",
    "icon",
    "description",
    "theme",
    "history",
    "homepage",
)


@dataclass
class Ctx:
    """What every shape needs: the state and the site's base URL (``http://host:port/wiki``)."""

    state: ConfluenceState
    base: str


def parse_expand(values: list[str]) -> Expand:
    """``["body.storage,version"]`` -> ``{"body": {"storage": {}}, "version": {}}``."""
    tree: Expand = {}
    for value in values:
        for item in value.split(","):
            node = tree
            for part in item.strip().split("."):
                if part:
                    node = node.setdefault(part, {})
    return tree


def iso(when: datetime) -> str:
    """Confluence's timestamps: UTC with milliseconds and ``Z``."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _friendly(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%b %d, %Y")


def _tiny(content_id: str) -> str:
    """Confluence's tiny links encode the id as little-endian bytes in URL-safe base64."""
    import base64

    n = int(re.sub(r"\D", "", content_id) or 0)
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "little")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# -- users -------------------------------------------------------------------------------------


def user(ctx: Ctx, account_id: str | None) -> dict[str, Any]:
    acc = ctx.state.accounts.users.get(account_id) if account_id else None
    picture = {"path": "/wiki/aa-avatar/default.png", "width": 48, "height": 48, "isDefault": True}
    if acc is None:
        return {
            "type": "anonymous",
            "profilePicture": picture,
            "displayName": "Anonymous",
            "isExternalCollaborator": False,
            "_expandable": {"operations": "", "personalSpace": ""},
            "_links": {"self": f"{ctx.base}/rest/api/user/anonymous"},
        }
    return {
        "type": "known",
        "accountId": acc.account_id,
        "accountType": "atlassian",
        "email": acc.email,
        "publicName": acc.display_name,
        "profilePicture": {
            **picture,
            "path": f"/wiki/aa-avatar/{acc.account_id}",
            "isDefault": False,
        },
        "displayName": acc.display_name,
        "isExternalCollaborator": False,
        "externalCollaborator": False,
        "_expandable": {"operations": "", "personalSpace": ""},
        "_links": {"self": f"{ctx.base}/rest/api/user?accountId={quote(acc.account_id)}"},
    }


# -- spaces ------------------------------------------------------------------------------------


def _homepage(ctx: Ctx, sp: Space) -> Content | None:
    # The sandbox has no implicit space homepage: the first root page of the space plays it.
    roots = [
        c
        for c in ctx.state.pages()
        if c.space_key == sp.key and c.parent_id is None and c.status == "current"
    ]
    return min(roots, key=lambda c: c.position) if roots else None


def space(
    ctx: Ctx, sp: Space, expand: Expand | None = None, *, top: bool = False
) -> dict[str, Any]:
    expand = expand or {}
    out: dict[str, Any] = {"id": sp.id, "key": sp.key, "name": sp.name}
    if "icon" in expand:
        out["icon"] = {
            "path": "/wiki/images/logo/default-space-logo.svg",
            "width": 48,
            "height": 48,
            "isDefault": True,
        }
    if "description" in expand:
        out["description"] = {
            "plain": {"value": "", "representation": "plain", "embeddedContent": []},
            "_expandable": {"view": ""},
        }
    if "homepage" in expand:
        home = _homepage(ctx, sp)
        if home is not None:
            out["homepage"] = content(ctx, home, expand["homepage"])
    out["type"] = sp.type
    out["status"] = sp.status
    if "metadata" in expand:
        out["metadata"] = {"labels": array([], 0, 200, links=_array_links(ctx, None))}
    if "history" in expand:
        out["history"] = {"createdDate": iso(sp.created), "createdBy": user(ctx, sp.created_by)}
    out["_expandable"] = {
        k: (f"/rest/api/space/{sp.key}/{k}" if k in ("settings", "theme") else "")
        for k in _SPACE_EXPANDABLE
        if k not in expand
    }
    links: dict[str, str] = {
        "webui": f"/spaces/{sp.key}",
        "self": f"{ctx.base}/rest/api/space/{sp.key}",
    }
    if top:
        links.update(base=ctx.base, context="/wiki", collection="/rest/api/space")
    out["_links"] = links
    return out


# -- content -----------------------------------------------------------------------------------


def version(ctx: Ctx, c: Content, v: Version, expand: Expand | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "by": user(ctx, v.by),
        "when": iso(v.when),
        "friendlyWhen": _friendly(v.when),
        "message": v.message,
        "number": v.number,
        "minorEdit": v.minor_edit,
        "contentTypeModified": False,
        "_expandable": {"collaborators": "", "content": f"/rest/api/content/{c.id}"},
        "_links": {"self": f"{ctx.base}/rest/api/content/{c.id}/version/{v.number}"},
    }
    if expand and "content" in expand:
        out["content"] = content(ctx, c, expand["content"], at=v.number)
        del out["_expandable"]["content"]
    return out


def history(ctx: Ctx, c: Content, expand: Expand | None = None) -> dict[str, Any]:
    expand = expand or {}
    first = c.versions[0]
    out: dict[str, Any] = {
        "latest": c.status == "current",
        "createdBy": user(ctx, first.by),
        "createdDate": iso(c.created),
    }
    expandable: dict[str, str] = {}
    if "lastUpdated" in expand:
        out["lastUpdated"] = version(ctx, c, c.latest, expand["lastUpdated"])
    else:
        expandable["lastUpdated"] = ""
    if "previousVersion" in expand and len(c.versions) > 1:
        out["previousVersion"] = version(ctx, c, c.versions[-2], expand["previousVersion"])
    elif "previousVersion" not in expand:
        expandable["previousVersion"] = ""
    if "contributors" in expand:
        ids = list(dict.fromkeys(v.by for v in c.versions if v.by))
        out["contributors"] = {
            "publishers": {"users": [user(ctx, i) for i in ids], "userAccountIds": ids}
        }
    else:
        expandable["contributors"] = ""
    expandable["nextVersion"] = ""
    out["_expandable"] = expandable
    out["_links"] = {"self": f"{ctx.base}/rest/api/content/{c.id}/history"}
    return out


def label(ctx: Ctx, lb: Label) -> dict[str, Any]:
    return {"prefix": lb.prefix, "name": lb.name, "id": ctx.state.label_id(lb), "label": lb.name}


def _labels_array(ctx: Ctx, c: Content) -> dict[str, Any]:
    return array([label(ctx, lb) for lb in c.labels], 0, 200, links=_array_links(ctx, None))


def _content_links(ctx: Ctx, c: Content, v: Version) -> dict[str, str]:
    if c.type == "attachment":
        page_id = c.parent_id or ""
        name = quote(v.title)
        ms = int(v.when.timestamp() * 1000)
        return {
            "webui": f"/pages/viewpageattachments.action?pageId={page_id}"
            f"&preview=%2F{page_id}%2F{c.id[3:]}%2F{quote(name, safe='')}",
            "download": f"/download/attachments/{page_id}/{name}"
            f"?version={v.number}&modificationDate={ms}&cacheVersion=1&api=v2",
            "self": f"{ctx.base}/rest/api/content/{c.id}",
        }
    return {
        "webui": f"/spaces/{c.space_key}/pages/{c.id}/{quote_plus(v.title)}",
        "editui": f"/pages/resumedraft.action?draftId={c.id}",
        "tinyui": f"/x/{_tiny(c.id)}",
        "self": f"{ctx.base}/rest/api/content/{c.id}",
    }


def _body(c: Content, v: Version, expand: Expand) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rep in _BODY_REPRESENTATIONS:
        if rep in expand:
            # The sandbox does not render: every representation carries the storage markup.
            out[rep] = {
                "value": v.body,
                "representation": rep,
                "embeddedContent": [],
                "_expandable": {"content": f"/rest/api/content/{c.id}"},
            }
    out["_expandable"] = {rep: "" for rep in _BODY_REPRESENTATIONS if rep not in expand}
    return out


def _children(ctx: Ctx, c: Content, expand: Expand) -> dict[str, Any]:
    out: dict[str, Any] = {}
    expandable: dict[str, str] = {}
    for kind in ("attachment", "comment", "page"):
        if kind in expand:
            kids = ctx.state.children(c, kind) if kind != "comment" else []
            out[kind] = array(
                [content(ctx, k, expand[kind]) for k in kids],
                0,
                25,
                links=_array_links(ctx, f"/rest/api/content/{c.id}/child/{kind}"),
            )
        else:
            expandable[kind] = f"/rest/api/content/{c.id}/child/{kind}"
    out["_expandable"] = expandable
    out["_links"] = {"self": f"{ctx.base}/rest/api/content/{c.id}/child"}
    return out


def _child_types(ctx: Ctx, c: Content) -> dict[str, Any]:
    def entry(kind: str, present: bool) -> dict[str, Any]:
        return {
            "value": present,
            "_links": {"self": f"{ctx.base}/rest/api/content/{c.id}/child/{kind}"},
        }

    return {
        "attachment": entry("attachment", bool(ctx.state.children(c, "attachment"))),
        "comment": entry("comment", False),
        "page": entry("page", bool(ctx.state.children(c, "page"))),
    }


def content(
    ctx: Ctx,
    c: Content,
    expand: Expand | None = None,
    *,
    at: int | None = None,
    top: bool = False,
) -> dict[str, Any]:
    """A v1 ``Content``: ``at`` picks an old version (answered with status ``historical``)."""
    expand = expand or {}
    v = c.at(at)
    historical = v.number != c.number
    out: dict[str, Any] = {
        "id": c.id,
        "type": c.type,
        "status": "historical" if historical else c.status,
        "title": v.title,
    }
    expandable: dict[str, str] = {}
    sp = ctx.state.spaces.get(c.space_key)

    if "space" in expand and sp is not None:
        out["space"] = space(ctx, sp, expand["space"])
    else:
        expandable["space"] = f"/rest/api/space/{c.space_key}"
    if "history" in expand:
        out["history"] = history(ctx, c, expand["history"])
    else:
        expandable["history"] = f"/rest/api/content/{c.id}/history"
    if "version" in expand:
        out["version"] = version(ctx, c, v, expand["version"])
    else:
        expandable["version"] = ""
    if "ancestors" in expand:
        out["ancestors"] = [content(ctx, a, expand["ancestors"]) for a in ctx.state.ancestors(c)]
    else:
        expandable["ancestors"] = ""
    if "container" in expand:
        parent = ctx.state.contents.get(c.parent_id or "") if c.type == "attachment" else None
        if parent is not None:
            out["container"] = content(ctx, parent, expand["container"])
        elif sp is not None:
            out["container"] = space(ctx, sp, expand["container"])
    else:
        expandable["container"] = f"/rest/api/space/{c.space_key}"
    if "body" in expand:
        out["body"] = _body(c, v, expand["body"])
    else:
        expandable["body"] = ""
    if "children" in expand:
        out["children"] = _children(ctx, c, expand["children"])
    else:
        expandable["children"] = f"/rest/api/content/{c.id}/child"
    if "childTypes" in expand:
        out["childTypes"] = _child_types(ctx, c)
    else:
        expandable["childTypes"] = ""
    if "descendants" in expand:
        sub = expand["descendants"]
        out["descendants"] = {
            kind: array(
                [content(ctx, d, sub[kind]) for d in ctx.state.descendants(c, kind)],
                0,
                25,
                links=_array_links(ctx, f"/rest/api/content/{c.id}/descendant/{kind}"),
            )
            for kind in ("page", "attachment")
            if kind in sub
        }
        out["descendants"]["_expandable"] = {
            k: f"/rest/api/content/{c.id}/descendant/{k}"
            for k in ("page", "attachment", "comment")
            if k not in sub
        }
    else:
        expandable["descendants"] = f"/rest/api/content/{c.id}/descendant"

    if c.type == "attachment":
        # Attachments always answer with their media type and size (metadata and extensions).
        meta: dict[str, Any] = {"mediaType": v.media_type or "application/octet-stream"}
        if v.comment:
            meta["comment"] = v.comment
        if "metadata" in expand and "labels" in expand["metadata"]:
            meta["labels"] = _labels_array(ctx, c)
        meta["_expandable"] = {"currentuser": "", "properties": "", "frontend": ""}
        out["metadata"] = meta
        out["extensions"] = {
            "mediaType": meta["mediaType"],
            "fileSize": len(v.data or b""),
            "comment": v.comment or "",
            "mediaTypeDescription": (meta["mediaType"].split("/")[-1].upper() + " File"),
            "fileId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{c.id}/{v.number}")),
            "collectionName": f"contentId-{c.parent_id}",
        }
    elif "metadata" in expand:
        meta = {}
        if "labels" in expand["metadata"]:
            meta["labels"] = _labels_array(ctx, c)
        meta["_expandable"] = {
            k: ""
            for k in (
                "currentuser",
                "comments",
                "sourceTemplateEntityId",
                "simple",
                "properties",
                "frontend",
                "likes",
                "labels",
            )
            if k not in expand["metadata"]
        }
        out["metadata"] = meta
    else:
        expandable["metadata"] = ""
    expandable["operations"] = ""
    expandable["restrictions"] = f"/rest/api/content/{c.id}/restriction/byOperation"
    out["_expandable"] = {k: expandable[k] for k in _CONTENT_EXPANDABLE if k in expandable}
    links = _content_links(ctx, c, v)
    if top:
        links.update(base=ctx.base, context="/wiki", collection="/rest/api/content")
    out["_links"] = links
    return out


# -- collections -------------------------------------------------------------------------------


def _array_links(ctx: Ctx, path: str | None) -> dict[str, str]:
    links = {"base": ctx.base, "context": "/wiki"}
    if path:
        links["self"] = f"{ctx.base}{path}"
    return links


def array(
    results: list[dict[str, Any]],
    start: int,
    limit: int,
    *,
    links: dict[str, str],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A v1 ``ContentArray``/``LabelArray``/``SpaceArray``-style page of results."""
    out: dict[str, Any] = {"results": results, "start": start, "limit": limit, "size": len(results)}
    out.update(extra or {})
    out["_links"] = links
    return out


def paging_links(
    ctx: Ctx,
    path: str,
    query: dict[str, list[str]],
    *,
    start: int,
    limit: int,
    total: int,
) -> dict[str, str]:
    """``_links`` of an offset-paged v1 answer: ``next``/``prev`` relative to ``base`` (no
    ``/wiki``), with ``next=true`` first and the caller's filters kept, as Confluence does."""
    links = _array_links(ctx, path)
    keep = [
        (k, v) for k, vs in query.items() if k not in ("start", "limit", "next", "prev") for v in vs
    ]
    if start + limit < total:
        qs = urlencode([("next", "true"), ("limit", limit), ("start", start + limit), *keep])
        links["next"] = f"{path}?{qs}"
    if start > 0:
        qs = urlencode(
            [("prev", "true"), ("limit", limit), ("start", max(0, start - limit)), *keep]
        )
        links["prev"] = f"{path}?{qs}"
    return links


def search_result(ctx: Ctx, c: Content, expand: Expand) -> dict[str, Any]:
    sp = ctx.state.spaces.get(c.space_key)
    text = re.sub(r"<[^>]+>", " ", c.body)
    text = re.sub(r"\s+", " ", text).strip()
    return {
        "content": content(ctx, c, expand),
        "title": c.title,
        "excerpt": text[:200],
        "url": _content_links(ctx, c, c.latest)["webui"],
        "resultGlobalContainer": {
            "title": sp.name if sp else c.space_key,
            "displayUrl": f"/spaces/{c.space_key}",
        },
        "breadcrumbs": [],
        "entityType": "content",
        "iconCssClass": "aui-icon content-type-page"
        if c.type == "page"
        else "aui-icon content-type-attachment",
        "lastModified": iso(c.latest.when),
        "friendlyLastModified": _friendly(c.latest.when),
        "score": 1.0,
    }


# -- v2 ----------------------------------------------------------------------------------------


def _v2_links(c: Content) -> dict[str, str]:
    return {
        "webui": f"/spaces/{c.space_key}/pages/{c.id}/{quote_plus(c.title)}",
        "editui": f"/pages/resumedraft.action?draftId={c.id}",
        "tinyui": f"/x/{_tiny(c.id)}",
    }


def _v2_version(v: Version) -> dict[str, Any]:
    out: dict[str, Any] = {
        "createdAt": iso(v.when),
        "message": v.message,
        "number": v.number,
        "minorEdit": v.minor_edit,
    }
    if v.by:
        out["authorId"] = v.by
    return out


def v2_page(
    ctx: Ctx,
    c: Content,
    body_format: str | None,
    *,
    at: int | None = None,
    single: bool = False,
    include_labels: bool = False,
    include_versions: bool = False,
) -> dict[str, Any]:
    """A v2 ``PageBulk`` (or ``PageSingle`` with ``single``): ``spaceId`` and ids as strings,
    ``parentId`` absent at the space root (the schema does not allow null)."""
    v = c.at(at)
    sp = ctx.state.spaces.get(c.space_key)
    out: dict[str, Any] = {
        "id": c.id,
        "status": "historical" if v.number != c.number else c.status,
        "title": v.title,
        "spaceId": str(sp.id) if sp else "",
    }
    if c.parent_id is not None:
        out["parentId"] = c.parent_id
        out["parentType"] = "page"
    out["position"] = c.position
    if c.created_by:
        out["authorId"] = c.created_by
        out["ownerId"] = c.created_by
    out["lastOwnerId"] = None
    out["createdAt"] = iso(c.created)
    out["version"] = _v2_version(v)
    body: dict[str, Any] = {}
    if body_format == "storage":
        body["storage"] = {"representation": "storage", "value": v.body}
    elif single and body_format == "view":
        body["view"] = {"representation": "view", "value": v.body}
    out["body"] = body
    if include_labels:
        out["labels"] = {
            "results": [v2_label(ctx, lb) for lb in c.labels],
            "meta": {"hasMore": False, "cursor": ""},
            "_links": {"self": f"{ctx.base}/api/v2/pages/{c.id}/labels"},
        }
    if include_versions:
        out["versions"] = {
            "results": [_v2_version(x) for x in reversed(c.versions)],
            "meta": {"hasMore": False, "cursor": ""},
            "_links": {"self": f"{ctx.base}/api/v2/pages/{c.id}/versions"},
        }
    links = _v2_links(c)
    if single:
        links["base"] = ctx.base
    out["_links"] = links
    return out


def v2_child(ctx: Ctx, c: Content, *, with_type: bool = False) -> dict[str, Any]:
    sp = ctx.state.spaces.get(c.space_key)
    out: dict[str, Any] = {"id": c.id, "status": c.status, "title": c.title}
    if with_type:
        out["type"] = c.type
    out["spaceId"] = str(sp.id) if sp else ""
    out["childPosition"] = c.position
    return out


def v2_space(ctx: Ctx, sp: Space, *, single: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(sp.id),
        "key": sp.key,
        "name": sp.name,
        "type": sp.type,
        "status": sp.status,
    }
    if sp.created_by:
        out["authorId"] = sp.created_by
    out["createdAt"] = iso(sp.created)
    home = _homepage(ctx, sp)
    if home is not None:
        out["homepageId"] = home.id
    links: dict[str, str] = {"webui": f"/spaces/{sp.key}"}
    if single:
        links["base"] = ctx.base
    out["_links"] = links
    return out


def v2_label(ctx: Ctx, lb: Label) -> dict[str, Any]:
    return {"id": ctx.state.label_id(lb), "name": lb.name, "prefix": lb.prefix}
