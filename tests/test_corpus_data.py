"""Data integrity of the tagging corpus and the vendor catalog.

- ``tests/data/tagging_corpus.yaml``: schema, ids, the split (every item ``tune`` since session 2:
  the old N % 3 holdout was used for tuning, and the fresh set is the held-out measure now),
  category null iff not tech, every category well represented. Label definitions:
  ``tests/data/README.md``.
- ``tests/data/tagging_corpus_fresh.yaml``: the fresh held-out set written without seeing the
  rules: the same schema, ids ``f001``... in file order, every item ``split: fresh``, every
  category represented, the same loose mix; and across both files no shared id, summary or
  description.
- ``tests/data/tagging_corpus_fresh2.yaml``: the second fresh held-out set (another company,
  written the same way): the same checks with ids ``g001``... and split ``fresh2``, at least 200
  items; and across all three files no shared id, summary or description.
- ``tests/data/tagging_corpus_fresh3.yaml``: the third fresh held-out set (a fourth company,
  written the same way): the same checks with ids ``h001``... and split ``fresh3``, at least 200
  items; and across all four files no shared id, summary or description.
- ``rules/vendors.yaml``: schema, at least 150 vendors, unique names and aliases (case-insensitive,
  and after the matcher's tokenisation), categories and segments valid and consistent, the
  vendors the issue names present, common-word names marked ambiguous.

Each check is a function from the loaded data to a list of problems. The tests run them on the
shipped files (expecting none) and on deliberately broken copies (expecting the right one), so
a check that silently stopped checking would fail here too.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "tagging_corpus.yaml"
FRESH = ROOT / "tests" / "data" / "tagging_corpus_fresh.yaml"
FRESH2 = ROOT / "tests" / "data" / "tagging_corpus_fresh2.yaml"
FRESH3 = ROOT / "tests" / "data" / "tagging_corpus_fresh3.yaml"
CATALOG = ROOT / "rules" / "vendors.yaml"

CATEGORIES = frozenset(
    [
        "saas",
        "integration",
        "tracking",
        "data",
        "website",
        "mobile",
        "ai",
        "access",
        "infrastructure",
    ]
)

# -- corpus vocabulary --------------------------------------------------------------------------

MIN_ITEMS = 330
MIN_PER_CATEGORY = 12
MIN_FRESH_ITEMS = 190
MIN_PER_CATEGORY_FRESH = 8
FRESH_SPLIT = "fresh"
MIN_FRESH2_ITEMS = 200
FRESH2_SPLIT = "fresh2"
MIN_FRESH3_ITEMS = 200
FRESH3_SPLIT = "fresh3"
PROJECTS = frozenset(["MKT", "IT"])
ISSUE_TYPES = frozenset(
    ["Task", "Story", "Bug", "Epic", "Sub-task", "Service Request", "Incident", "Change"]
)
REQUEST_TYPES = frozenset(
    [
        "New software",
        "Access request",
        "Website change",
        "DNS change",
        "Hardware",
        "Integration request",
        "Data request",
        "Get IT help",
        "Other",
    ]
)
MARKETING_GROUPS = frozenset(
    [
        "marketing",
        "marketing-ops",
        "brand",
        "creative",
        "content-marketing",
        "social-media",
        "digital-marketing",
        "growth",
        "demand-gen",
        "product-marketing",
        "field-marketing",
        "events",
        "comms",
        "agency-partners",
    ]
)
OTHER_GROUPS = frozenset(
    [
        "it-servicedesk",
        "it-architecture",
        "it-ops",
        "security-reviewers",
        "engineering",
        "data-platform",
        "product",
        "sales",
        "sales-ops",
        "customer-success",
        "support",
        "finance",
        "procurement",
        "hr",
        "legal",
        "facilities",
    ]
)
GENERIC_GROUPS = frozenset(["jira-users", "confluence-users", "all-staff", "contractors"])
GROUPS = MARKETING_GROUPS | OTHER_GROUPS | GENERIC_GROUPS

REQUIRED_KEYS = frozenset(
    [
        "id",
        "split",
        "project",
        "issue_type",
        "reporter_groups",
        "summary",
        "description",
        "marketing_originated",
        "tech_request",
        "category",
    ]
)
OPTIONAL_KEYS = frozenset(["requested_by_groups", "request_type", "labels", "components", "note"])
ID_RE = re.compile(r"^c(\d{3,})$")
FRESH_ID_RE = re.compile(r"^f(\d{3,})$")
FRESH2_ID_RE = re.compile(r"^g(\d{3,})$")
FRESH3_ID_RE = re.compile(r"^h(\d{3,})$")


def expected_split(number: int) -> str:
    """Every item is ``tune``: the old N % 3 holdout was tuned on in session 2 (data README)."""
    return "tune"


def fresh_split(number: int) -> str:
    """The fresh set is held out as a whole, under its own split name."""
    return FRESH_SPLIT


def fresh2_split(number: int) -> str:
    """The second fresh set is held out as a whole, under its own split name."""
    return FRESH2_SPLIT


def fresh3_split(number: int) -> str:
    """The third fresh set is held out as a whole, under its own split name."""
    return FRESH3_SPLIT


def _str_list(value: Any, *, allow_empty: bool) -> bool:
    return (
        isinstance(value, list)
        and (allow_empty or bool(value))
        and all(isinstance(v, str) and v.strip() == v and v for v in value)
    )


def item_problems(
    position: int,
    item: Any,
    *,
    id_re: re.Pattern[str] = ID_RE,
    split_of: Callable[[int], str] = expected_split,
) -> list[str]:
    """Schema problems of one corpus item at 1-based ``position`` in the file.

    ``id_re`` and ``split_of`` say which file it is: ``c001`` and the N % 3 rule for the main
    corpus, ``f001`` and ``fresh`` for the fresh set.
    """
    where = f"item #{position}"
    if not isinstance(item, dict):
        return [f"{where}: not a mapping"]
    where = f"item #{position} ({item.get('id')!r})"
    problems = []
    keys = set(item)
    if missing := REQUIRED_KEYS - keys:
        problems.append(f"{where}: missing keys {sorted(missing)}")
    if unknown := keys - REQUIRED_KEYS - OPTIONAL_KEYS:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")

    match = id_re.match(str(item.get("id", "")))
    prefix = id_re.pattern[1]
    if match is None:
        problems.append(f"{where}: id must look like {prefix}001")
    elif int(match.group(1)) != position:
        problems.append(f"{where}: id number must equal the position in the file ({position})")
    if item.get("split") != split_of(position):
        rule = "(all tuned on since session 2)" if split_of is expected_split else "in this file"
        problems.append(f"{where}: split must be {split_of(position)!r} {rule}")

    if item.get("project") not in PROJECTS:
        problems.append(f"{where}: project must be one of {sorted(PROJECTS)}")
    if item.get("issue_type") not in ISSUE_TYPES:
        problems.append(f"{where}: unknown issue_type {item.get('issue_type')!r}")
    for key, allow_empty in (("reporter_groups", True), ("requested_by_groups", False)):
        if key not in item:
            continue
        groups = item[key]
        if not _str_list(groups, allow_empty=allow_empty):
            problems.append(f"{where}: {key} must be a list of group names")
        elif unknown_groups := set(groups) - GROUPS:
            problems.append(f"{where}: unknown groups in {key}: {sorted(unknown_groups)}")
    if "request_type" in item and item["request_type"] not in REQUEST_TYPES:
        problems.append(f"{where}: unknown request_type {item['request_type']!r}")
    for key in ("labels", "components"):
        if key in item and not _str_list(item[key], allow_empty=False):
            problems.append(f"{where}: {key} must be a non-empty list of strings")

    summary, description = item.get("summary"), item.get("description")
    if not (isinstance(summary, str) and summary.strip() == summary and 0 < len(summary) <= 120):
        problems.append(f"{where}: summary must be a trimmed string of 1-120 characters")
    if not (isinstance(description, str) and 10 <= len(description) <= 600):
        problems.append(f"{where}: description must be a string of 10-600 characters")
    if "note" in item and not (isinstance(item["note"], str) and item["note"].strip()):
        problems.append(f"{where}: note must be a non-empty string")

    for key in ("marketing_originated", "tech_request"):
        if type(item.get(key)) is not bool:
            problems.append(f"{where}: {key} must be true or false")
    category = item.get("category")
    if item.get("tech_request") is True and category not in CATEGORIES:
        problems.append(f"{where}: a tech request needs a category from {sorted(CATEGORIES)}")
    if item.get("tech_request") is False and category is not None:
        problems.append(f"{where}: category must be null when tech_request is false")
    return problems


def corpus_problems(items: Any) -> list[str]:
    """Everything wrong with a loaded corpus; empty when it is sound."""
    if not isinstance(items, list):
        return ["the corpus must be a list of items"]
    problems = [p for n, item in enumerate(items, start=1) for p in item_problems(n, item)]
    if problems:
        return problems

    total = len(items)
    if total < MIN_ITEMS:
        problems.append(f"only {total} items, need at least {MIN_ITEMS}")

    problems += duplicate_problems(items)

    overall = Counter(i["category"] for i in items if i["category"])
    for category in sorted(CATEGORIES):
        if overall[category] < MIN_PER_CATEGORY:
            problems.append(
                f"category {category}: {overall[category]} items, need {MIN_PER_CATEGORY}"
            )

    problems += mix_problems(items)
    return problems


def duplicate_problems(items: list[dict[str, Any]]) -> list[str]:
    """Ids, summaries and descriptions repeated (case-insensitively) within ``items``."""
    problems = []
    for key in ("id", "summary", "description"):
        seen = Counter(str(i[key]).strip().lower() for i in items)
        if dupes := sorted(k for k, n in seen.items() if n > 1):
            problems.append(f"duplicate {key} values: {dupes[:5]}")
    return problems


def _combo(i: dict[str, Any]) -> tuple[bool, bool]:
    return (i["marketing_originated"], i["tech_request"])


def mix_problems(items: list[dict[str, Any]]) -> list[str]:
    """The mix the issue asks for, loosely: mostly marketing, both tech and not, some of others'."""
    problems = []
    total = len(items)
    everything = Counter(map(_combo, items))
    shares = {key: count / total for key, count in everything.items()}
    for key, floor, what in (
        ((True, True), 0.40, "marketing technology requests"),
        ((True, False), 0.25, "marketing requests that are not technology"),
        ((False, True), 0.12, "technology requests from other departments"),
    ):
        if shares.get(key, 0.0) < floor:
            problems.append(
                f"{what} are {shares.get(key, 0.0):.0%} of the corpus, want {floor:.0%}"
            )
    noted = sum(1 for i in items if "note" in i)
    if noted < total * 0.10:
        problems.append(f"only {noted} items explain a tricky label with a note, want 10%")
    return problems


