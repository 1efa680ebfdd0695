"""Text helpers shared by every stage: NFC normalisation and accent-free matching keys."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=8192)  # workbooks repeat the same labels: fold each once
def fold(text: str) -> str:
    """A matching key: lower case, no diacritics (đ -> d), single spaces, no punctuation at the ends."""
    decomposed = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", stripped).strip(" .:;,-").lower()


_NUMBERING = re.compile(r"^(?:(?:[ivxlc]+|[a-z])[.)/]\s*|\d+(?:\.\d+)*(?:[.)/]\s*|\s+)|[-+*•–]\s*)+")
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")
_COUNT_WORDS = re.compile(r"^(?:so luong|so luot|so)\s+")


@lru_cache(maxsize=8192)
def match_key(text: str) -> str:
    """Key for matching activity names: no numbering ("1.", "a)", "-"), no trailing "(người)", no leading
    "Số"/"Số lượng", no case, diacritics, spaces or punctuation."""
    key = fold(text)
    key = _NUMBERING.sub("", key)
    key = _TRAILING_NOTE.sub("", key)
    key = _COUNT_WORDS.sub("", key)
    return re.sub(r"[^0-9a-z]", "", key)


def printable(text: str, limit: int = 200) -> str:
    """Officer-supplied text (a file name, a note) safe to place in a report or receipt: NFC, control and
    bidirectional-override characters (category C*, e.g. BEL, ESC, newline, U+202E) replaced by a space,
    spaces collapsed, cut to `limit` characters with "…"."""
    cleaned = " ".join("".join(" " if unicodedata.category(c)[0] == "C" else c for c in nfc(text)).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def officer_note(text: str, limit: int) -> tuple[str, bool]:
    """An officer's note for a report page: printable (line breaks kept, at most one blank line in a row),
    cut to `limit` characters at a word where possible. Returns (text, whether it was cut)."""
    lines = [printable(line, len(line) + 1) for line in nfc(text).replace("\r\n", "\n").split("\n")]
    kept = "\n".join(lines)
    while "\n\n\n" in kept:
        kept = kept.replace("\n\n\n", "\n\n")
    kept = kept.strip()
    if len(kept) <= limit:
        return kept, False
    cut = kept[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + " …", True
