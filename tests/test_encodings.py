"""Legacy font encodings: every letter against a published chart, phrases, round trips and the detector.

The charts below are a separate transcription from the module's tables (which come from Unikey's VnConv lists):
they follow the xvnkb charts, github.com/lamdao/xvnkb `vni.h` and `tcvn.h` (Dao Hai Lam, 2002), written as the
cp1252 characters Excel shows, in xvnkb's order: base, acute, grave, hook, tilde, dot below. For TCVN3 only the
lower-case half and the 7 unaccented capitals are used: xvnkb's accented capitals are TCVN 5712 VN1 codes, which the
ABC (VN3) ".Vn…" fonts do not have (accented capitals come from the ".Vn…H" fonts instead; see the VSCII article on
Wikipedia). The expected letters are built from base letter + combining marks, not copied from the module.
"""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.encodings import (
    TCVN3_TABLE,
    VNI_PAIRS,
    VNI_SINGLE,
    encoding_for_font,
    is_capitals_font,
    looks_legacy,
    tcvn3_to_unicode,
    to_unicode,
    vni_to_unicode,
)

NFC = "NFC"
TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")  # none, acute, grave, hook, tilde, dot below
FAMILIES = (  # (base, modifier) in xvnkb's row order
    ("a", ""), ("a", "\u0302"), ("a", "\u0306"), ("e", ""), ("e", "\u0302"), ("o", ""), ("o", "\u0302"),
    ("o", "\u031b"), ("u", ""), ("u", "\u031b"), ("i", ""), ("y", ""),
)  # fmt: skip

# xvnkb tcvn.h, lower-case half (one row per family above), then đ.
TCVN3_LOWER_CHART = (
    ("a", "¸", "µ", "¶", "·", "¹"),
    ("©", "Ê", "Ç", "È", "É", "Ë"),
    ("¨", "¾", "»", "¼", "½", "Æ"),
    ("e", "Ð", "Ì", "Î", "Ï", "Ñ"),
    ("ª", "Õ", "Ò", "Ó", "Ô", "Ö"),
    ("o", "ã", "ß", "á", "â", "ä"),
    ("«", "è", "å", "æ", "ç", "é"),
    ("¬", "í", "ê", "ë", "ì", "î"),
    ("u", "ó", "ï", "ñ", "ò", "ô"),
    ("\xad", "ø", "õ", "ö", "÷", "ù"),
    ("i", "Ý", "×", "Ø", "Ü", "Þ"),
    ("y", "ý", "ú", "û", "ü", "þ"),
)
TCVN3_D = "®"
TCVN3_CAPITALS = {"Ă": "¡", "Â": "¢", "Ê": "£", "Ô": "¤", "Ơ": "¥", "Ư": "¦", "Đ": "§"}  # xvnkb tcvn.h