def fresh_corpus_problems(
    items: Any,
    *,
    id_re: re.Pattern[str] = FRESH_ID_RE,
    split_of: Callable[[int], str] = fresh_split,
    min_items: int = MIN_FRESH_ITEMS,
) -> list[str]:
    """Everything wrong with a loaded fresh held-out set; empty when it is sound.

    The defaults describe ``tagging_corpus_fresh.yaml``; ``fresh2_corpus_problems`` passes the
    ids, split and size of ``tagging_corpus_fresh2.yaml``.
    """
    if not isinstance(items, list):
        return ["the fresh corpus must be a list of items"]
    problems = [
        p
        for n, item in enumerate(items, start=1)
        for p in item_problems(n, item, id_re=id_re, split_of=split_of)
    ]
    if problems:
        return problems
    if len(items) < min_items:
        problems.append(f"only {len(items)} fresh items, need at least {min_items}")
    problems += duplicate_problems(items)
    overall = Counter(i["category"] for i in items if i["category"])
    for category in sorted(CATEGORIES):
        if overall[category] < MIN_PER_CATEGORY_FRESH:
            problems.append(
                f"category {category}: {overall[category]} fresh items, "
                f"need {MIN_PER_CATEGORY_FRESH}"
            )
    marketing_tech = Counter(
        i["category"] for i in items if i["tech_request"] and i["marketing_originated"]
    )
    if missing := sorted(CATEGORIES - set(marketing_tech)):
        problems.append(f"no marketing technology request in categories {missing}")
    problems += mix_problems(items)
    return problems


