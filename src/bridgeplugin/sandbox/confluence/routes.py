"""Confluence Cloud paths -> handlers: REST v1 (``/wiki/rest/api``) and v2 (``/wiki/api/v2``).

Handlers parse the request, call ``ConfluenceState`` (rules) and return ``shapes`` (JSON); they
read ``site.confluence``/``site.accounts`` at call time so a reset swaps the state underneath.
Reads set ``request.points`` to 1 + the objects returned; writes keep the default 1.

v1 errors are raised as ``HttpError`` and shaped by the app (``{"statusCode", "data",
"message"}``); v2 answers its own ``{"errors": [{"status", "code", "title", "detail"}]}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import unquote, urlencode

from ..routing import HttpError, Request, Response, Router, json_response
from . import shapes
from .cql import compile_cql
from .shapes import Ctx, Expand
from .state import ConfluenceState, Content

__all__ = ["router"]

V1 = "/wiki/rest/api"
V2 = "/wiki/api/v2"
_V1_MAX_LIMIT = 200
_V2_MAX_LIMIT = 250
# A single content GET expands these unless told otherwise, as Confluence Cloud does.
_SINGLE_DEFAULT_EXPAND = "space,history,version"
# What create/update answer with: the page as Confluence returns it after a write.
_WRITE_EXPAND = "space,history,version,ancestors,body.storage,container"
_V2_ERROR_CODES = {
    400: ("INVALID_REQUEST_PARAMETER", "Bad Request"),
    401: ("UNAUTHORIZED", "Unauthorized"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Not Found"),
    409: ("CONFLICT", "Conflict"),
    413: ("REQUEST_ENTITY_TOO_LARGE", "Request Entity Too Large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"),
}


# -- request helpers ---------------------------------------------------------------------------


def _ctx(site: Any, req: Request) -> Ctx:
    # The base URL follows the Host the client used, so links work on any port.
    host = req.headers.get("host") or "localhost"
    return Ctx(state=site.confluence, base=f"http://{host}/wiki")


def _account_id(req: Request) -> str | None:
    return getattr(req.user, "account_id", None)


def _expand(req: Request, default: str = "") -> Expand:
    values = list(req.query.get("expand", []))
    if default:
        values.append(default)
    return shapes.parse_expand(values)


def _start_limit(req: Request, default: int = 25, maximum: int = _V1_MAX_LIMIT) -> tuple[int, int]:
    start = max(0, req.int_arg("start", 0))
    limit = req.int_arg("limit", default)
    if limit < 0:
        raise HttpError(400, "The limit parameter must not be negative.")
    # Confluence silently caps the page size rather than refusing a large limit.
    return start, min(limit, maximum)


def _statuses(req: Request, default: str = "current") -> list[str]:
    return req.args("status") or [default]


def _json_body(req: Request) -> dict[str, Any]:
    ctype = req.headers.get("content-type", "application/json").lower()
    if "json" not in ctype:
        # Jersey refuses a body type the resource does not consume before reading it.
        raise HttpError(
            415, f"Unsupported Media Type: this resource consumes application/json, not {ctype}."
        )
    body = req.json()
    if not isinstance(body, dict):
        raise HttpError(400, "The request body must be a JSON object.")
    return body


def _require_nocheck(req: Request) -> None:
    # Multipart uploads are XSRF-protected unless the caller opts out with this header.
    token = (req.headers.get("x-atlassian-token") or "").strip().lower()
    if token not in ("no-check", "nocheck"):
        raise HttpError(403, "XSRF check failed")


@dataclass
class _Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _multipart(req: Request) -> list[_Part]:
    ctype = req.headers.get("content-type", "")
    if not ctype.lower().startswith("multipart/form-data"):
        raise HttpError(
            415, f"Unsupported Media Type: expected multipart/form-data, not {ctype or 'none'}."
        )
    m = re.search(r'boundary="?([^";]+)"?', ctype)
    if m is None:
        raise HttpError(400, "The multipart body has no boundary.")
    delimiter = b"--" + m.group(1).encode("latin-1")
    parts: list[_Part] = []
    for chunk in req.body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        data = data.removesuffix(b"\r\n")
        headers = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key:
                headers[key.strip()] = value.strip()
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = headers.get_filename()
        parts.append(_Part(name, filename, headers.get("content-type"), data))
    return parts


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _media_type(part: _Part) -> str:
    declared = (part.content_type or "").split(";")[0].strip().lower()
    # Clients often send a generic type; Confluence then goes by the file name.
    if declared in ("", "application/octet-stream", "application/binary"):
        guessed, _ = mimetypes.guess_type(part.filename or "")
        return guessed or "application/octet-stream"
    return declared


def _page_or_404(st: ConfluenceState, content_id: str) -> Content:
    c = st.get(content_id)
    if c.type != "page":
        raise HttpError(404, f"No page found with id: ContentId{{id={content_id}}}")
    return c


def _storage_body(doc: dict[str, Any] | None) -> str | None:
    """The storage value of a v1 body ``{"storage": {"value", "representation"}}``."""
    if not doc:
        return None
    if not isinstance(doc, dict):
        raise HttpError(400, 'body must be an object such as {"storage": {"value": ...}}.')
    for rep, value in doc.items():
        if rep == "storage":
            if not isinstance(value, dict) or not isinstance(value.get("value"), str):
                raise HttpError(400, "body.storage.value must be a string.")
            return value["value"]
        if isinstance(value, dict) and "value" in value:
            raise HttpError(
                400,
                f"The sandbox accepts page bodies in the storage representation only, not {rep!r}.",
            )
    return None


def _v2_error(exc: HttpError) -> Response:
    code, title = _V2_ERROR_CODES.get(exc.status, ("ERROR", "Error"))
    message = exc.messages[0] if exc.messages else title
    payload = {"errors": [{"status": exc.status, "code": code, "title": message, "detail": None}]}
    return json_response(payload, status=exc.status, headers=exc.headers)


def _v2(handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """Shape a v2 handler's errors the v2 way."""

    def wrapped(req: Request) -> Any:
        try:
            return handler(req)
        except HttpError as exc:
            return _v2_error(exc)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