# xvnkb vni.h: upper-case rows, then lower-case rows, then Đ / đ.
VNI_UPPER_CHART = (
    ("A", "AÙ", "AØ", "AÛ", "AÕ", "AÏ"),
    ("AÂ", "AÁ", "AÀ", "AÅ", "AÃ", "AÄ"),
    ("AÊ", "AÉ", "AÈ", "AÚ", "AÜ", "AË"),
    ("E", "EÙ", "EØ", "EÛ", "EÕ", "EÏ"),
    ("EÂ", "EÁ", "EÀ", "EÅ", "EÃ", "EÄ"),
    ("O", "OÙ", "OØ", "OÛ", "OÕ", "OÏ"),
    ("OÂ", "OÁ", "OÀ", "OÅ", "OÃ", "OÄ"),
    ("Ô", "ÔÙ", "ÔØ", "ÔÛ", "ÔÕ", "ÔÏ"),
    ("U", "UÙ", "UØ", "UÛ", "UÕ", "UÏ"),
    ("Ö", "ÖÙ", "ÖØ", "ÖÛ", "ÖÕ", "ÖÏ"),
    ("I", "Í", "Ì", "Æ", "Ó", "Ò"),
    ("Y", "YÙ", "YØ", "YÛ", "YÕ", "Î"),
)
VNI_LOWER_CHART = (
    ("a", "aù", "aø", "aû", "aõ", "aï"),
    ("aâ", "aá", "aà", "aå", "aã", "aä"),
    ("aê", "aé", "aè", "aú", "aü", "aë"),
    ("e", "eù", "eø", "eû", "eõ", "eï"),
    ("eâ", "eá", "eà", "eå", "eã", "eä"),
    ("o", "où", "oø", "oû", "oõ", "oï"),
    ("oâ", "oá", "oà", "oå", "oã", "oä"),
    ("ô", "ôù", "ôø", "ôû", "ôõ", "ôï"),
    ("u", "uù", "uø", "uû", "uõ", "uï"),
    ("ö", "öù", "öø", "öû", "öõ", "öï"),
    ("i", "í", "ì", "æ", "ó", "ò"),
    ("y", "yù", "yø", "yû", "yõ", "î"),
)
VNI_D = {"Đ": "Ñ", "đ": "ñ"}


def _letter(base: str, modifier: str, tone: str) -> str:
    return unicodedata.normalize(NFC, base + modifier + tone)


def _chart(rows: tuple[tuple[str, ...], ...], upper: bool = False) -> dict[str, str]:
    """Unicode letter -> legacy text, for the letters that carry a diacritic (the plain vowels are left out)."""
    out = {}
    for (base, modifier), row in zip(FAMILIES, rows, strict=True):
        for tone, legacy in zip(TONES, row, strict=True):
            if modifier or tone:
                letter = _letter(base, modifier, tone)
                out[letter.upper() if upper else letter] = legacy
    return out


TCVN3_LOWER = {**_chart(TCVN3_LOWER_CHART), "đ": TCVN3_D}
VNI_LOWER = {**_chart(VNI_LOWER_CHART), "đ": VNI_D["đ"]}
VNI_UPPER = {**_chart(VNI_UPPER_CHART, upper=True), "Đ": VNI_D["Đ"]}


def to_tcvn3(text: str) -> str:
    """Encode (test side, from the chart): lower-case letters and the 7 capitals; other capitals are lowered,
    as a typist using a ".Vn…H" font would get them."""
    out = []
    for ch in unicodedata.normalize(NFC, text):
        if ch in TCVN3_CAPITALS:
            out.append(TCVN3_CAPITALS[ch])
        elif ch.lower() in TCVN3_LOWER:
            out.append(TCVN3_LOWER[ch.lower()])
        else:
            out.append(ch)
    return "".join(out)


def to_vni(text: str) -> str:
    table = {**VNI_LOWER, **VNI_UPPER}
    return "".join(table.get(ch, ch) for ch in unicodedata.normalize(NFC, text))


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized(NFC, text)


# --- the charts themselves ------------------------------------------------------------------------------------
def test_charts_cover_all_vietnamese_letters():
    assert len(TCVN3_LOWER) == 67 and len(VNI_LOWER) == 67 and len(VNI_UPPER) == 67
    assert {k.upper() for k in TCVN3_LOWER} == set(VNI_UPPER)
    assert len(set(TCVN3_LOWER.values())) == 67  # one code per letter
    assert all(len(v) == 1 for v in TCVN3_LOWER.values())


def test_module_tables_have_the_expected_size():
    assert len(TCVN3_TABLE) == 67 + 7
    assert len(VNI_SINGLE) + len(VNI_PAIRS) == 134
    assert all(unicodedata.is_normalized(NFC, v) and len(v) == 1 for v in TCVN3_TABLE.values())


# --- letter by letter -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("letter", "legacy"), sorted(TCVN3_LOWER.items()))
def test_tcvn3_lower_case_letter(letter, legacy):
    assert tcvn3_to_unicode(legacy) == letter
    assert tcvn3_to_unicode(f"x{legacy}y") == f"x{letter}y"