def fresh2_corpus_problems(items: Any) -> list[str]:
    """Everything wrong with the loaded second fresh set (``g001``..., ``fresh2``, 200 items)."""
    return fresh_corpus_problems(
        items, id_re=FRESH2_ID_RE, split_of=fresh2_split, min_items=MIN_FRESH2_ITEMS
    )


def fresh3_corpus_problems(items: Any) -> list[str]:
    """Everything wrong with the loaded third fresh set (``h001``..., ``fresh3``, 200 items)."""
    return fresh_corpus_problems(
        items, id_re=FRESH3_ID_RE, split_of=fresh3_split, min_items=MIN_FRESH3_ITEMS
    )


def cross_corpus_problems(*corpora: list[dict[str, Any]]) -> list[str]:
    """Ids, summaries and descriptions shared between corpus files (each checked on its own)."""
    problems = []
    for key in ("id", "summary", "description"):
        files_with = Counter(
            value for items in corpora for value in {str(i[key]).strip().lower() for i in items}
        )
        if shared := sorted(k for k, n in files_with.items() if n > 1):
            problems.append(f"{key} values in more than one corpus file: {shared[:5]}")
    return problems


# -- catalog vocabulary -------------------------------------------------------------------------

MIN_VENDORS = 150

# Segment -> category: the mapping documented at the top of rules/vendors.yaml.
SEGMENT_CATEGORY = {
    **dict.fromkeys(
        [
            "social listening",
            "social media management",
            "marketing automation",
            "e-mail",
            "CRM",
            "ads",
            "SEO",
            "reviews",
            "PR",
            "DAM",
            "design",
            "video",
            "collaboration",
            "BI",
            "sales engagement",
            "scheduling",
            "chat",
            "customer support",
            "survey",
            "events/webinar",
            "documents",
        ],
        "saas",
    ),
    **dict.fromkeys(
        ["analytics", "tracking", "consent", "experimentation", "attribution"], "tracking"
    ),
    **dict.fromkeys(["CDP", "data enrichment", "data warehouse"], "data"),
    "integration platform": "integration",
    **dict.fromkeys(["CMS", "web builder", "domains"], "website"),
    **dict.fromkeys(["mobile attribution", "mobile engagement", "mobile platform"], "mobile"),
    **dict.fromkeys(["AI writing", "AI assistant", "AI media"], "ai"),
    "identity": "access",
    **dict.fromkeys(["cloud hosting", "CDN", "e-mail infrastructure"], "infrastructure"),
}

