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
