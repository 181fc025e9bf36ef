"""Confluence REST v1 attachments: upload, versions, download, through the real client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from atlassian.errors import ApiError
from requests import HTTPError
from test_confluence_support import ADA, PNG, TOKEN, calls, page_id, sandbox, v1

from bridgeplugin.sandbox.server import RunningSandbox

pytestmark = pytest.mark.sandbox

CHART_V2 = PNG + b"\x00second version"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningSandbox]:
    with sandbox() as running:
        yield running


@pytest.fixture
def sb(server: RunningSandbox) -> RunningSandbox:
    server.app.reset()  # back to the seed, ledger empty: tests stay independent
    return server


def upload(
    sb: RunningSandbox,
    page: str,
    name: str,
    data: bytes,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> requests.Response:
    return requests.request(
        method,
        f"{sb.wiki_url}/rest/api/content/{page}/child/attachment",
        auth=(ADA, TOKEN),
        headers={"X-Atlassian-Token": "nocheck"} if headers is None else headers,
        files={"file": (name, data, "image/png")},
        data={"minorEdit": "true"} if form is None else form,
        timeout=5,
    )


def test_attach_a_png_and_download_the_same_bytes(sb: RunningSandbox, tmp_path: Path) -> None:
    pid = page_id(sb, "DOC", "Parent")
    chart = tmp_path / "burndown.png"
    chart.write_bytes(PNG)
    client = v1(sb)
    result = client.attach_file(str(chart), page_id=pid, comment="Sprint 12 burndown")
    [att] = result["results"]
    assert (att["title"], att["type"], att["version"]["number"]) == (
        "burndown.png",
        "attachment",
        1,
    )
    assert att["metadata"]["mediaType"] == "image/png"
    assert att["extensions"]["fileSize"] == len(PNG)
    assert att["container"]["id"] == pid
    # The download link is relative to _links.base and serves the bytes with their type.
    got = requests.get(sb.wiki_url + att["_links"]["download"], auth=(ADA, TOKEN), timeout=5)
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "image/png"
    assert got.content == PNG
    # The library's own download path (via the REST redirect) returns the same bytes.
    files = client.download_attachments_from_page(pid, to_memory=True)
    assert files["burndown.png"].getvalue() == PNG


def test_attachments_are_listed_with_filename_filter(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Parent")
    assert upload(sb, pid, "a.png", PNG).status_code == 200
    assert upload(sb, pid, "b.png", PNG).status_code == 200
    listed = v1(sb).get_attachments_from_content(pid, filename="b.png", expand="version")
    assert [(a["title"], a["version"]["number"]) for a in listed["results"]] == [("b.png", 1)]
    assert calls(sb)[-1][3] == 1 + 1  # points: the request plus one attachment


def test_uploading_without_the_xsrf_opt_out_is_403(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Parent")
    got = upload(sb, pid, "a.png", PNG, headers={})
    assert got.status_code == 403
    assert got.json()["message"] == "XSRF check failed"
    assert sb.app.site.confluence.attachment_named(sb.app.site.confluence.get(pid), "a.png") is None


def test_minor_edit_is_a_required_form_field(sb: RunningSandbox) -> None:
    got = upload(sb, page_id(sb, "DOC", "Parent"), "a.png", PNG, form={})
    assert got.status_code == 400
    assert "minorEdit" in got.json()["message"]


def test_post_of_an_existing_filename_is_400(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Parent")
    assert upload(sb, pid, "chart.png", PNG).status_code == 200
    again = upload(sb, pid, "chart.png", CHART_V2)
    assert again.status_code == 400
    assert "same file name" in again.json()["message"]


def test_put_creates_or_adds_a_version(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Parent")
    first = upload(sb, pid, "chart.png", PNG, method="PUT")
    second = upload(sb, pid, "chart.png", CHART_V2, method="PUT")
    assert (first.status_code, second.status_code) == (200, 200)
    [a1], [a2] = first.json()["results"], second.json()["results"]
    assert a1["id"] == a2["id"]
    assert (a1["version"]["number"], a2["version"]["number"]) == (1, 2)
    latest = requests.get(sb.wiki_url + a2["_links"]["download"], auth=(ADA, TOKEN), timeout=5)
    old = requests.get(sb.wiki_url + a1["_links"]["download"], auth=(ADA, TOKEN), timeout=5)
    assert (latest.content, old.content) == (CHART_V2, PNG)


def test_post_data_adds_a_version_to_a_known_attachment(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Parent")
    [att] = upload(sb, pid, "chart.png", PNG).json()["results"]
    got = requests.post(
        f"{sb.wiki_url}/rest/api/content/{pid}/child/attachment/{att['id']}/data",
        auth=(ADA, TOKEN),
        headers={"X-Atlassian-Token": "no-check"},
        files={"file": ("chart.png", CHART_V2, "image/png")},
        data={"minorEdit": "false", "comment": "redrawn"},
        timeout=5,
    )
    assert got.status_code == 200
    assert (got.json()["id"], got.json()["version"]["number"]) == (att["id"], 2)
    assert got.json()["metadata"]["comment"] == "redrawn"
    stored = sb.app.site.confluence.contents[att["id"]]
    assert [v.data for v in stored.versions] == [PNG, CHART_V2]


def test_the_librarys_attach_content_cannot_replace_an_existing_attachment(
    sb: RunningSandbox,
) -> None:
    """atlassian-python-api 5.0.5 re-uploads an existing name as a multipart PUT on
    ``/content/{attachmentId}``, which takes JSON only (Jersey answers 415; the library's issue
    #1677 reports the same on Server). Replace attachments with PUT .../child/attachment."""
    pid = page_id(sb, "DOC", "Parent")
    client = v1(sb)
    client.attach_content(PNG, "chart.png", "image/png", page_id=pid)
    with pytest.raises(HTTPError) as exc:
        client.attach_content(CHART_V2, "chart.png", "image/png", page_id=pid)
    assert exc.value.response.status_code == 415
    method, path, _, _ = calls(sb)[-1]
    assert (method, path.rsplit("/", 1)[0]) == ("PUT", "/wiki/rest/api/content")
    assert path.rsplit("/", 1)[1].startswith("att")
    stored = sb.app.site.confluence.attachment_named(sb.app.site.confluence.get(pid), "chart.png")
    assert stored is not None and [v.data for v in stored.versions] == [PNG]


def test_download_of_a_specific_version_via_the_rest_redirect(sb: RunningSandbox) -> None:
    pid = page_id(sb, "DOC", "Parent")
    [att] = upload(sb, pid, "chart.png", PNG, method="PUT").json()["results"]
    upload(sb, pid, "chart.png", CHART_V2, method="PUT")
    url = f"{sb.wiki_url}/rest/api/content/{pid}/child/attachment/{att['id']}/download"
    redirect = requests.get(
        url, params={"version": 1}, auth=(ADA, TOKEN), allow_redirects=False, timeout=5
    )
    assert redirect.status_code == 302
    assert "version=1" in redirect.headers["Location"]
    followed = requests.get(url, params={"version": 1}, auth=(ADA, TOKEN), timeout=5)
    assert followed.content == PNG
    too_new = requests.get(url, params={"version": 3}, auth=(ADA, TOKEN), timeout=5)
    assert too_new.status_code == 400


def test_attaching_to_an_unknown_page_is_404(sb: RunningSandbox) -> None:
    with pytest.raises(ApiError):
        v1(sb).attach_content(PNG, "x.png", "image/png", page_id="999999")
    assert upload(sb, "999999", "x.png", PNG).status_code == 404