# Segments the issue lists: each needs real coverage.
REQUIRED_SEGMENTS = [
    "social listening",
    "marketing automation",
    "e-mail",
    "CRM",
    "CDP",
    "analytics",
    "tracking",
    "ads",
    "CMS",
    "DAM",
    "web builder",
    "chat",
    "survey",
    "events/webinar",
    "AI writing",
]
MIN_PER_REQUIRED_SEGMENT = 3

# Names the issue mentions, with the category a request naming only them should get.
MUST_KNOW = {
    "Sprout Social": "saas",
    "Hootsuite": "saas",
    "Brandwatch": "saas",
    "HubSpot": "saas",
    "Marketo": "saas",
    "Mailchimp": "saas",
    "Klaviyo": "saas",
    "Braze": "saas",
    "Salesforce": "saas",
    "SFDC": "saas",
    "Pipedrive": "saas",
    "Segment": "data",
    "mParticle": "data",
    "Google Analytics 4": "tracking",
    "GA4": "tracking",
    "Google Analytics": "tracking",
    "Hotjar": "tracking",
    "Mixpanel": "tracking",
    "Amplitude": "tracking",
    "Meta Pixel": "tracking",
    "TikTok Pixel": "tracking",
    "LinkedIn Insight Tag": "tracking",
    "Google Ads": "saas",
    "Webflow": "website",
    "WordPress": "website",
    "Contentful": "website",
    "Bynder": "saas",
    "Intercom": "saas",
    "Drift": "saas",
    "Typeform": "saas",
    "SurveyMonkey": "saas",
    "Qualtrics": "saas",
    "Hopin": "saas",
    "ON24": "saas",
    "Zoom Webinars": "saas",
    "Jasper": "ai",
    "Copy.ai": "ai",
    "ChatGPT Enterprise": "ai",
    "Writer": "ai",
    "Canva": "saas",
    "Zapier": "integration",
    "AppsFlyer": "mobile",
    "Okta": "access",
    "Cloudflare": "infrastructure",
}

# Names that are everyday words or first names: their vendor must be marked ambiguous.
MUST_BE_AMBIGUOUS = [
    "Drift",
    "Writer",
    "Segment",
    "Notion",
    "Monday",
    "Sprout",
    "Later",
    "Buffer",
    "Mention",
    "Zoom",
    "Slack",
    "Loom",
    "Gong",
    "Outreach",
    "Heap",
    "Clarity",
    "Census",
    "Adjust",
    "Branch",
    "Jasper",
    "Claude",
    "Copilot",
    "Box",
    "Delighted",
]

# Deliberately unknown: the corpus uses it to test requests for tools no list contains.
MUST_NOT_KNOW = ["Glimmerly"]

VENDOR_KEYS = frozenset(["name", "aliases", "category", "segment", "ambiguous"])
CATALOG_KEYS = frozenset(["kind", "description", "tech_words", "vendors"])


def match_key(term: str) -> tuple[str, ...]:
    """A name as the matcher sees it: lower-case runs of letters and digits."""
    return tuple(re.findall(r"[^\W_]+", term.lower()))


def vendor_terms(vendor: dict[str, Any]) -> list[str]:
    return [vendor["name"], *vendor.get("aliases", [])]