@pytest.mark.parametrize(("letter", "legacy"), sorted(TCVN3_LOWER.items()))
def test_tcvn3_capital_letter_through_capitals_font(letter, legacy):
    assert tcvn3_to_unicode(legacy, capitals=True) == letter.upper()
    assert to_unicode(legacy, ".VnTimeH") == (letter.upper(), "tcvn3")


@pytest.mark.parametrize(("letter", "legacy"), sorted(TCVN3_CAPITALS.items()))
def test_tcvn3_unaccented_capitals_have_codes(letter, legacy):
    assert tcvn3_to_unicode(legacy) == letter
    assert tcvn3_to_unicode(legacy, capitals=True) == letter


@pytest.mark.parametrize(("letter", "legacy"), sorted({**VNI_LOWER, **VNI_UPPER}.items()))
def test_vni_letter(letter, legacy):
    assert vni_to_unicode(legacy) == letter
    assert vni_to_unicode(f"b{legacy}n") == f"b{letter}n"
    assert to_unicode(legacy, "VNI-Times") == (letter, "vni")


def test_vni_diacritic_of_the_other_case_is_accepted():
    assert vni_to_unicode("Aù") == "Á"
    assert vni_to_unicode("eÄ") == "ệ"
    assert vni_to_unicode("ÔØ") == "Ờ"


# --- words and phrases -----------------------------------------------------------------------------------------
PHRASES = ("Đào tạo nghề", "Hội chợ triển lãm", "Bù Đăng", "Chương trình khuyến công tỉnh Bình Phước năm 2024")


def test_tcvn3_phrases():
    assert tcvn3_to_unicode("§µo t¹o nghÒ") == "Đào tạo nghề"
    assert tcvn3_to_unicode("Héi chî triÓn l·m") == "Hội chợ triển lãm"
    assert tcvn3_to_unicode("Bï §¨ng") == "Bù Đăng"
    assert to_unicode("Ch\xad¬ng tr×nh khuyÕn c«ng", ".VnTime") == ("Chương trình khuyến công", "tcvn3")


def test_vni_phrases():
    assert vni_to_unicode("Ñaøo taïo ngheà") == "Đào tạo nghề"
    assert vni_to_unicode("Hoäi chôï trieån laõm") == "Hội chợ triển lãm"
    assert vni_to_unicode("Buø Ñaêng") == "Bù Đăng"
    assert to_unicode("UBND HUYEÄN LOÄC NINH", "VNI-Helve") == ("UBND HUYỆN LỘC NINH", "vni")


@pytest.mark.parametrize("typed", ["UBND HUYÖN LéC NINH", "ubnd huyÖn léc ninh"])
def test_tcvn3_capitals_font(typed):
    # In .VnTimeH the accented capitals are the lower-case codes; plain letters show as capitals whatever was typed.
    assert to_unicode(typed, ".VnTimeH") == ("UBND HUYỆN LỘC NINH", "tcvn3")
    assert to_unicode(typed, ".VnArialH") == ("UBND HUYỆN LỘC NINH", "tcvn3")
    assert tcvn3_to_unicode(typed, capitals=True) == "UBND HUYỆN LỘC NINH"


@pytest.mark.parametrize("phrase", PHRASES + ("Sở Công Thương", "Đắk Ơ, Phú Riềng, Lộc Ninh, Hớn Quản"))
def test_round_trip_through_the_chart(phrase):
    assert vni_to_unicode(to_vni(phrase)) == phrase
    assert to_unicode(to_vni(phrase), "VNI-Times") == (phrase, "vni")
    # TCVN3 normal fonts keep only the 7 capitals: compare against the text as such a font can hold it
    lowered = "".join(ch if ch in TCVN3_CAPITALS else ch.lower() if ch.lower() in TCVN3_LOWER else ch for ch in phrase)
    assert tcvn3_to_unicode(to_tcvn3(phrase)) == lowered
    assert to_unicode(to_tcvn3(phrase.upper()), ".VnTimeH") == (phrase.upper(), "tcvn3")


