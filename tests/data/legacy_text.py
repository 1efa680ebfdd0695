"""Vietnamese text as an officer types it in a legacy font (the inverse of pipeline.encodings), for the test-data
generators: TCVN3 (.VnTime, capitals in .VnTimeH) and VNI (VNI-Times). Each legacy byte is the cp1252 character
Excel shows for it (the five bytes cp1252 leaves undefined map to the same code point)."""

from __future__ import annotations

import unicodedata

from pipeline.encodings import TCVN3_TABLE, VNI_PAIRS, VNI_SINGLE


def _cp(b: int) -> str:
    return chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")


_TCVN3_OF = {letter: _cp(b) for b, letter in TCVN3_TABLE.items()}
_VNI_OF = {letter: _cp(b) for b, letter in VNI_SINGLE.items()}
_VNI_OF.update({letter: _cp(seq[0]) + _cp(seq[1]) for seq, letter in VNI_PAIRS.items() if letter not in _VNI_OF})


def tcvn3(text: str) -> str | None:
    """`text` as Excel shows it when typed in .VnTime; None if it needs the capitals font (.VnTimeH)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ch)
        elif ch in _TCVN3_OF:
            out.append(_TCVN3_OF[ch])
        else:
            return None
    return "".join(out)


def vni(text: str) -> str:
    """`text` as Excel shows it when typed in VNI-Times."""
    return "".join(ch if ch.isascii() else _VNI_OF[ch] for ch in unicodedata.normalize("NFC", text))


def legacy_font(text: str, family: str) -> tuple[str, str]:
    """(text as typed, font name) for one cell: TCVN3 (.VnTime, or .VnTimeH for text with accented capitals,
    typed in lower case) or VNI (VNI-Times)."""
    if family == "vni":
        return vni(text), "VNI-Times"
    typed = tcvn3(text)
    if typed is not None:
        return typed, ".VnTime"
    typed = tcvn3(text.lower())
    assert typed is not None, text
    return typed, ".VnTimeH"