def vendor_problems(index: int, vendor: Any) -> list[str]:
    where = f"vendor #{index}"
    if not isinstance(vendor, dict):
        return [f"{where}: not a mapping"]
    where = f"vendor #{index} ({vendor.get('name')!r})"
    problems = []
    if unknown := set(vendor) - VENDOR_KEYS:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    if missing := {"name", "category", "segment"} - set(vendor):
        problems.append(f"{where}: missing keys {sorted(missing)}")
        return problems
    terms = [vendor["name"], *vendor.get("aliases", [])]
    if not isinstance(vendor.get("aliases", []), list):
        problems.append(f"{where}: aliases must be a list")
        return problems
    for term in terms:
        if not isinstance(term, str) or term.strip() != term or not match_key(term):
            problems.append(f"{where}: {term!r} is not a usable name (trimmed, with letters)")
    lowered = Counter(t.lower() for t in terms if isinstance(t, str))
    if repeated := sorted(t for t, n in lowered.items() if n > 1):
        problems.append(f"{where}: names repeated within the vendor: {repeated}")
    if "ambiguous" in vendor and type(vendor["ambiguous"]) is not bool:
        problems.append(f"{where}: ambiguous must be true or false")
    category, segment = vendor["category"], vendor["segment"]
    if category not in CATEGORIES:
        problems.append(f"{where}: category {category!r} is not one of {sorted(CATEGORIES)}")
    if segment not in SEGMENT_CATEGORY:
        problems.append(f"{where}: unknown segment {segment!r}")
    elif category != SEGMENT_CATEGORY[segment]:
        problems.append(
            f"{where}: segment {segment!r} maps to category {SEGMENT_CATEGORY[segment]!r}, "
            f"not {category!r}"
        )
    return problems


def catalog_problems(data: Any) -> list[str]:
    """Everything wrong with a loaded vendor catalog; empty when it is sound."""
    if not isinstance(data, dict) or not isinstance(data.get("vendors"), list):
        return ["the catalog must be a mapping with a vendors: list"]
    problems = []
    if unknown := set(data) - CATALOG_KEYS:
        problems.append(f"unknown top-level keys {sorted(unknown)}")
    vendors = data["vendors"]
    problems += [p for n, v in enumerate(vendors, start=1) for p in vendor_problems(n, v)]
    if problems:
        return problems

    if len(vendors) < MIN_VENDORS:
        problems.append(f"only {len(vendors)} vendors, need at least {MIN_VENDORS}")

    # No two vendors share a spelling, compared case-insensitively and as the matcher sees it.
    owners: dict[object, str] = {}
    for vendor in vendors:
        name = vendor["name"]
        for term in vendor_terms(vendor):
            clashes = {owners.setdefault(key, name) for key in (term.lower(), match_key(term))}
            for other in sorted(clashes - {name}):
                problems.append(f"{term!r} of {name!r} also names {other!r}")

    by_term = {term.lower(): v for v in vendors for term in vendor_terms(v)}
    for term, category in MUST_KNOW.items():
        vendor = by_term.get(term.lower())
        if vendor is None:
            problems.append(f"{term!r} is not in the catalog")
        elif vendor["category"] != category:
            problems.append(f"{term!r} is {vendor['category']!r}, expected {category!r}")
    for term in MUST_BE_AMBIGUOUS:
        vendor = by_term.get(term.lower())
        if vendor is None:
            problems.append(f"common word {term!r} should be listed (and marked ambiguous)")
        elif not vendor.get("ambiguous"):
            problems.append(f"{term!r} is an everyday word: mark {vendor['name']!r} ambiguous")
    for term in MUST_NOT_KNOW:
        if term.lower() in by_term:
            problems.append(f"{term!r} must stay out of the catalog (the corpus relies on it)")

    segments = Counter(v["segment"] for v in vendors)
    for segment in REQUIRED_SEGMENTS:
        if segments[segment] < MIN_PER_REQUIRED_SEGMENT:
            problems.append(f"segment {segment!r} has {segments[segment]} vendors")
    return problems


# -- fixtures -----------------------------------------------------------------------------------


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return _load(CORPUS)


@pytest.fixture(scope="module")
def fresh() -> list[dict[str, Any]]:
    return _load(FRESH)


@pytest.fixture(scope="module")
def fresh2() -> list[dict[str, Any]]:
    return _load(FRESH2)


@pytest.fixture(scope="module")
def fresh3() -> list[dict[str, Any]]:
    return _load(FRESH3)


@pytest.fixture(scope="module")
def catalog() -> dict[str, Any]:
    return _load(CATALOG)


# -- the shipped files --------------------------------------------------------------------------


def test_the_corpus_is_sound(corpus: list[dict[str, Any]]) -> None:
    assert corpus_problems(corpus) == []