def test_round_trip_of_every_letter_in_one_string():
    lower = "".join(sorted(TCVN3_LOWER))
    assert tcvn3_to_unicode(to_tcvn3(lower)) == lower
    assert tcvn3_to_unicode(to_tcvn3(lower), capitals=True) == lower.upper()
    both = lower + lower.upper()
    assert vni_to_unicode(to_vni(both)) == both


# --- normalisation, cp1252 corners, pass-through ---------------------------------------------------------------
def test_nfd_input_comes_back_nfc():
    nfd = unicodedata.normalize("NFD", "Đào tạo nghề")
    assert nfd != "Đào tạo nghề"
    assert to_unicode(nfd, "Times New Roman") == ("Đào tạo nghề", None)
    assert to_unicode(nfd, None) == ("Đào tạo nghề", None)
    # Unicode (here NFD) text left in a legacy font is not legacy text: normalised, not converted
    assert to_unicode(nfd, ".VnTime") == ("Đào tạo nghề", None)
    assert to_unicode(nfd, "VNI-Times") == ("Đào tạo nghề", None)
    assert to_unicode("Hội chợ triển lãm", ".VnTime") == ("Hội chợ triển lãm", None)


def test_everything_returned_is_nfc():
    samples = [to_tcvn3(p) for p in PHRASES] + [to_vni(p) for p in PHRASES] + ["e\u0301", "A\u0300"]
    for text in samples:
        assert is_nfc(tcvn3_to_unicode(text))
        assert is_nfc(tcvn3_to_unicode(text, capitals=True))
        assert is_nfc(vni_to_unicode(text))
        for font in (".VnTime", ".VnTimeH", "VNI-Times", "Arial", None):
            assert is_nfc(to_unicode(text, font)[0])


def test_cp1252_high_range_passes_through():
    # Smart quotes, dashes, ellipsis, € … are cp1252 bytes 0x80-0x9F: not letters in TCVN3 (VN3) nor VNI
    assert tcvn3_to_unicode("“§µo t¹o” – 2024… €") == "“Đào tạo” – 2024… €"
    assert vni_to_unicode("‘Ñaøo taïo’ — ™") == "‘Đào tạo’ — ™"
    high = [bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)]
    high += ["\x81", "\x8d", "\x8f", "\x90", "\x9d"]  # undefined in cp1252: Windows passes them as latin-1
    text = "".join(high)
    assert tcvn3_to_unicode(text) == text
    assert vni_to_unicode(text) == text
    assert to_unicode(text, ".VnTime") == (text, "tcvn3")
    assert to_unicode("a\x81§", ".VnTime") == ("a\x81Đ", "tcvn3")


def test_ascii_and_unknown_characters_pass_through():
    ascii_text = "UBND 2024: 1.260,5 trieu dong (x) - #7"
    assert tcvn3_to_unicode(ascii_text) == ascii_text
    assert vni_to_unicode(ascii_text) == ascii_text
    assert tcvn3_to_unicode("\u00a0§ 漢") == "\u00a0Đ 漢"  # NBSP is 0xA0 in VN3 too
    assert to_unicode("", ".VnTime") == ("", "tcvn3")


# --- fonts ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("font", "encoding"),
    [
        (".VnTime", "tcvn3"), (".VnTimeH", "tcvn3"), (".VnArial", "tcvn3"), (".VnArialH", "tcvn3"),
        (".VnCentury Schoolbook", "tcvn3"), (".VnAvant", "tcvn3"), ("  .vntime ", "tcvn3"), (".VNTIMEH", "tcvn3"),
        ("VNI-Times", "vni"), ("VNI-Helve", "vni"), ("VNI-Aptima", "vni"), (" vni-times", "vni"),
        ("VNI - Times", "vni"),
        ("Times New Roman", None), ("Arial", None), ("Calibri", None), ("VnTime", None), ("Vni", None),
        ("", None), (None, None),
    ],
)  # fmt: skip
def test_encoding_for_font(font, encoding):
    assert encoding_for_font(font) == encoding


