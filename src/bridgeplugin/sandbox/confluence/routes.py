"""Confluence routes. Minimal first cut; grows below."""

from __future__ import annotations

from typing import Any

from ..routing import HttpError, Request, Router

__all__ = ["router"]


def router(site: Any) -> Router:
    r = Router()

    def shape(c: Any) -> dict[str, Any]:
        return {
            "id": c.id,
            "type": c.type,
            "status": c.status,
            "title": c.title,
            "version": {"number": c.version},
        }

    @r.route("GET", "/wiki/rest/api/content")
    def list_content(req: Request) -> Any:
        st = site.confluence
        found = [
            c
            for c in st.contents.values()
            if c.status == "current"
            and (req.arg("spaceKey") is None or c.space_key == req.arg("spaceKey"))
            and (req.arg("title") is None or c.title == req.arg("title"))
        ]
        req.points = 1 + len(found)
        return {"results": [shape(c) for c in found], "start": 0, "limit": 25, "size": len(found)}

    @r.route("GET", "/wiki/rest/api/content/{id}")
    def get_content(req: Request) -> Any:
        c = site.confluence.contents.get(req.params["id"])
        if c is None:
            raise HttpError(404, f"No content found with id: {req.params['id']}")
        return shape(c)

    return r