def test_every_corpus_item_is_tune_since_the_old_holdout_was_tuned_on(
    corpus: list[dict[str, Any]],
) -> None:
    assert {i["split"] for i in corpus} == {"tune"}


def test_the_corpus_header_documents_the_split() -> None:
    header = CORPUS.read_text(encoding="utf-8").split("\n- id:", 1)[0]
    assert "every item is `split: tune`" in header


def test_the_fresh_corpus_is_sound(fresh: list[dict[str, Any]]) -> None:
    assert fresh_corpus_problems(fresh) == []


def test_the_fresh_corpus_is_held_out_as_a_whole(fresh: list[dict[str, Any]]) -> None:
    assert [i["id"] for i in fresh] == [f"f{n:03d}" for n in range(1, len(fresh) + 1)]
    assert {i["split"] for i in fresh} == {FRESH_SPLIT}


def test_the_fresh2_corpus_is_sound(fresh2: list[dict[str, Any]]) -> None:
    assert fresh2_corpus_problems(fresh2) == []


def test_the_fresh2_corpus_is_held_out_as_a_whole(fresh2: list[dict[str, Any]]) -> None:
    assert len(fresh2) >= MIN_FRESH2_ITEMS
    assert [i["id"] for i in fresh2] == [f"g{n:03d}" for n in range(1, len(fresh2) + 1)]
    assert {i["split"] for i in fresh2} == {FRESH2_SPLIT}


def test_the_fresh3_corpus_is_sound(fresh3: list[dict[str, Any]]) -> None:
    assert fresh3_corpus_problems(fresh3) == []


def test_the_fresh3_corpus_is_held_out_as_a_whole(fresh3: list[dict[str, Any]]) -> None:
    assert len(fresh3) >= MIN_FRESH3_ITEMS
    assert [i["id"] for i in fresh3] == [f"h{n:03d}" for n in range(1, len(fresh3) + 1)]
    assert {i["split"] for i in fresh3} == {FRESH3_SPLIT}


def test_the_corpus_files_share_no_id_summary_or_description(
    corpus: list[dict[str, Any]],
    fresh: list[dict[str, Any]],
    fresh2: list[dict[str, Any]],
    fresh3: list[dict[str, Any]],
) -> None:
    assert cross_corpus_problems(corpus, fresh, fresh2, fresh3) == []


def test_the_fresh_header_says_how_it_was_written() -> None:
    header = FRESH.read_text(encoding="utf-8").split("\n- id:", 1)[0]
    assert "had NOT seen the classifier rules" in header
    assert "split: fresh" in header


def test_the_fresh2_header_says_how_it_was_written() -> None:
    header = FRESH2.read_text(encoding="utf-8").split("\n- id:", 1)[0]
    assert "had NOT seen the classifier rules" in header
    assert "split: fresh2" in header


def test_the_fresh3_header_says_how_it_was_written() -> None:
    header = FRESH3.read_text(encoding="utf-8").split("\n- id:", 1)[0]
    assert "had NOT seen the classifier rules" in header
    assert "split: fresh3" in header


def test_the_catalog_is_sound(catalog: dict[str, Any]) -> None:
    assert catalog_problems(catalog) == []


def test_the_catalog_loads_with_the_rules_loader(catalog: dict[str, Any]) -> None:
    from bridgeplugin.rules import load_vendors

    loaded = load_vendors(CATALOG)
    assert len(loaded) == len(catalog["vendors"])
    assert loaded.categories <= CATEGORIES


def test_a_request_naming_only_a_vendor_is_recognised() -> None:
    from bridgeplugin.rules import load_vendors

    loaded = load_vendors(CATALOG)
    found = [m.vendor for m in loaded.find_text("Trial of Sprout Social for the social team")]
    assert found == ["Sprout Social"]


# -- the checks can fail ------------------------------------------------------------------------

CorpusBreak = Callable[[list[dict[str, Any]]], None]


def _set(index: int, **values: Any) -> CorpusBreak:
    def apply(items: list[dict[str, Any]]) -> None:
        items[index].update(values)

    return apply


def _duplicate_first_summary(items: list[dict[str, Any]]) -> None:
    items[1]["summary"] = items[0]["summary"].upper()


def _starve_mobile(items: list[dict[str, Any]]) -> None:
    for item in items:
        if item["category"] == "mobile":
            item["category"] = "saas"