@pytest.mark.parametrize(
    ("font", "capitals"),
    [
        (".VnTimeH", True), (".VnArialH", True), (".VnArial NarrowH", True), (" .VnTimeH ", True),
        (".VNTIMEH", True), (".vntimeh", True),
        (".VnTime", False), (".VnArial", False), (".VnTimeh", False), ("VNI-Times", False), ("ArialH", False),
        ("", False), (None, False),
    ],
)  # fmt: skip
def test_is_capitals_font(font, capitals):
    assert is_capitals_font(font) is capitals


def test_latin1_only_unicode_in_a_legacy_font_is_converted():
    # Documented limit: "Tây Ninh" already in Unicode but left in .VnTime cannot be told from TCVN3 bytes
    assert to_unicode("Tây Ninh", ".VnTime") == ("Tõy Ninh", "tcvn3")


def test_non_legacy_font_leaves_text_alone():
    assert to_unicode("§µo t¹o", "Times New Roman") == ("§µo t¹o", None)
    assert to_unicode("Ñaøo taïo", None) == ("Ñaøo taïo", None)


# --- the detector -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phrase",
    PHRASES
    + (
        "Đào tạo nghề cho lao động nông thôn",
        "Hỗ trợ xây dựng mô hình trình diễn kỹ thuật",
        "Tổng kinh phí khuyến công địa phương",
        "Cơ sở sản xuất chế biến hạt điều",
    ),
)
def test_detects_legacy_text(phrase):
    assert looks_legacy(to_tcvn3(phrase)) == "tcvn3"
    assert looks_legacy(to_vni(phrase)) == "vni"


def test_detector_known_limits():
    # "Léc Ninh" could be French: too little evidence; the VNI form is unmistakable
    assert looks_legacy(to_tcvn3("Lộc Ninh")) is None
    assert looks_legacy(to_vni("Lộc Ninh")) == "vni"
    # Only weak VNI pairs (ồ ố ỗ after o, ú ù ủ … as in French/Spanish): left alone
    assert looks_legacy(to_vni("Số có")) is None


def test_detects_capitals():
    assert looks_legacy("UBND HUYÖN LéC NINH") == "tcvn3"
    assert looks_legacy("UBND HUYEÄN LOÄC NINH") == "vni"


@pytest.mark.parametrize(
    "text",
    [
        "", "UBND huyen Loc Ninh 2024", "1.260,5", "Đào tạo nghề", "Hội chợ triển lãm", "Bù Đăng",
        "Tây Ninh", "Cà Mau", "Thanh Hoá", "Hoà Bình", "HOÀ BÌNH", "Quà tặng", "Tôi yêu",  # Unicode Vietnamese
        "Café", "Müller", "Straße", "Crème brûlée", "Où est-il ? À Haïti.", "«Bonjour»", "aéroport aérien",
        "Raphaël et Anaïs", "Raúl y Saúl", "naïve", "São Paulo", "Ærø Øresund", "Mañana en España",
        "Ökonomie", "Ça va", "Windows® 10", "© 2024 ACME", "5 µm", "col·legi", "1½ kg", "§ 12", "£100",
        "24 °C", "m² m³", "“quoted” – text…", "Citroën", "Noël", "goût août",
    ],
)  # fmt: skip
def test_detector_false_positives(text):
    assert looks_legacy(text) is None


def test_detector_on_unicode_nfd_text():
    assert looks_legacy(unicodedata.normalize("NFD", "Đào tạo nghề")) is None
