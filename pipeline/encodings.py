"""Legacy Vietnamese font encodings (TCVN3/ABC and VNI-Windows) -> Unicode NFC.

Old government workbooks hold text typed in 8-bit "Vietnamese fonts": the bytes are legacy codes, and the font
(".VnTime", "VNI-Times" …) draws them as Vietnamese letters. Excel stores such text as the characters it got by
reading the bytes as Windows-1252, so "Đào tạo" typed in .VnTime arrives as "§µo t¹o". Conversion works on str:
each character goes back to its cp1252 byte, the byte(s) go through the legacy table, and the result is NFC.

Which encoding applies is told by the cell's font (`encoding_for_font`); `looks_legacy` is a cautious fallback
for files without font information (.ods, CSV).

Tables: transcribed from Unikey's VnConv charset tables (Pham Kim Long, GPL; the code-point lists
`kSingleByteTcvn3` and `kDoubleByteVniWin` with `UnicodeTable`, e.g. github.com/hoangduytran/ibus-unikey
ukengine/tables/singlebyte/tcvn3.cpp, ukengine/tables/doublebytes/vni_win.cpp, ukengine/tables/data.cpp; the same
lists as in fcitx/fcitx5-unikey unikey/data.cpp). Cross-checked against the xvnkb charts (github.com/lamdao/xvnkb
tcvn.h, vni.h) and the VSCII/TCVN 5712 article on Wikipedia (TCVN3 = VN3: 67 lower-case letters, the 7 capitals
Ă Â Ê Ô Ơ Ư Đ and NBSP; accented capitals only through the all-capital "H" fonts; C0/C1 codes untouched).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "TCVN3_TABLE",
    "VNI_PAIRS",
    "VNI_SINGLE",
    "encoding_for_font",
    "is_capitals_font",
    "looks_legacy",
    "tcvn3_to_unicode",
    "to_unicode",
    "vni_to_unicode",
]

# --- tables --------------------------------------------------------------------------------------------------
# TCVN3 (TCVN 5712:1993 VN3, the ABC ".Vn…" fonts): byte -> letter, one line per vowel family, tones in Unikey's
# order (acute, grave, hook, tilde, dot below). Accented capitals have no code: in the ".Vn…H" capital fonts the
# lower-case codes are drawn as capitals. 0x80-0x9F are not letters in VN3 (Unikey keeps them as the Western
# symbols “ ” … – of cp1252), unlike VN1, which puts accented capitals there.
# fmt: off
TCVN3_TABLE: dict[int, str] = {
    0xB8: "á", 0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB9: "ạ",
    0xA2: "Â", 0xA9: "â", 0xCA: "ấ", 0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCB: "ậ",
    0xA1: "Ă", 0xA8: "ă", 0xBE: "ắ", 0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xC6: "ặ",
    0xA7: "Đ", 0xAE: "đ",
    0xD0: "é", 0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD1: "ẹ",
    0xA3: "Ê", 0xAA: "ê", 0xD5: "ế", 0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD6: "ệ",
    0xDD: "í", 0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDE: "ị",
    0xE3: "ó", 0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE4: "ọ",
    0xA4: "Ô", 0xAB: "ô", 0xE8: "ố", 0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE9: "ộ",
    0xA5: "Ơ", 0xAC: "ơ", 0xED: "ớ", 0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xEE: "ợ",
    0xF3: "ú", 0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF4: "ụ",
    0xA6: "Ư", 0xAD: "ư", 0xF8: "ứ", 0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF9: "ự",
    0xFD: "ý", 0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFE: "ỵ",
}

# VNI-Windows ("VNI-…" fonts): Đ đ, Ơ ơ, Ư ư, the toned i's and Ỵ ỵ have a byte of their own ...
VNI_SINGLE: dict[int, str] = {
    0xD1: "Đ", 0xF1: "đ", 0xCD: "Í", 0xED: "í", 0xCC: "Ì", 0xEC: "ì",
    0xC6: "Ỉ", 0xE6: "ỉ", 0xD3: "Ĩ", 0xF3: "ĩ", 0xD2: "Ị", 0xF2: "ị",
    0xD4: "Ơ", 0xF4: "ơ", 0xD6: "Ư", 0xF6: "ư", 0xCE: "Ỵ", 0xEE: "ỵ",
}

# ... the other letters are two bytes: a base letter (A a E e O o U u Y y, or Ơ ơ Ư ư above) and a diacritic byte,
# upper-case diacritics after upper-case bases. Keys are the bytes in order.
VNI_PAIRS: dict[bytes, str] = {
    b"A\xD9": "Á", b"A\xD8": "À", b"A\xDB": "Ả", b"A\xD5": "Ã", b"A\xCF": "Ạ",
    b"A\xC2": "Â", b"A\xC1": "Ấ", b"A\xC0": "Ầ", b"A\xC5": "Ẩ", b"A\xC3": "Ẫ", b"A\xC4": "Ậ",
    b"A\xCA": "Ă", b"A\xC9": "Ắ", b"A\xC8": "Ằ", b"A\xDA": "Ẳ", b"A\xDC": "Ẵ", b"A\xCB": "Ặ",
    b"E\xD9": "É", b"E\xD8": "È", b"E\xDB": "Ẻ", b"E\xD5": "Ẽ", b"E\xCF": "Ẹ",
    b"E\xC2": "Ê", b"E\xC1": "Ế", b"E\xC0": "Ề", b"E\xC5": "Ể", b"E\xC3": "Ễ", b"E\xC4": "Ệ",
    b"O\xD9": "Ó", b"O\xD8": "Ò", b"O\xDB": "Ỏ", b"O\xD5": "Õ", b"O\xCF": "Ọ",
    b"O\xC2": "Ô", b"O\xC1": "Ố", b"O\xC0": "Ồ", b"O\xC5": "Ổ", b"O\xC3": "Ỗ", b"O\xC4": "Ộ",
    b"\xD4\xD9": "Ớ", b"\xD4\xD8": "Ờ", b"\xD4\xDB": "Ở", b"\xD4\xD5": "Ỡ", b"\xD4\xCF": "Ợ",
    b"U\xD9": "Ú", b"U\xD8": "Ù", b"U\xDB": "Ủ", b"U\xD5": "Ũ", b"U\xCF": "Ụ",
    b"\xD6\xD9": "Ứ", b"\xD6\xD8": "Ừ", b"\xD6\xDB": "Ử", b"\xD6\xD5": "Ữ", b"\xD6\xCF": "Ự",
    b"Y\xD9": "Ý", b"Y\xD8": "Ỳ", b"Y\xDB": "Ỷ", b"Y\xD5": "Ỹ",
    b"a\xF9": "á", b"a\xF8": "à", b"a\xFB": "ả", b"a\xF5": "ã", b"a\xEF": "ạ",
    b"a\xE2": "â", b"a\xE1": "ấ", b"a\xE0": "ầ", b"a\xE5": "ẩ", b"a\xE3": "ẫ", b"a\xE4": "ậ",
    b"a\xEA": "ă", b"a\xE9": "ắ", b"a\xE8": "ằ", b"a\xFA": "ẳ", b"a\xFC": "ẵ", b"a\xEB": "ặ",
    b"e\xF9": "é", b"e\xF8": "è", b"e\xFB": "ẻ", b"e\xF5": "ẽ", b"e\xEF": "ẹ",
    b"e\xE2": "ê", b"e\xE1": "ế", b"e\xE0": "ề", b"e\xE5": "ể", b"e\xE3": "ễ", b"e\xE4": "ệ",
    b"o\xF9": "ó", b"o\xF8": "ò", b"o\xFB": "ỏ", b"o\xF5": "õ", b"o\xEF": "ọ",
    b"o\xE2": "ô", b"o\xE1": "ố", b"o\xE0": "ồ", b"o\xE5": "ổ", b"o\xE3": "ỗ", b"o\xE4": "ộ",
    b"\xF4\xF9": "ớ", b"\xF4\xF8": "ờ", b"\xF4\xFB": "ở", b"\xF4\xF5": "ỡ", b"\xF4\xEF": "ợ",
    b"u\xF9": "ú", b"u\xF8": "ù", b"u\xFB": "ủ", b"u\xF5": "ũ", b"u\xEF": "ụ",
    b"\xF6\xF9": "ứ", b"\xF6\xF8": "ừ", b"\xF6\xFB": "ử", b"\xF6\xF5": "ữ", b"\xF6\xEF": "ự",
    b"y\xF9": "ý", b"y\xF8": "ỳ", b"y\xFB": "ỷ", b"y\xF5": "ỹ",
}
# fmt: on

# --- cp1252 reading <-> bytes --------------------------------------------------------------------------------
_CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # Windows passes these through as U+0081 … (latin-1)


def _byte_char(b: int) -> str:
    """The character Excel shows for legacy byte `b` (its cp1252 reading)."""
    return chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252")


_BYTE_OF: dict[str, int] = {_byte_char(b): b for b in range(256)}  # every character a cp1252 reading can contain

_TCVN3_TRANS = {ord(_byte_char(b)): letter for b, letter in TCVN3_TABLE.items()}


def _vni_lookup() -> dict[str, str]:
    """VNI sequences as cp1252 text -> letter; a diacritic byte of the other case is accepted too ("Aù" -> "Á")."""
    table = {_byte_char(b): letter for b, letter in VNI_SINGLE.items()}
    for seq, letter in VNI_PAIRS.items():
        base, mark = _byte_char(seq[0]), _byte_char(seq[1])
        table[base + mark] = letter
        table.setdefault(base + mark.swapcase(), letter)
    return table


_VNI_LOOKUP = _vni_lookup()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI_LOOKUP, key=len, reverse=True)))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _is_cp1252_reading(text: str) -> bool:
    """True if every character could come from reading 8-bit bytes as cp1252 (else the text is real Unicode)."""
    return all(ch in _BYTE_OF for ch in text)


# --- fonts ---------------------------------------------------------------------------------------------------
def _compact(font_name: str | None) -> str:
    return "".join((font_name or "").split())


def encoding_for_font(font_name: str | None) -> str | None:
    """'tcvn3' for ".Vn…" fonts, 'vni' for "VNI-…" fonts, else None (case and spaces ignored)."""
    name = _compact(font_name).lower()
    if name.startswith(".vn"):
        return "tcvn3"
    if name.startswith("vni-"):
        return "vni"
    return None


def is_capitals_font(font_name: str | None) -> bool:
    """True for the TCVN3 all-capital fonts (".VnTimeH", ".VnArialH" …: the name ends in "H").

    The suffix is read case-sensitively (".VnTimeh" is not a capitals font) unless the whole name is in one case
    (".VNTIMEH", ".vntimeh"), where only the letter itself is left to go by.
    """
    name = _compact(font_name)
    if encoding_for_font(name) != "tcvn3":
        return False
    return name.endswith("H") or (name.endswith("h") and name == name.lower())


# --- conversion ----------------------------------------------------------------------------------------------
def tcvn3_to_unicode(text: str, capitals: bool = False) -> str:
    """Convert the cp1252 reading of TCVN3 text to Unicode NFC; `capitals` for the ".Vn…H" fonts (upper-cases all).

    Characters that are not TCVN3 letter codes (ASCII, “ ” … – and any non-cp1252 character) pass through.
    """
    out = text.translate(_TCVN3_TRANS)
    return _nfc(out.upper() if capitals else out)


def vni_to_unicode(text: str) -> str:
    """Convert the cp1252 reading of VNI-Windows text to Unicode NFC (base letter + diacritic byte -> one letter)."""
    return _nfc(_VNI_RE.sub(lambda m: _VNI_LOOKUP[m.group()], text))


def to_unicode(text: str, font_name: str | None) -> tuple[str, str | None]:
    """Convert `text` typed in `font_name`; returns (NFC text, 'tcvn3' | 'vni' | None when nothing was converted).

    Text in a legacy font that already contains characters outside cp1252 (e.g. "ư", "ệ", combining marks) is
    Unicode retyped or converted without changing the font: it is only normalised. Unicode text made only of
    Latin-1 letters ("Tây Ninh") cannot be told apart and is converted: the font is trusted.
    """
    encoding = encoding_for_font(font_name)
    if encoding is None or not _is_cp1252_reading(text):
        return _nfc(text), None
    if encoding == "tcvn3":
        return tcvn3_to_unicode(text, capitals=is_capitals_font(font_name)), encoding
    return vni_to_unicode(text), encoding


# --- detection without font information ----------------------------------------------------------------------
# TCVN3 letter codes that are symbols in cp1252. Strong ones count when they touch a letter; weak ones
# (« » © ® µ · ¡ ª ¹ × also occur next to Western words: «Bonjour», Windows®, µm, col·legi) only inside a word.
_TC_STRONG = frozenset("¢£¤¥¦§¨¬¶¸¼½¾÷")
_TC_WEAK = frozenset("¡©ª«»®µ·¹×")
_TC_SYMBOLS = _TC_STRONG | _TC_WEAK | {"\xad"}  # soft hyphen (ư): a word character, never evidence
_TC_LETTER_CODES = frozenset(_byte_char(b) for b in TCVN3_TABLE if _byte_char(b).isalpha())
# VNI diacritic bytes (lower-case form) after a vowel: weak ones also follow vowels in French/Spanish
# (où, goût, naïf, aérien, Raphaël, aún) or in Unicode Vietnamese with old-style tone marks (hoà, hoá, xoã).
_VNI_WEAK_MARKS = frozenset("ùûïéúë")
_VNI_WEAK_PAIRS = frozenset({"oà", "oá", "oã"})
_WORD_RE = re.compile("[" + re.escape("".join(c for c in _BYTE_OF if c.isalpha() or c in _TC_SYMBOLS)) + "]+")
_MIN_SHARE = 0.3  # share of words that must carry evidence


def _tcvn3_evidence(word: str) -> tuple[bool, bool]:
    """(has a TCVN3 code outside ASCII, has a pattern that Western or Unicode Vietnamese text would not produce)."""
    hit = False
    for i, ch in enumerate(word):
        if ch not in _TC_SYMBOLS and ch not in _TC_LETTER_CODES:
            continue
        hit = True
        prev, nxt = word[i - 1 : i], word[i + 1 : i + 2]
        if ch in _TC_STRONG and (prev or nxt):
            return True, True
        if ch in _TC_WEAK and prev and nxt and not (ch == "·" and prev.lower() == nxt.lower() == "l"):
            return True, True
        # "nghÒ", "triÓn": a lower-case ASCII letter followed by a Latin-1 capital that is a TCVN3 code
        if ch.isupper() and prev.isascii() and prev.islower():
            return True, True
        # "LéC" (capitals typed with lower-case codes): a Latin-1 lower-case code between ASCII capitals
        if ch.islower() and (prev + nxt).isascii() and prev.isupper() and nxt.isupper():
            return True, True
    return hit, False


def _vni_evidence(word: str) -> tuple[bool, bool]:
    """(has a VNI base+diacritic pair, has one that Western or Unicode Vietnamese text would not produce)."""
    hit = strong = False
    for m in _VNI_RE.finditer(word):
        seq = m.group()
        if len(seq) < 2:
            continue
        hit = True
        low = seq.lower()
        if low[1] not in _VNI_WEAK_MARKS and low not in _VNI_WEAK_PAIRS:
            strong = True
    return hit, strong


def looks_legacy(text: str) -> str | None:
    """Guess 'tcvn3' or 'vni' for text without font information; None when in doubt.

    Evidence, counted per word: for TCVN3, cp1252 symbols inside words ("§µo t¹o", "c«ng") and case breaks
    ("nghÒ", "LéC"); for VNI, a vowel followed by a diacritic byte ("Ñaøo", "HUYEÄN"). At least one word must
    carry strong evidence and at least 30 % of the words some evidence. Text with any character outside cp1252
    (Unicode Vietnamese), plain ASCII, and ordinary Western text ("Café", "Müller", "Où est-il ?") give None.

    Limits: short texts may carry no evidence ("Léc Ninh" = "Lộc Ninh" reads as French, "Hµ" alone too);
    VNI is missed when its only pairs are weak ones; TCVN3 text typed in capital fonts mostly looks like ASCII.
    A lone Western word with an unusual vowel pair can be flagged (Finnish "pimeä" reads as VNI "pimệ").
    Prefer the font whenever it is known.
    """
    if not text or text.isascii() or not _is_cp1252_reading(text):
        return None
    words = [w for w in _WORD_RE.findall(text) if any(c.isalpha() for c in w)]
    if not words:
        return None
    for encoding, evidence in (("tcvn3", _tcvn3_evidence), ("vni", _vni_evidence)):
        found = [evidence(w) for w in words]
        if any(strong for _, strong in found) and sum(hit for hit, _ in found) >= _MIN_SHARE * len(words):
            return encoding
    return None


def unicode_to_tcvn3(text: str) -> str:
    """The inverse of tcvn3_to_unicode (as Excel would show the legacy bytes); for capitals fonts pass
    lower-case text. Raises ValueError for a letter TCVN3 cannot hold (an accented capital)."""
    reverse = {letter: _byte_char(b) for b, letter in TCVN3_TABLE.items()}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in reverse:
            out.append(reverse[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            raise ValueError(f"TCVN3 has no code for {ch!r}")
    return "".join(out)