CORPUS_BREAKS: list[tuple[CorpusBreak, str]] = [
    (_set(2, split="holdout"), "split must be 'tune'"),
    (_set(4, id="c004"), "id number must equal the position"),
    (_set(4, id="C5"), "id must look like c001"),
    (_set(0, tech_request=False), "category must be null"),
    (_set(0, category=None), "needs a category"),
    (_set(0, category="social"), "needs a category"),
    (_set(0, marketing_originated="true"), "marketing_originated must be true or false"),
    (_set(0, reporter_groups=["marketting"]), "unknown groups"),
    (_set(0, requested_by_groups=[]), "requested_by_groups must be a list"),
    (_set(0, project="MARKETING"), "project must be one of"),
    (_set(0, request_type="Buy stuff"), "unknown request_type"),
    (_set(0, priority="High"), "unknown keys ['priority']"),
    (_set(0, summary=""), "summary must be"),
    (_duplicate_first_summary, "duplicate summary values"),
    (_starve_mobile, "category mobile"),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [pytest.param(*case, id=case[1]) for case in CORPUS_BREAKS]
)
def test_a_broken_corpus_is_reported(
    corpus: list[dict[str, Any]], breakage: CorpusBreak, expected: str
) -> None:
    broken = copy.deepcopy(corpus)
    breakage(broken)
    problems = corpus_problems(broken)
    assert any(expected in p for p in problems), problems


def _starve_fresh_access(items: list[dict[str, Any]]) -> None:
    for item in items:
        if item["category"] == "access":
            item["category"] = "saas"


def _keep_first_fresh(items: list[dict[str, Any]]) -> None:
    del items[150:]


FRESH_BREAKS: list[tuple[CorpusBreak, str]] = [
    (_set(0, split="holdout"), "split must be 'fresh' in this file"),
    (_set(0, id="c001"), "id must look like f001"),
    (_set(4, id="f004"), "id number must equal the position"),
    (_set(0, category=None), "needs a category"),
    (_set(0, reporter_groups=["markting"]), "unknown groups"),
    (_duplicate_first_summary, "duplicate summary values"),
    (_starve_fresh_access, "category access: 0 fresh items"),
    (_keep_first_fresh, "only 150 fresh items"),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [pytest.param(*case, id=case[1]) for case in FRESH_BREAKS]
)
def test_a_broken_fresh_corpus_is_reported(
    fresh: list[dict[str, Any]], breakage: CorpusBreak, expected: str
) -> None:
    broken = copy.deepcopy(fresh)
    breakage(broken)
    problems = fresh_corpus_problems(broken)
    assert any(expected in p for p in problems), problems


def _keep_first_fresh2(items: list[dict[str, Any]]) -> None:
    del items[199:]


def _starve_fresh2_mobile(items: list[dict[str, Any]]) -> None:
    for item in items:
        if item["category"] == "mobile":
            item["category"] = "saas"


FRESH2_BREAKS: list[tuple[CorpusBreak, str]] = [
    (_set(0, split="fresh"), "split must be 'fresh2' in this file"),
    (_set(0, id="f001"), "id must look like g001"),
    (_set(4, id="g004"), "id number must equal the position"),
    (_set(0, tech_request=False), "category must be null"),
    (_set(0, requested_by_groups=["sales-team"]), "unknown groups"),
    (_duplicate_first_summary, "duplicate summary values"),
    (_starve_fresh2_mobile, "category mobile: 0 fresh items"),
    (_keep_first_fresh2, "only 199 fresh items, need at least 200"),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [pytest.param(*case, id=case[1]) for case in FRESH2_BREAKS]
)
def test_a_broken_fresh2_corpus_is_reported(
    fresh2: list[dict[str, Any]], breakage: CorpusBreak, expected: str
) -> None:
    broken = copy.deepcopy(fresh2)
    breakage(broken)
    problems = fresh2_corpus_problems(broken)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("key", ["id", "summary", "description"])
def test_a_value_shared_with_fresh2_is_reported(
    corpus: list[dict[str, Any]],
    fresh: list[dict[str, Any]],
    fresh2: list[dict[str, Any]],
    key: str,
) -> None:
    for other in (corpus, fresh):
        broken = copy.deepcopy(fresh2)
        broken[9][key] = other[30][key].lower()
        problems = cross_corpus_problems(corpus, fresh, broken)
        assert any(p.startswith(f"{key} values in more than one corpus file") for p in problems)


def _keep_first_fresh3(items: list[dict[str, Any]]) -> None:
    del items[199:]


def _starve_fresh3_ai(items: list[dict[str, Any]]) -> None:
    for item in items:
        if item["category"] == "ai":
            item["category"] = "data"


