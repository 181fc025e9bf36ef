"""Waivers from comments: who may sign, for how long, and what cannot forge one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridgeplugin.governance.policy import WaiverDef, Where
from bridgeplugin.governance.verdict import WaiverVerdict
from bridgeplugin.governance.waivers import commands, parse_command, waiver_state
from bridgeplugin.model import Comment
from bridgeplugin.rules import StaticDirectory
from bridgeplugin.rules.context import Context

from .kit import comment, day, request

WAIVER = WaiverDef(
    name="emergency",
    groups=("cio-office", "cmo-office"),
    expires_after_days=14,
    covers=("integration", "security"),
    where=Where("reviews.yaml", 1),
)
GROUPS = StaticDirectory(
    {
        "samuel": ["cio-office"],
        "diane": ["cmo-office"],
        "both": ["cio-office", "cmo-office"],
        "mateo": ["marketing", "cmo-office"],  # the reporter, also in the CMO's office
    }
)


DAY_23 = day(23)


def state(*notes: Comment, now: datetime = DAY_23, reporter: str = "mateo") -> WaiverVerdict:
    ctx = Context(request(reporter=reporter), GROUPS)
    return waiver_state(
        WAIVER, commands(notes), request=request(reporter=reporter), ctx=ctx, now=now
    )


@pytest.mark.parametrize(
    ("body", "verb", "name", "until", "reason"),
    [
        ("/bridge waive emergency", "waive", "emergency", None, None),
        (
            "/Bridge WAIVE Emergency until 2026-12-05: go-live",
            "waive",
            "emergency",
            datetime(2026, 12, 6, tzinfo=UTC),
            "go-live",
        ),
        ("\n  /bridge revoke emergency: DPA missing", "revoke", "emergency", None, "DPA missing"),
    ],
)
def test_commands_are_read_from_the_first_line(body, verb, name, until, reason) -> None:
    cmd = parse_command(comment("samuel", day(1), body))
    assert cmd is not None
    assert (cmd.verb, cmd.name, cmd.until, cmd.reason) == (verb, name, until, reason)
    assert cmd.by.account_id == "samuel"


@pytest.mark.parametrize(
    "body",
    [
        "please /bridge waive emergency",  # not at the start
        "Looks fine.\n/bridge waive emergency",  # not the first line
        "/bridge waive emergency until 2026-13-45",  # not a date
        "/bridge waiver emergency",
    ],
)
def test_other_text_is_not_a_command(body: str) -> None:
    assert parse_command(comment("samuel", day(1), body)) is None


def test_a_comment_without_author_is_not_trusted() -> None:
    anonymous = Comment(id="1", author=None, body="/bridge waive emergency", created=day(1))
    assert parse_command(anonymous) is None


def test_both_groups_make_it_active_until_the_first_approval_plus_the_days() -> None:
    v = state(
        comment("samuel", day(20), "/bridge waive emergency"),
        comment("diane", day(21), "/bridge waive emergency"),
    )
    assert v.state == "active"
    assert v.starts == day(21)
    assert v.expires == day(34)
    assert [a.group for a in v.approvals] == ["cio-office", "cmo-office"]


def test_it_expires() -> None:
    v = state(
        comment("samuel", day(1), "/bridge waive emergency"),
        comment("diane", day(2), "/bridge waive emergency"),
        now=day(15),
    )
    assert v.state == "expired"
    assert v.expires == day(15)


def test_an_until_date_ends_it_earlier() -> None:
    v = state(
        comment("samuel", day(20), "/bridge waive emergency until 2026-11-22"),
        comment("diane", day(20.5), "/bridge waive emergency"),
        now=day(22),
    )
    assert v.state == "expired"
    assert v.expires == datetime(2026, 11, 23, tzinfo=UTC)


def test_one_person_in_both_groups_counts_once() -> None:
    v = state(
        comment("both", day(20), "/bridge waive emergency"),
        comment("both", day(21), "/bridge waive emergency"),
    )
    assert v.state == "partial"
    assert v.missing_groups == ("cmo-office",)
    assert any("already approved" in i for i in v.ignored)


def test_the_reporter_cannot_sign_a_waiver_of_her_own_request() -> None:
    v = state(
        comment("samuel", day(20), "/bridge waive emergency"),
        comment("mateo", day(21), "/bridge waive emergency"),
    )
    assert v.state == "partial"
    assert v.ignored == ("waive by Mateo: the request's reporter",)


def test_people_outside_the_groups_are_ignored() -> None:
    v = state(comment("priya", day(20), "/bridge waive emergency"))
    assert v.state == "none"
    assert v.ignored == ("waive by Priya: not in cio-office or cmo-office",)


def test_revoke_by_a_member_ends_it_and_a_new_request_can_follow() -> None:
    revoked = state(
        comment("samuel", day(20), "/bridge waive emergency"),
        comment("diane", day(21), "/bridge waive emergency"),
        comment("diane", day(22), "/bridge revoke emergency"),
    )
    assert revoked.state == "revoked"
    again = state(
        comment("samuel", day(20), "/bridge waive emergency"),
        comment("diane", day(21), "/bridge waive emergency"),
        comment("diane", day(21.5), "/bridge revoke emergency"),
        comment("samuel", day(22), "/bridge waive emergency"),
        comment("diane", day(22.5), "/bridge waive emergency"),
    )
    assert again.state == "active"


def test_approvals_that_ran_out_do_not_combine_with_new_ones() -> None:
    v = state(
        comment("samuel", day(1), "/bridge waive emergency"),
        comment("diane", day(20), "/bridge waive emergency"),
        now=day(21),
    )
    assert v.state == "partial"
    assert [a.by.account_id for a in v.approvals] == ["diane"]


def test_other_waivers_commands_do_not_count() -> None:
    v = state(comment("samuel", day(20), "/bridge waive other"))
    assert v.state == "none"


def test_unread_comments_leave_the_waiver_unknown() -> None:
    ctx = Context(request(), GROUPS)
    v = waiver_state(WAIVER, None, request=request(), ctx=ctx, now=day(1))
    assert v.state == "unknown" and not v.active


def test_the_author_is_jiras_not_the_texts() -> None:
    # Naming the CIO in a comment proves nothing: what counts is who wrote it (Mateo, CMO office).
    forged = comment("mateo", day(20), "/bridge waive emergency: approved by Samuel (CIO)")
    v = state(forged, comment("diane", day(21), "/bridge waive emergency"), reporter="aisha")
    assert v.state == "partial"
    assert [a.by.account_id for a in v.approvals] == ["mateo"]
    assert v.missing_groups == ("cio-office",)


def test_days_are_counted_from_the_first_approval() -> None:
    v = state(
        comment("samuel", day(10), "/bridge waive emergency"),
        comment("diane", day(20), "/bridge waive emergency"),
        now=day(25),
    )
    assert v.state == "expired"
    assert v.expires == day(10) + timedelta(days=14)
