"""The pure parts of sync.py: JQL dates in the searcher's zone, scopes, label provenance."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bridgeplugin.model import ChangeItem, ChangelogEntry, User
from bridgeplugin.sync import build_jql, jql_time, last_added_by, scope_jql

LABEL = "marketing-tech-request"


def test_jql_dates_are_written_in_the_searchers_time_zone_floored_to_the_minute() -> None:
    when = datetime(2026, 11, 24, 8, 55, 42, tzinfo=UTC)
    assert jql_time(when, ZoneInfo("UTC")) == "2026-11-24 08:55"
    assert jql_time(when, ZoneInfo("Europe/Berlin")) == "2026-11-24 09:55"
    assert jql_time(when, ZoneInfo("America/Los_Angeles")) == "2026-11-24 00:55"
    assert jql_time(when, ZoneInfo("Asia/Kolkata")) == "2026-11-24 14:25"


def test_the_search_is_the_scope_updated_since_in_key_order() -> None:
    scope = scope_jql(("MKT", "IT"), None)
    assert scope == "project in (MKT, IT)"
    assert build_jql(scope, None, ZoneInfo("UTC")) == "project in (MKT, IT) ORDER BY key ASC"
    since = datetime(2026, 11, 24, 8, 55, tzinfo=UTC)
    assert build_jql(scope, since, ZoneInfo("Europe/Berlin")) == (
        'project in (MKT, IT) AND updated >= "2026-11-24 09:55" ORDER BY key ASC'
    )
    assert scope_jql(("MKT", "MKT"), " labels = x ") == "project in (MKT) AND (labels = x)"


def entry(n: int, who: str, before: str, after: str) -> ChangelogEntry:
    return ChangelogEntry(
        id=str(n),
        author=User(account_id=who),
        created=datetime(2026, 11, n, tzinfo=UTC),
        items=(ChangeItem(field="labels", field_id="labels", from_string=before, to_string=after),),
    )


def test_the_latest_addition_of_the_label_names_who_put_it_there() -> None:
    history = [
        entry(1, "bridge", "", LABEL),
        entry(2, "priya", LABEL, ""),
        entry(3, "priya", "", f"seo {LABEL}"),
        entry(4, "bridge", f"seo {LABEL}", f"seo {LABEL} more"),  # not an addition of LABEL
    ]
    assert last_added_by(history, LABEL) == "priya"
    assert last_added_by(history[:1], LABEL) == "bridge"
    assert last_added_by([], LABEL) is None  # set when the issue was created