FRESH3_BREAKS: list[tuple[CorpusBreak, str]] = [
    (_set(0, split="fresh2"), "split must be 'fresh3' in this file"),
    (_set(0, id="g001"), "id must look like h001"),
    (_set(4, id="h004"), "id number must equal the position"),
    (_set(0, project="SALES"), "project must be one of"),
    (_set(0, reporter_groups=["marketting"]), "unknown groups"),
    (_duplicate_first_summary, "duplicate summary values"),
    (_starve_fresh3_ai, "category ai: 0 fresh items"),
    (_keep_first_fresh3, "only 199 fresh items, need at least 200"),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [pytest.param(*case, id=case[1]) for case in FRESH3_BREAKS]
)
def test_a_broken_fresh3_corpus_is_reported(
    fresh3: list[dict[str, Any]], breakage: CorpusBreak, expected: str
) -> None:
    broken = copy.deepcopy(fresh3)
    breakage(broken)
    problems = fresh3_corpus_problems(broken)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("key", ["id", "summary", "description"])
def test_a_value_shared_with_fresh3_is_reported(
    corpus: list[dict[str, Any]],
    fresh: list[dict[str, Any]],
    fresh2: list[dict[str, Any]],
    fresh3: list[dict[str, Any]],
    key: str,
) -> None:
    for other in (corpus, fresh, fresh2):
        broken = copy.deepcopy(fresh3)
        broken[11][key] = other[40][key].upper()
        problems = cross_corpus_problems(corpus, fresh, fresh2, broken)
        assert any(p.startswith(f"{key} values in more than one corpus file") for p in problems)


@pytest.mark.parametrize("key", ["id", "summary", "description"])
def test_a_value_shared_across_corpus_files_is_reported(
    corpus: list[dict[str, Any]], fresh: list[dict[str, Any]], key: str
) -> None:
    broken = copy.deepcopy(fresh)
    broken[7][key] = corpus[20][key].upper()
    problems = cross_corpus_problems(corpus, broken)
    assert any(p.startswith(f"{key} values in more than one corpus file") for p in problems)


CatalogBreak = Callable[[list[dict[str, Any]]], None]


def _vendor(vendors: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(v for v in vendors if v["name"] == name)


def _alias(name: str, alias: str) -> CatalogBreak:
    def apply(vendors: list[dict[str, Any]]) -> None:
        _vendor(vendors, name).setdefault("aliases", []).append(alias)

    return apply


def _change(vendor_name: str, /, **values: Any) -> CatalogBreak:
    def apply(vendors: list[dict[str, Any]]) -> None:
        _vendor(vendors, vendor_name).update(values)

    return apply


def _remove(name: str) -> CatalogBreak:
    def apply(vendors: list[dict[str, Any]]) -> None:
        vendors.remove(_vendor(vendors, name))

    return apply


def _keep_first(count: int) -> CatalogBreak:
    def apply(vendors: list[dict[str, Any]]) -> None:
        del vendors[count:]

    return apply


def _unmark(name: str) -> CatalogBreak:
    def apply(vendors: list[dict[str, Any]]) -> None:
        _vendor(vendors, name).pop("ambiguous", None)

    return apply


CATALOG_BREAKS: list[tuple[CatalogBreak, str]] = [
    (_alias("Mixpanel", "GA4"), "'GA4' of 'Mixpanel' also names 'Google Analytics 4'"),
    (_alias("Mixpanel", "ga4"), "also names 'Google Analytics 4'"),
    (_alias("Mixpanel", "Google-Analytics"), "also names 'Google Analytics 4'"),
    (_alias("Hotjar", "hotjar"), "names repeated within the vendor"),
    (_alias("Hotjar", " Hotjar Pro"), "not a usable name"),
    (_change("Hotjar", category="saas"), "maps to category 'tracking'"),
    (_change("Hotjar", category="analytics"), "is not one of"),
    (_change("Hotjar", segment="heatmaps"), "unknown segment"),
    (_change("Hotjar", owner="growth"), "unknown keys ['owner']"),
    (_change("Hotjar", ambiguous="yes"), "ambiguous must be true or false"),
    (_change("Canva", name="Glimmerly"), "'Glimmerly' must stay out"),
    (_unmark("Drift"), "mark 'Drift' ambiguous"),
    (_remove("Sprout Social"), "'Sprout Social' is not in the catalog"),
    (_keep_first(100), "only 100 vendors"),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), [pytest.param(*case, id=case[1]) for case in CATALOG_BREAKS]
)
def test_a_broken_catalog_is_reported(
    catalog: dict[str, Any], breakage: CatalogBreak, expected: str
) -> None:
    broken = copy.deepcopy(catalog)
    breakage(broken["vendors"])
    problems = catalog_problems(broken)
    assert any(expected in p for p in problems), problems