# -- v2 cursor paging --------------------------------------------------------------------------


def _encode_cursor(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _decode_cursor(raw: str) -> tuple[Any, ...]:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise HttpError(400, f"Invalid cursor: {raw!r}") from None
    if not isinstance(value, list):
        raise HttpError(400, f"Invalid cursor: {raw!r}")
    return tuple(value)


def _v2_limit(req: Request) -> int:
    limit = req.int_arg("limit", 25)
    if not 1 <= limit <= _V2_MAX_LIMIT:
        raise HttpError(400, f"limit must be between 1 and {_V2_MAX_LIMIT}, not {limit}.")
    return limit


def _v2_paged(
    req: Request,
    ctx: Ctx,
    items: list[Content],
    key: Callable[[Content], tuple[Any, ...]],
    descending: bool,
    shape: Callable[[Content], dict[str, Any]],
) -> Response:
    """One page of a v2 collection. The cursor is the sort key of the last item returned
    (keyset paging), so items created while a client pages still show up exactly once."""
    limit = _v2_limit(req)
    ordered = sorted(items, key=key, reverse=descending)
    raw = req.arg("cursor")
    if raw:
        after = _decode_cursor(raw)
        try:
            ordered = [c for c in ordered if (key(c) < after if descending else key(c) > after)]
        except TypeError:
            raise HttpError(400, f"Invalid cursor for this sort: {raw!r}") from None
    page = ordered[:limit]
    req.points = 1 + len(page)
    links: dict[str, str] = {}
    headers: dict[str, str] = {}
    if len(ordered) > limit:
        keep = [(k, v) for k, vs in req.query.items() if k != "cursor" for v in vs]
        nxt = f"{req.path}?{urlencode([*keep, ('cursor', _encode_cursor(key(page[-1])))])}"
        links["next"] = nxt
        headers["Link"] = f'<{nxt}>; rel="next", <{ctx.base}>; rel="base"'
    links["base"] = ctx.base
    return json_response({"results": [shape(c) for c in page], "_links": links}, headers=headers)


def _id_key(c: Content) -> tuple[Any, ...]:
    return (int(re.sub(r"\D", "", c.id)),)


_PAGE_SORTS: dict[str, Callable[[Content], tuple[Any, ...]]] = {
    "id": _id_key,
    "title": lambda c: (c.title.casefold(), *_id_key(c)),
    "created-date": lambda c: (shapes.iso(c.created), *_id_key(c)),
    "modified-date": lambda c: (shapes.iso(c.latest.when), *_id_key(c)),
    "child-position": lambda c: (c.position, *_id_key(c)),
}


def _sort(
    req: Request, allowed: tuple[str, ...], default: str
) -> tuple[Callable[[Content], tuple[Any, ...]], bool]:
    raw = req.arg("sort") or default
    name = raw.lstrip("-")
    if name not in allowed:
        raise HttpError(
            400,
            f"sort must be one of {', '.join(allowed)} (optionally prefixed with -), not {raw!r}.",
        )
    return _PAGE_SORTS[name], raw.startswith("-")


def _v2_body_format(req: Request, allowed: tuple[str, ...] = ("storage",)) -> str | None:
    fmt = req.arg("body-format")
    if fmt in (None, "", "none"):
        return None
    if fmt == "atlas_doc_format":
        raise HttpError(
            400, "The sandbox serves page bodies in storage format only (body-format=storage)."
        )
    if fmt not in allowed:
        raise HttpError(400, f"body-format must be one of {', '.join(allowed)}, not {fmt!r}.")
    return fmt


def _v2_write_body(doc: Any) -> str | None:
    """The storage value of a v2 body: ``{"representation", "value"}`` or ``{"storage": {...}}``."""
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise HttpError(400, "body must be an object.")
    if "value" in doc:
        rep = doc.get("representation", "storage")
        if rep != "storage":
            raise HttpError(
                400, f"The sandbox accepts the storage representation only, not {rep!r}."
            )
        value = doc["value"]
    elif "storage" in doc and isinstance(doc["storage"], dict):
        value = doc["storage"].get("value")
    elif doc:
        rep = next(iter(doc))
        raise HttpError(400, f"The sandbox accepts the storage representation only, not {rep!r}.")
    else:
        return None
    if not isinstance(value, str):
        raise HttpError(400, "body value must be a string.")
    return value


# -- the router --------------------------------------------------------------------------------


def router(site: Any) -> Router:
    r = Router()

    def st() -> ConfluenceState:
        return site.confluence

    # ---- v1 content ------------------------------------------------------------------------

    @r.route("GET", f"{V1}/content")
    def list_content(req: Request) -> Any:
        ctx = _ctx(site, req)
        start, limit = _start_limit(req)
        type_ = req.arg("type") or "page"
        space_keys = set(req.args("spaceKey"))
        title = req.arg("title")
        statuses = set(_statuses(req))
        found = [
            c
            for c in st().contents.values()
            if c.type == type_
            and c.status != "deleted"
            and ("any" in statuses or c.status in statuses)
            and (not space_keys or c.space_key in space_keys)
            and (title is None or c.title.casefold() == title.strip().casefold())
        ]
        found.sort(key=lambda c: c.position)
        page = found[start : start + limit]
        req.points = 1 + len(page)
        expand = _expand(req)
        links = shapes.paging_links(
            ctx, "/rest/api/content", req.query, start=start, limit=limit, total=len(found)
        )
        return shapes.array(
            [shapes.content(ctx, c, expand) for c in page], start, limit, links=links
        )

    @r.route("POST", f"{V1}/content")
    def create_content(req: Request) -> Any:
        ctx = _ctx(site, req)
        body = _json_body(req)
        type_ = body.get("type")
        if type_ != "page":
            raise HttpError(400, f"The sandbox creates content of type 'page' only, not {type_!r}.")
        if (body.get("status") or "current") != "current":
            raise HttpError(400, "The sandbox does not keep drafts: status must be 'current'.")
        space_doc = body.get("space") or {}
        key = space_doc.get("key") if isinstance(space_doc, dict) else None
        if not key:
            raise HttpError(400, "Space key is required to create content: space.key.")
        ancestors = body.get("ancestors") or []
        parent_id = (
            str(ancestors[-1]["id"]) if ancestors and isinstance(ancestors[-1], dict) else None
        )
        page = st().create_page(
            space_key=key,
            title=body.get("title"),
            body=_storage_body(body.get("body")) or "",
            parent_id=parent_id,
            by=_account_id(req),
            message=str((body.get("version") or {}).get("message") or ""),
        )
        return shapes.content(ctx, page, shapes.parse_expand([_WRITE_EXPAND]), top=True)

    @r.route("GET", f"{V1}/content/search")
    def content_search(req: Request) -> Any:
        ctx = _ctx(site, req)
        cql = req.arg("cql")
        if not cql:
            raise HttpError(400, "CQL query parameter 'cql' is required.")
        found = compile_cql(cql, st(), _account_id(req))
        limit = min(max(1, req.int_arg("limit", 25)), _V1_MAX_LIMIT)
        # Confluence pages this endpoint with an opaque cursor; here it wraps an offset.
        start = 0
        raw = req.arg("cursor")
        if raw:
            (start,) = _decode_cursor(raw)[:1] or (0,)
            if not isinstance(start, int):
                raise HttpError(400, f"Invalid cursor: {raw!r}")
        page = found[start : start + limit]
        req.points = 1 + len(page)
        links = {
            "base": ctx.base,
            "context": "/wiki",
            "self": f"{ctx.base}/rest/api/content/search",
        }
        if start + limit < len(found):
            qs = urlencode(
                [
                    ("next", "true"),
                    ("cursor", _encode_cursor((start + limit,))),
                    ("limit", limit),
                    ("cql", cql),
                ]
                + [("expand", e) for e in req.query.get("expand", [])]
            )
            links["next"] = f"/rest/api/content/search?{qs}"
        expand = _expand(req)
        return shapes.array(
            [shapes.content(ctx, c, expand) for c in page], start, limit, links=links
        )

    @r.route("GET", f"{V1}/content/{{id}}")
    def get_content(req: Request) -> Any:
        ctx = _ctx(site, req)
        statuses = _statuses(req)
        number = req.int_arg("version", 0) or None
        if "historical" in statuses:
            statuses = [*statuses, "current"]
        c = st().get(req.params["id"], statuses)
        req.points = 2
        return shapes.content(ctx, c, _expand(req, _SINGLE_DEFAULT_EXPAND), at=number, top=True)

    @r.route("PUT", f"{V1}/content/{{id}}")
    def update_content(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"], ("current", "trashed"))
        body = _json_body(req)
        if c.type != "page":
            raise HttpError(
                400,
                "The sandbox updates attachments through /content/{id}/child/attachment only.",
            )
        if body.get("type") not in (None, c.type):
            raise HttpError(
                400,
                f"Cannot change the type of content {c.id} from {c.type} to {body.get('type')}.",
            )
        version_doc = body.get("version")
        if not isinstance(version_doc, dict) or not isinstance(version_doc.get("number"), int):
            raise HttpError(400, "Must supply an incremented version when updating Content.")
        ancestors = body.get("ancestors") or []
        parent_id = (
            str(ancestors[-1]["id"]) if ancestors and isinstance(ancestors[-1], dict) else None
        )
        space_doc = body.get("space")
        if isinstance(space_doc, dict) and space_doc.get("key") not in (None, c.space_key):
            raise HttpError(400, "The sandbox cannot move a page to another space.")
        st().update_page(
            c,
            number=version_doc["number"],
            title=body.get("title"),
            body=_storage_body(body.get("body")),
            parent_id=parent_id,
            by=_account_id(req),
            message=str(version_doc.get("message") or ""),
            minor_edit=bool(version_doc.get("minorEdit", False)),
            status=body.get("status") or "current",
        )
        return shapes.content(ctx, c, shapes.parse_expand([_WRITE_EXPAND]), top=True)

    @r.route("DELETE", f"{V1}/content/{{id}}")
    def delete_content(req: Request) -> Any:
        statuses = _statuses(req)
        c = st().get(req.params["id"], ("trashed",) if "trashed" in statuses else ("current",))
        st().trash(c)
        return Response(status=204)

    @r.route("GET", f"{V1}/content/{{id}}/history")
    def get_history(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"], ("current", "trashed"))
        req.points = 2
        return shapes.history(ctx, c, _expand(req, "lastUpdated,previousVersion"))

    @r.route("GET", f"{V1}/content/{{id}}/version")
    def list_versions(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"], ("current", "trashed"))
        start, limit = _start_limit(req, default=200)
        versions = list(reversed(c.versions))
        page = versions[start : start + limit]
        req.points = 1 + len(page)
        expand = _expand(req)
        links = shapes.paging_links(
            ctx,
            f"/rest/api/content/{c.id}/version",
            req.query,
            start=start,
            limit=limit,
            total=len(versions),
        )
        return shapes.array(
            [shapes.version(ctx, c, v, expand) for v in page], start, limit, links=links
        )

    @r.route("GET", f"{V1}/content/{{id}}/version/{{number}}")
    def get_version(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"], ("current", "trashed"))
        try:
            number = int(req.params["number"])
        except ValueError:
            raise HttpError(
                400, f"Version number must be a number, not {req.params['number']!r}."
            ) from None
        req.points = 2
        return shapes.version(ctx, c, c.at(number), _expand(req))

    @r.route("GET", f"{V1}/content/{{id}}/child")
    def get_children(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"])
        expand = _expand(req)
        req.points = 1 + sum(
            len(st().children(c, k)) for k in ("page", "attachment") if k in expand
        )
        return shapes.content(ctx, c, {"children": expand})["children"]

    # ---- v1 attachments (registered before child/{type} so they win the match) ------------

    def _attachment_answer(req: Request, page: Content, created: list[Content]) -> Any:
        ctx = _ctx(site, req)
        expand = shapes.parse_expand(["version,container"])
        return shapes.array(
            [shapes.content(ctx, a, expand) for a in created],
            0,
            len(created),
            links={"base": ctx.base, "context": "/wiki"},
        )

    def _upload(req: Request, *, replace: bool) -> Any:
        _require_nocheck(req)
        page = _page_or_404(st(), req.params["id"])
        parts = _multipart(req)
        files = [p for p in parts if p.name == "file"]
        if not files:
            raise HttpError(
                400, "At least one file must be uploaded in the multipart field 'file'."
            )
        minor = [p for p in parts if p.name == "minorEdit"]
        if not minor:
            raise HttpError(400, "The multipart field 'minorEdit' is required.")
        comments = [p.data.decode("utf-8", "replace") for p in parts if p.name == "comment"]
        if comments and len(comments) != len(files):
            raise HttpError(400, "Give one comment per file, in the same order, or none.")
        minor_edit = _bool(minor[0].data.decode("utf-8", "replace"))
        touched: list[Content] = []
        for i, f in enumerate(files):
            if not f.filename:
                raise HttpError(400, "Each uploaded file needs a file name.")
            comment = comments[i] if comments else None
            existing = st().attachment_named(page, f.filename)
            if existing is not None and replace:
                touched.append(
                    st().add_attachment_version(
                        existing,
                        data=f.data,
                        media_type=_media_type(f),
                        comment=comment,
                        minor_edit=minor_edit,
                        by=_account_id(req),
                    )
                )
            else:
                touched.append(
                    st().add_attachment(
                        page,
                        filename=f.filename,
                        data=f.data,
                        media_type=_media_type(f),
                        comment=comment,
                        minor_edit=minor_edit,
                        by=_account_id(req),
                    )
                )
        return _attachment_answer(req, page, touched)

    @r.route("GET", f"{V1}/content/{{id}}/child/attachment")
    def list_attachments(req: Request) -> Any:
        ctx = _ctx(site, req)
        page = st().get(req.params["id"])
        start, limit = _start_limit(req, default=50)
        filename = req.arg("filename")
        media_type = req.arg("mediaType")
        found = [
            a
            for a in st().children(page, "attachment")
            if (filename is None or a.title == filename)
            and (media_type is None or a.latest.media_type == media_type)
        ]
        chunk = found[start : start + limit]
        req.points = 1 + len(chunk)
        links = shapes.paging_links(
            ctx,
            f"/rest/api/content/{page.id}/child/attachment",
            req.query,
            start=start,
            limit=limit,
            total=len(found),
        )
        expand = _expand(req)
        return shapes.array(
            [shapes.content(ctx, a, expand) for a in chunk], start, limit, links=links
        )

    @r.route("POST", f"{V1}/content/{{id}}/child/attachment")
    def create_attachment(req: Request) -> Any:
        return _upload(req, replace=False)

    @r.route("PUT", f"{V1}/content/{{id}}/child/attachment")
    def create_or_update_attachment(req: Request) -> Any:
        return _upload(req, replace=True)

    def _attachment_of(page_id: str, attachment_id: str) -> tuple[Content, Content]:
        page = _page_or_404(st(), page_id)
        att = st().contents.get(attachment_id)
        if (
            att is None
            or att.type != "attachment"
            or att.parent_id != page.id
            or att.status != "current"
        ):
            raise HttpError(
                404, f"No attachment found with id: {attachment_id} on content {page_id}"
            )
        return page, att

    @r.route("POST", f"{V1}/content/{{id}}/child/attachment/{{attachmentId}}/data")
    def update_attachment_data(req: Request) -> Any:
        _require_nocheck(req)
        page, att = _attachment_of(req.params["id"], req.params["attachmentId"])
        parts = _multipart(req)
        files = [p for p in parts if p.name == "file"]
        if len(files) != 1:
            raise HttpError(400, "Exactly one file must be uploaded in the multipart field 'file'.")
        f = files[0]
        minor = [p for p in parts if p.name == "minorEdit"]
        if not minor:
            raise HttpError(400, "The multipart field 'minorEdit' is required.")
        comment = next(
            (p.data.decode("utf-8", "replace") for p in parts if p.name == "comment"), None
        )
        if f.filename and f.filename != att.title:
            clash = st().attachment_named(page, f.filename)
            if clash is not None:
                raise HttpError(
                    400,
                    "Cannot add a new attachment with same file name as an existing attachment: "
                    f"{f.filename}",
                )
        st().add_attachment_version(
            att,
            data=f.data,
            media_type=_media_type(f),
            comment=comment,
            minor_edit=_bool(minor[0].data.decode("utf-8", "replace")),
            by=_account_id(req),
            filename=f.filename,
        )
        ctx = _ctx(site, req)
        return shapes.content(ctx, att, shapes.parse_expand(["version,container"]), top=True)

    @r.route("PUT", f"{V1}/content/{{id}}/child/attachment/{{attachmentId}}")
    def update_attachment_properties(req: Request) -> Any:
        page, att = _attachment_of(req.params["id"], req.params["attachmentId"])
        body = _json_body(req)
        version_doc = body.get("version")
        if not isinstance(version_doc, dict) or not isinstance(version_doc.get("number"), int):
            raise HttpError(400, "Must supply an incremented version when updating an attachment.")
        if version_doc["number"] != att.number + 1:
            raise HttpError(
                409, f"Version must be incremented on update. Current version is: {att.number}"
            )
        title = body.get("title") or att.title
        if title != att.title and st().attachment_named(page, title) is not None:
            raise HttpError(
                400,
                "Cannot add a new attachment with same file name as an existing attachment: "
                f"{title}",
            )
        meta = body.get("metadata") or {}
        st().add_attachment_version(
            att,
            data=att.latest.data or b"",
            media_type=meta.get("mediaType"),
            comment=meta.get("comment"),
            minor_edit=bool(version_doc.get("minorEdit", False)),
            by=_account_id(req),
            filename=title,
        )
        ctx = _ctx(site, req)
        return shapes.content(ctx, att, shapes.parse_expand(["version,container"]), top=True)

    @r.route("GET", f"{V1}/content/{{id}}/child/attachment/{{attachmentId}}/download")
    def redirect_download(req: Request) -> Any:
        ctx = _ctx(site, req)
        _, att = _attachment_of(req.params["id"], req.params["attachmentId"])
        number = req.int_arg("version", 0) or None
        if number is not None and number > att.number:
            raise HttpError(
                400,
                f"Version {number} is greater than the attachment's latest version {att.number}.",
            )
        v = att.at(number)
        link = shapes.content(ctx, att, {}, at=v.number)["_links"]["download"]
        return Response(status=302, headers={"Location": f"{ctx.base}{link}"})

    @r.route("GET", "/wiki/download/attachments/{pageId}/{filename}")
    def download(req: Request) -> Any:
        page = st().get(req.params["pageId"])
        filename = unquote(req.params["filename"])
        att = st().attachment_named(page, filename)
        if att is None:
            raise HttpError(404, f"No attachment {filename!r} on page {page.id}.")
        v = att.at(req.int_arg("version", 0) or None)
        req.points = 2
        return Response(
            status=200,
            body=v.data or b"",
            headers={
                "Content-Type": v.media_type or "application/octet-stream",
                "Content-Disposition": f"attachment; filename*=UTF-8''{req.params['filename']}",
            },
        )

    @r.route("GET", f"{V1}/content/{{id}}/child/{{type}}")
    def list_children(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"])
        kind = req.params["type"]
        if kind not in ("page", "comment", "attachment"):
            raise HttpError(400, f"Content of type {c.type} cannot have children of type {kind}.")
        start, limit = _start_limit(req)
        kids = st().children(c, kind) if kind != "comment" else []
        chunk = kids[start : start + limit]
        req.points = 1 + len(chunk)
        links = shapes.paging_links(
            ctx,
            f"/rest/api/content/{c.id}/child/{kind}",
            req.query,
            start=start,
            limit=limit,
            total=len(kids),
        )
        expand = _expand(req)
        return shapes.array(
            [shapes.content(ctx, k, expand) for k in chunk], start, limit, links=links
        )

    @r.route("GET", f"{V1}/content/{{id}}/descendant/{{type}}")
    def list_descendants(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"])
        kind = req.params["type"]
        if kind not in ("page", "comment", "attachment"):
            raise HttpError(
                400, f"Unknown descendant type {kind!r}: use page, attachment or comment."
            )
        depth = req.arg("depth") or "all"
        if depth not in ("all", "root"):
            raise HttpError(400, f"depth must be 'all' or 'root', not {depth!r}.")
        if kind == "comment":
            found: list[Content] = []
        elif depth == "root":
            found = st().children(c, kind)
        else:
            found = st().descendants(c, kind)
        start, limit = _start_limit(req)
        chunk = found[start : start + limit]
        req.points = 1 + len(chunk)
        links = shapes.paging_links(
            ctx,
            f"/rest/api/content/{c.id}/descendant/{kind}",
            req.query,
            start=start,
            limit=limit,
            total=len(found),
        )
        expand = _expand(req)
        return shapes.array(
            [shapes.content(ctx, d, expand) for d in chunk], start, limit, links=links
        )

    # ---- v1 labels -------------------------------------------------------------------------

    @r.route("GET", f"{V1}/content/{{id}}/label")
    def list_labels(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"])
        prefix = req.arg("prefix")
        labels = [lb for lb in c.labels if prefix is None or lb.prefix == prefix]
        start, limit = _start_limit(req)
        chunk = labels[start : start + limit]
        req.points = 1 + len(chunk)
        links = shapes.paging_links(
            ctx,
            f"/rest/api/content/{c.id}/label",
            req.query,
            start=start,
            limit=limit,
            total=len(labels),
        )
        return shapes.array([shapes.label(ctx, lb) for lb in chunk], start, limit, links=links)

    @r.route("POST", f"{V1}/content/{{id}}/label")
    def add_labels(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = st().get(req.params["id"])
        doc = req.json()
        items = doc if isinstance(doc, list) else [doc]
        wanted: list[tuple[str, str]] = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise HttpError(
                    400, 'Each label must be an object like {"prefix": "global", "name": "x"}.'
                )
            wanted.append((str(item.get("prefix") or "global"), item["name"]))
        st().add_labels(c, wanted)
        return shapes.array(
            [shapes.label(ctx, lb) for lb in c.labels],
            0,
            200,
            links={
                "base": ctx.base,
                "context": "/wiki",
                "self": f"{ctx.base}/rest/api/content/{c.id}/label",
            },
        )

    @r.route("DELETE", f"{V1}/content/{{id}}/label")
    def remove_label_by_query(req: Request) -> Any:
        c = st().get(req.params["id"])
        name = req.arg("name")
        if not name:
            raise HttpError(400, "The name of the label to remove is required: ?name=...")
        st().remove_label(c, name)
        return Response(status=204)

    @r.route("DELETE", f"{V1}/content/{{id}}/label/{{label}}")
    def remove_label(req: Request) -> Any:
        c = st().get(req.params["id"])
        st().remove_label(c, unquote(req.params["label"]))
        return Response(status=204)

    # ---- v1 spaces, search, user -----------------------------------------------------------

    @r.route("GET", f"{V1}/space")
    def list_spaces(req: Request) -> Any:
        ctx = _ctx(site, req)
        keys = set(req.args("spaceKey"))
        ids = set(req.args("spaceId"))
        type_ = req.arg("type")
        status = req.arg("status")
        found = [
            sp
            for sp in st().spaces.values()
            if (not keys or sp.key in keys)
            and (not ids or str(sp.id) in ids)
            and (type_ is None or sp.type == type_)
            and (status is None or sp.status == status)
        ]
        start, limit = _start_limit(req, maximum=500)
        chunk = found[start : start + limit]
        req.points = 1 + len(chunk)
        links = shapes.paging_links(
            ctx, "/rest/api/space", req.query, start=start, limit=limit, total=len(found)
        )
        expand = _expand(req)
        return shapes.array(
            [shapes.space(ctx, sp, expand) for sp in chunk], start, limit, links=links
        )

    @r.route("GET", f"{V1}/space/{{key}}")
    def get_space(req: Request) -> Any:
        ctx = _ctx(site, req)
        sp = st().space(unquote(req.params["key"]))
        req.points = 2
        return shapes.space(ctx, sp, _expand(req), top=True)

    @r.route("GET", f"{V1}/search")
    def search(req: Request) -> Any:
        ctx = _ctx(site, req)
        cql = req.arg("cql")
        if not cql:
            raise HttpError(400, "CQL query parameter 'cql' is required.")
        found = compile_cql(cql, st(), _account_id(req))
        start, limit = _start_limit(req, maximum=_V1_MAX_LIMIT)
        chunk = found[start : start + limit]
        req.points = 1 + len(chunk)
        # Search expands apply to the matched content: expand=content.version,content.space.
        expand = _expand(req).get("content", {})
        links = shapes.paging_links(
            ctx, "/rest/api/search", req.query, start=start, limit=limit, total=len(found)
        )
        return shapes.array(
            [shapes.search_result(ctx, c, expand) for c in chunk],
            start,
            limit,
            links=links,
            extra={"totalSize": len(found), "cqlQuery": cql, "searchDuration": 1},
        )

    @r.route("GET", f"{V1}/user/current")
    def current_user(req: Request) -> Any:
        req.points = 2
        return shapes.user(_ctx(site, req), _account_id(req))

    # ---- v2 ------------------------------------------------------------------------------

    def _v2_pages(req: Request, ctx: Ctx, candidates: list[Content]) -> Response:
        statuses = set(req.args("status") or ["current", "archived"])
        ids = set(req.args("id"))
        title = req.arg("title")
        body_format = _v2_body_format(req)
        key, desc = _sort(req, ("id", "title", "created-date", "modified-date"), "id")
        found = [
            c
            for c in candidates
            if c.type == "page"
            and c.status != "deleted"
            and ("any" in statuses or c.status in statuses)
            and (not ids or c.id in ids)
            and (title is None or c.title == title)
        ]
        return _v2_paged(req, ctx, found, key, desc, lambda c: shapes.v2_page(ctx, c, body_format))

    @r.route("GET", f"{V2}/pages")
    @_v2
    def v2_list_pages(req: Request) -> Any:
        ctx = _ctx(site, req)
        space_ids = set(req.args("space-id"))
        candidates = [
            c
            for c in st().pages()
            if not space_ids or str(st().spaces[c.space_key].id) in space_ids
        ]
        return _v2_pages(req, ctx, candidates)

    @r.route("POST", f"{V2}/pages")
    @_v2
    def v2_create_page(req: Request) -> Any:
        ctx = _ctx(site, req)
        body = _json_body(req)
        if (body.get("status") or "current") != "current":
            raise HttpError(400, "The sandbox does not keep drafts: status must be 'current'.")
        if _bool(req.arg("private")):
            raise HttpError(400, "The sandbox does not support private pages.")
        space_id = body.get("spaceId")
        if not space_id:
            raise HttpError(400, "spaceId is required.")
        sp = st().space_by_id(str(space_id))
        if sp is None:
            raise HttpError(404, f"Space {space_id} does not exist or you cannot see it.")
        parent_id = body.get("parentId")
        if parent_id is not None and _bool(req.arg("root-level")):
            raise HttpError(400, "parentId cannot be given together with root-level=true.")
        page = st().create_page(
            space_key=sp.key,
            title=body.get("title"),
            body=_v2_write_body(body.get("body")) or "",
            parent_id=str(parent_id) if parent_id is not None else None,
            by=_account_id(req),
        )
        return shapes.v2_page(ctx, page, "storage", single=True)

    @r.route("GET", f"{V2}/pages/{{id}}")
    @_v2
    def v2_get_page(req: Request) -> Any:
        ctx = _ctx(site, req)
        statuses = req.args("status") or ["current", "archived"]
        c = _page_or_404_v2(req.params["id"], statuses)
        body_format = _v2_body_format(req, ("storage", "view"))
        number = req.int_arg("version", 0) or None
        req.points = 2
        return shapes.v2_page(
            ctx,
            c,
            body_format,
            at=number,
            single=True,
            include_labels=_bool(req.arg("include-labels")),
            include_versions=_bool(req.arg("include-versions")),
        )

    def _page_or_404_v2(page_id: str, statuses: list[str]) -> Content:
        c = st().contents.get(page_id)
        if (
            c is None
            or c.type != "page"
            or c.status == "deleted"
            or ("any" not in statuses and c.status not in statuses)
        ):
            raise HttpError(404, f"Page {page_id} does not exist or you cannot see it.")
        return c

    @r.route("PUT", f"{V2}/pages/{{id}}")
    @_v2
    def v2_update_page(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = _page_or_404_v2(req.params["id"], ["current", "trashed"])
        body = _json_body(req)
        missing = [f for f in ("id", "status", "title", "body", "version") if f not in body]
        if missing:
            raise HttpError(400, f"Missing required field(s): {', '.join(missing)}.")
        if str(body["id"]) != c.id:
            raise HttpError(
                400, f"The id in the body ({body['id']}) is not the page's id ({c.id})."
            )
        if body.get("spaceId") is not None and st().space_by_id(
            str(body["spaceId"])
        ) is not st().spaces.get(c.space_key):
            raise HttpError(400, "Moving a page to a different space is not supported.")
        version_doc = body["version"]
        if not isinstance(version_doc, dict) or not isinstance(version_doc.get("number"), int):
            raise HttpError(400, "version.number is required and must be an integer.")
        st().update_page(
            c,
            number=version_doc["number"],
            title=body["title"],
            body=_v2_write_body(body["body"]),
            parent_id=str(body["parentId"]) if body.get("parentId") is not None else None,
            by=_account_id(req),
            message=str(version_doc.get("message") or ""),
            minor_edit=bool(version_doc.get("minorEdit", False)),
            status=body["status"],
        )
        return shapes.v2_page(ctx, c, "storage", single=True)

    @r.route("DELETE", f"{V2}/pages/{{id}}")
    @_v2
    def v2_delete_page(req: Request) -> Any:
        purge = _bool(req.arg("purge"))
        c = _page_or_404_v2(req.params["id"], ["trashed"] if purge else ["current"])
        st().trash(c)
        return Response(status=204)

    def _v2_children(req: Request, *, with_type: bool) -> Response:
        ctx = _ctx(site, req)
        c = _page_or_404_v2(req.params["id"], ["current"])
        key, desc = _sort(
            req, ("id", "created-date", "modified-date", "child-position"), "child-position"
        )
        kids = st().children(c, "page")
        return _v2_paged(
            req, ctx, kids, key, desc, lambda k: shapes.v2_child(ctx, k, with_type=with_type)
        )

    @r.route("GET", f"{V2}/pages/{{id}}/children")
    @_v2
    def v2_children(req: Request) -> Any:
        return _v2_children(req, with_type=False)

    @r.route("GET", f"{V2}/pages/{{id}}/direct-children")
    @_v2
    def v2_direct_children(req: Request) -> Any:
        return _v2_children(req, with_type=True)

    @r.route("GET", f"{V2}/pages/{{id}}/labels")
    @_v2
    def v2_page_labels(req: Request) -> Any:
        ctx = _ctx(site, req)
        c = _page_or_404_v2(req.params["id"], ["current"])
        prefix = req.arg("prefix")
        labels = [lb for lb in c.labels if prefix is None or lb.prefix == prefix]
        limit = _v2_limit(req)
        # Labels have no stable id order of their own; page them by their global id.
        ordered = sorted(labels, key=lambda lb: int(st().label_id(lb)))
        raw = req.arg("cursor")
        if raw:
            (after,) = _decode_cursor(raw)[:1] or (0,)
            ordered = [lb for lb in ordered if int(st().label_id(lb)) > int(after)]
        chunk = ordered[:limit]
        req.points = 1 + len(chunk)
        links: dict[str, str] = {}
        headers: dict[str, str] = {}
        if len(ordered) > limit:
            keep = [(k, v) for k, vs in req.query.items() if k != "cursor" for v in vs]
            cursor = _encode_cursor((int(st().label_id(chunk[-1])),))
            links["next"] = f"{req.path}?{urlencode([*keep, ('cursor', cursor)])}"
            headers["Link"] = f'<{links["next"]}>; rel="next", <{ctx.base}>; rel="base"'
        links["base"] = ctx.base
        return json_response(
            {"results": [shapes.v2_label(ctx, lb) for lb in chunk], "_links": links},
            headers=headers,
        )

    @r.route("GET", f"{V2}/spaces")
    @_v2
    def v2_list_spaces(req: Request) -> Any:
        ctx = _ctx(site, req)
        keys = set(req.args("keys"))
        ids = set(req.args("ids"))
        type_ = req.arg("type")
        status = req.arg("status")
        found = [
            sp
            for sp in st().spaces.values()
            if (not keys or sp.key in keys)
            and (not ids or str(sp.id) in ids)
            and (type_ is None or sp.type == type_)
            and (status is None or sp.status == status)
        ]
        limit = _v2_limit(req)
        found.sort(key=lambda sp: sp.id)
        raw = req.arg("cursor")
        if raw:
            (after,) = _decode_cursor(raw)[:1] or (0,)
            found = [sp for sp in found if sp.id > int(after)]
        chunk = found[:limit]
        req.points = 1 + len(chunk)
        links: dict[str, str] = {}
        headers: dict[str, str] = {}
        if len(found) > limit:
            keep = [(k, v) for k, vs in req.query.items() if k != "cursor" for v in vs]
            links["next"] = (
                f"{req.path}?{urlencode([*keep, ('cursor', _encode_cursor((chunk[-1].id,)))])}"
            )
            headers["Link"] = f'<{links["next"]}>; rel="next", <{ctx.base}>; rel="base"'
        links["base"] = ctx.base
        return json_response(
            {"results": [shapes.v2_space(ctx, sp) for sp in chunk], "_links": links},
            headers=headers,
        )

    @r.route("GET", f"{V2}/spaces/{{id}}")
    @_v2
    def v2_get_space(req: Request) -> Any:
        ctx = _ctx(site, req)
        sp = st().space_by_id(req.params["id"])
        if sp is None:
            raise HttpError(404, f"Space {req.params['id']} does not exist or you cannot see it.")
        req.points = 2
        return shapes.v2_space(ctx, sp, single=True)

    @r.route("GET", f"{V2}/spaces/{{id}}/pages")
    @_v2
    def v2_space_pages(req: Request) -> Any:
        ctx = _ctx(site, req)
        sp = st().space_by_id(req.params["id"])
        if sp is None:
            raise HttpError(404, f"Space {req.params['id']} does not exist or you cannot see it.")
        depth = req.arg("depth") or "all"
        if depth not in ("all", "root"):
            raise HttpError(400, f"depth must be 'all' or 'root', not {depth!r}.")
        candidates = [
            c
            for c in st().pages()
            if c.space_key == sp.key and (depth == "all" or c.parent_id is None)
        ]
        return _v2_pages(req, ctx, candidates)

    return r
