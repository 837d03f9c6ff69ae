"""Text normalisation for search that matches with or without Vietnamese diacritics."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def normalize_for_search(text: str) -> str:
    """Fold *text* to lower-case ASCII-like letters: "Ngoại giao SỐ" -> "ngoai giao so".

    NFD splits a letter from its combining marks, which are dropped; đ/Đ has no decomposition
    (it is a distinct letter, not d plus a mark), so it is mapped explicitly.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WHITESPACE.sub(" ", stripped.casefold()).strip()


def evidence_search_text(*, note: str, original_filename: str, url: str) -> str:
    """``Evidence.search_text``: what the evidence admin searches besides the item's code."""
    return normalize_for_search(" ".join([note, original_filename, url]))


def history_search_text(comment: str) -> str:
    """``HistoryEntry.search_text``: the comment, folded ("" for a row without a comment)."""
    return normalize_for_search(comment)
