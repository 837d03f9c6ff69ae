"""Provenance of fixtures/catalogue.yaml: every recommendation is traceable to its source text.

No database and no Django: the catalogue is read as plain YAML and checked against the five seed
texts in ../shared/seeds (relative to the repository root). Where that folder is absent, the checks
that need the texts are skipped; the structural checks still run.

Quotes are compared after Unicode NFC normalisation and collapsing every run of whitespace
(non-breaking spaces included) to one space, on both sides. Paragraph numbers count the non-empty
lines of a seed file, 1-based.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_PATH = REPO_ROOT / "fixtures" / "catalogue.yaml"
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"
SEEDS_ABSENT = "../shared/seeds is absent: cannot check quotes against the source texts"

# Committed on purpose: codes are the stable identity of tracked items, so adding, dropping or
# renumbering one must be a deliberate change to this list (and to the README's catalogue section).
EXPECTED_COUNTS_PER_SOURCE = {"000": 9, "001": 7, "002": 9, "003": 7, "004": 7}
EXPECTED_CODES = [
    "FPT-01",
    "FPT-02",
    "FPT-03",
    "ICDD-01",
    "ICDD-02",
    "ICDD-03",
    "ICDD-04",
    "ICDD-05",
    "ICDD-06",
    "ICDD-07",
    "MIC-01",
    "MIC-02",
    "MIC-03",
    "MIC-04",
    "MIC-05",
    "MIC-06",
    "MIC-07",
    "NQ52-01",
    "NQ52-02",
    "NQ52-03",
    "NQ52-04",
    "NQ52-05",
    "NQ52-06",
    "NQ52-07",
    "NQ52-08",
    "NQ52-09",
    "TCCS-01",
    "TCCS-02",
    "TCCS-03",
    "TCCS-04",
    "TCCS-05",
    "TCCS-06",
    "TCCS-07",
    "TCCS-08",
    "TCCS-09",
    "VTL-01",
    "VTL-02",
    "VTL-03",
    "VTL-04",
]
# Which code prefix belongs to which source document.
PREFIX_SOURCE = {"TCCS": "000", "ICDD": "001", "NQ52": "002", "MIC": "003", "FPT": "004", "VTL": "004"}
REQUIRED_THEMES = {
    "an-ninh-mang",
    "nhan-luc",
    "ha-tang-so",
    "hop-tac-quoc-te",
    "kinh-te-so",
    "ngoai-giao-cong-chung",
}
ORGANIZATION_KINDS = {
    "party",
    "government",
    "ministry",
    "agency",
    "enterprise",
    "academic",
    "foreign_government",
    "international",
    "other",
}
RECOMMENDATION_KEYS = {
    "code",
    "source",
    "location",
    "paragraph",
    "quote",
    "title",
    "title_en",
    "proposer_person",
    "proposer_organization",
    "addressed_to",
    "owner_organization",
    "themes",
    "horizon",
    "priority",
    "related",
    "decision_note",
    "also_at",
}
CODE_PATTERN = re.compile(r"^[A-Z0-9]+-\d{2}$")
ORG_CODE_PATTERN = re.compile(r"^[A-Z0-9_]+$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def normalise(text: str) -> str:
    """NFC, then every run of whitespace (NBSP included) becomes one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    with CATALOGUE_PATH.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@pytest.fixture(scope="module")
def recommendations(catalogue: dict[str, Any]) -> list[dict[str, Any]]:
    return catalogue["recommendations"]


@pytest.fixture(scope="module")
def paragraphs_by_source(catalogue: dict[str, Any]) -> dict[str, list[str]]:
    """Source key -> its non-empty lines, normalised; index 0 is paragraph 1."""
    if not SEEDS_DIR.is_dir():
        pytest.skip(SEEDS_ABSENT)
    paragraphs = {}
    for source in catalogue["sources"]:
        text = (SEEDS_DIR / source["file"]).read_text(encoding="utf-8")
        paragraphs[source["key"]] = [normalise(line) for line in text.splitlines() if line.strip()]
    return paragraphs


def places(recommendation: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The main place of a recommendation and every also_at place, labelled for messages."""
    labelled = [(recommendation["code"], recommendation)]
    labelled += [
        (f"{recommendation['code']} also_at[{i}]", p) for i, p in enumerate(recommendation["also_at"])
    ]
    return labelled


# --- structure ---------------------------------------------------------------------------------


def test_catalogue_has_exactly_the_four_sections(catalogue):
    assert set(catalogue) == {"sources", "organizations", "themes", "recommendations"}


def test_one_source_per_seed_with_its_metadata(catalogue):
    sources = catalogue["sources"]
    assert [s["key"] for s in sources] == ["000", "001", "002", "003", "004"]
    for source in sources:
        assert set(source) == {"key", "file", "title", "authors", "outlet", "published_on", "language"}
        assert source["file"].startswith(source["key"] + "_") and source["file"].endswith(".txt")
        assert source["title"].strip() and source["outlet"].strip()
        assert isinstance(source["authors"], str)
        assert source["published_on"] is None or isinstance(source["published_on"], date)
        assert source["language"] == "vi"
    assert {s["key"]: s["published_on"] for s in sources} == {
        "000": date(2025, 7, 13),
        "001": date(2021, 11, 16),
        "002": None,
        "003": None,
        "004": date(2025, 6, 30),
    }


def test_item_counts_per_source_document(recommendations):
    assert dict(Counter(r["source"] for r in recommendations)) == EXPECTED_COUNTS_PER_SOURCE


def test_codes_are_exactly_the_committed_list_in_order(recommendations):
    assert [r["code"] for r in recommendations] == EXPECTED_CODES


def test_codes_are_unique_well_formed_and_match_their_source(recommendations):
    codes = [r["code"] for r in recommendations]
    assert len(codes) == len(set(codes))
    assert [c for c in codes if not CODE_PATTERN.match(c)] == []
    assert [r["code"] for r in recommendations if PREFIX_SOURCE[r["code"].split("-")[0]] != r["source"]] == []


def test_every_recommendation_has_the_loader_keys_and_valid_values(recommendations):
    problems = []
    for r in recommendations:
        if set(r) != RECOMMENDATION_KEYS:
            problems.append((r["code"], "keys", sorted(set(r) ^ RECOMMENDATION_KEYS)))
        if r["priority"] not in {"high", "medium", "low"}:
            problems.append((r["code"], "priority", r["priority"]))
        if r["horizon"] not in (None, 2030, 2045):
            problems.append((r["code"], "horizon", r["horizon"]))
        if not (isinstance(r["paragraph"], int) and r["paragraph"] >= 1):
            problems.append((r["code"], "paragraph", r["paragraph"]))
        if not r["addressed_to"] or not r["themes"]:
            problems.append((r["code"], "addressed_to/themes empty"))
        for key in ("location", "quote", "title", "title_en", "decision_note"):
            if not (isinstance(r[key], str) and r[key].strip()):
                problems.append((r["code"], key, "empty"))
        if len(r["title"]) > 120:
            problems.append((r["code"], "title longer than 120", len(r["title"])))
        if not isinstance(r["proposer_person"], str):
            problems.append((r["code"], "proposer_person", r["proposer_person"]))
        for place in r["also_at"]:
            if set(place) != {"location", "paragraph", "quote"} or place["paragraph"] == r["paragraph"]:
                problems.append((r["code"], "also_at", place))
    assert problems == []


def test_only_the_repeated_fpt_proposals_have_a_second_place(recommendations):
    assert {r["code"]: [p["paragraph"] for p in r["also_at"]] for r in recommendations if r["also_at"]} == {
        "FPT-01": [50],
        "FPT-02": [51],
        "FPT-03": [51],
    }


def test_organizations_are_well_formed_and_parents_exist(catalogue):
    organizations = catalogue["organizations"]
    codes = [o["code"] for o in organizations]
    assert len(codes) == len(set(codes))
    assert [c for c in codes if not ORG_CODE_PATTERN.match(c)] == []
    assert [o["code"] for o in organizations if o["kind"] not in ORGANIZATION_KINDS] == []
    assert [o["code"] for o in organizations if o["parent"] is not None and o["parent"] not in codes] == []
    assert {o["code"]: o["parent"] for o in organizations if o["parent"]} == {
        "DAV": "MOFA",
        "SCOV": "MOFA",
        "VN_MISSIONS": "MOFA",
    }


def test_themes_are_six_to_twelve_ascii_slugs_including_the_required_ones(catalogue):
    slugs = [t["slug"] for t in catalogue["themes"]]
    assert 6 <= len(slugs) <= 12
    assert len(slugs) == len(set(slugs))
    assert [s for s in slugs if not (s.isascii() and SLUG_PATTERN.match(s))] == []
    assert set(slugs) >= REQUIRED_THEMES


def test_every_reference_points_to_something_that_exists(catalogue, recommendations):
    source_keys = {s["key"] for s in catalogue["sources"]}
    org_codes = {o["code"] for o in catalogue["organizations"]}
    slugs = {t["slug"] for t in catalogue["themes"]}
    codes = {r["code"] for r in recommendations}
    dangling = []
    for r in recommendations:
        if r["source"] not in source_keys:
            dangling.append((r["code"], "source", r["source"]))
        for org in [r["proposer_organization"], r["owner_organization"], *r["addressed_to"]]:
            if org not in org_codes:
                dangling.append((r["code"], "organization", org))
        dangling += [(r["code"], "theme", s) for s in r["themes"] if s not in slugs]
        dangling += [(r["code"], "related", c) for c in r["related"] if c not in codes]
    assert dangling == []


def test_every_organization_and_theme_is_used(catalogue, recommendations):
    used_orgs = set()
    for r in recommendations:
        used_orgs |= {r["proposer_organization"], r["owner_organization"], *r["addressed_to"]}
    parents = {o["parent"] for o in catalogue["organizations"] if o["parent"]}
    assert {o["code"] for o in catalogue["organizations"]} - used_orgs - parents == set()
    used_themes = {s for r in recommendations for s in r["themes"]}
    assert {t["slug"] for t in catalogue["themes"]} - used_themes == set()


# Bộ Thông tin và Truyền thông (MIC) merged into Bộ Khoa học và Công nghệ (MOST) on this day.
MIC_MERGED_INTO_MOST = date(2025, 3, 1)


def test_no_organization_acts_in_a_text_written_after_it_ceased_to_exist(catalogue, recommendations):
    published = {s["key"]: s["published_on"] or date.min for s in catalogue["sources"]}
    later = [r for r in recommendations if published[r["source"]] >= MIC_MERGED_INTO_MOST]
    assert later, "the check below would pass vacuously"
    for r in later:
        named = {r["owner_organization"], r["proposer_organization"], *r["addressed_to"]}
        assert "MIC" not in named, r["code"]
    owners = {r["code"]: r["owner_organization"] for r in recommendations}
    assert (owners["TCCS-01"], owners["TCCS-08"]) == ("MOST", "MOST")


def test_related_is_symmetric_and_links_other_documents_only(recommendations):
    by_code = {r["code"]: r for r in recommendations}
    one_sided = [
        (r["code"], other)
        for r in recommendations
        for other in r["related"]
        if r["code"] not in by_code[other]["related"]
    ]
    assert one_sided == []
    same_document = [
        (r["code"], other)
        for r in recommendations
        for other in r["related"]
        if by_code[other]["source"] == r["source"]
    ]
    assert same_document == []


# --- provenance against the seed texts ----------------------------------------------------------


def test_each_source_file_exists_in_the_seeds_folder(catalogue):
    if not SEEDS_DIR.is_dir():
        pytest.skip(SEEDS_ABSENT)
    assert [s["file"] for s in catalogue["sources"] if not (SEEDS_DIR / s["file"]).is_file()] == []


def test_every_quote_is_verbatim_in_its_source(recommendations, paragraphs_by_source):
    missing = []
    for r in recommendations:
        whole_text = " ".join(paragraphs_by_source[r["source"]])
        missing += [label for label, place in places(r) if normalise(place["quote"]) not in whole_text]
    assert missing == []


def test_every_paragraph_number_points_to_the_line_holding_the_quote(recommendations, paragraphs_by_source):
    wrong = []
    for r in recommendations:
        paragraphs = paragraphs_by_source[r["source"]]
        for label, place in places(r):
            number = place["paragraph"]
            if not 1 <= number <= len(paragraphs) or normalise(place["quote"]) not in paragraphs[number - 1]:
                holders = [i for i, p in enumerate(paragraphs, 1) if normalise(place["quote"]) in p]
                wrong.append((label, number, holders))
    assert wrong == []
