"""What calamine reads in an xlsx, bounded as its members stream by: each worksheet's extent as calamine
places cells (`XlsxSheet`), a part measured from its first sheetData on (`SheetProbe`), the shared strings'
declared count (`UniqueCount`); then, from xl/workbook.xml and its relationships, the sheets a full read
looks up (`sheet_reads`) and whether an SVG image holding a DOCTYPE may be parsed (`media_entities`)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import NamedTuple

from pipeline.guards.limits import (
    CHUNK,
    EXCEL_MAX_COLS,
    EXCEL_MAX_ROWS,
    MAX_CELLS,
    MAX_ROWS,
    MAX_SHEETS,
    MAX_ZIP_ENTRIES,
    UNSURE,
    Extents,
    Reads,
    name_key,
    num,
)
from pipeline.guards.zip_directory import Member, bomb, entities, norm

UTF16 = {b"\xff\xfe": "utf-16", b"<\x00": "utf-16-le", b"\xfe\xff": "utf-16", b"\x00<": "utf-16-be"}

_DIMENSION = re.compile(
    rb"<(?:[\w.-]+:)?dimension\s[^<]*?\bref\s*=\s*[\"']\$?([A-Za-z]{0,3})\$?([0-9]{0,9})"
    rb"(?::\$?([A-Za-z]{0,3})\$?([0-9]{0,9}))?[\"']"
)
# Row and cell tags as calamine (quick-xml) names them: the local name after the first ':' of whatever
# precedes the first whitespace, so any prefix at all ("<x:c", "<ñ:c", "<a$b:c"); not end tags, comments
# or processing instructions. A tag whose first attribute is r= certainly has one; every other tag is
# counted as having none (an over-count only widens the bound).
_TAG = re.compile(rb"<(?![/!?])(?:[^ \t\r\n:<]*+:)?(c|row)[\s/>]")
_NO_R_TAG = re.compile(rb"<(c|row)(?![ \t\r\n]+r[ \t\r\n]*=)[\s/>]")  # unprefixed, first attribute not r=
# Cheap tests before it: every tag it finds is found by one of these (it is not followed by " r=").
_NO_R_CELL_QUICK, _NO_R_ROW_QUICK = re.compile(rb"<c(?! r=)[\s/>]"), re.compile(rb"<row(?! r=)[\s/>]")
_PREFIXED_TAG = re.compile(rb":(?:c|row)[\s/>]")  # cheap test before the prefixed search below
_NO_R_PREFIXED_TAG = re.compile(rb"<(?![/!?])[^ \t\r\n:<]*+:(c|row)(?![ \t\r\n]+r[ \t\r\n]*=)[\s/>]")
# Every r= attribute (after whitespace or a quote, as attributes follow each other; the look-behind does not
# consume the quote closing a previous value, so r="A1"r="XFD9" yields both), with its quote, its value
# (up to a quote or '<') and the character ending it.
_R_VALUE = re.compile(rb"r(?<=[\s\"']r)\s*=\s*([\"'][^\"'<]*[\"'<]?)")
_REF_VALUE = re.compile(rb"[\"']([A-Za-z]*)([0-9]+)[\"']")  # r="XFD20000" (row: r="20000")
_ODD_VALUE = re.compile(rb"\"[A-Za-z0-9]*[^\"<A-Za-z0-9]|'[A-Za-z0-9]*[^'<A-Za-z0-9]")  # r="&#88;FD1"
_ALNUM = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123))
_LETTERS, _DIGITS = _ALNUM[10:], _ALNUM[:10]
_QUOTES_TO_SPACES = bytes.maketrans(b"\"'", b"  ")
FINDALL_BYTES = 4 * CHUNK  # a piece longer than this (no '<' in it) is searched value by value
_BATCH = 65536
_UNIQUE_COUNT = re.compile(rb"uniqueCount\s*=\s*[\"']([^\"'<]*)")
_NUMBER = re.compile(rb"[0-9]+")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper()[:8]:
        n = n * 26 + ch - 64
    return n


class XlsxSheet:
    """Bounds a worksheet's extent while it streams by, as calamine places cells (docs/guards.md): the
    dimension, every r= reference, row tags without r= and, once cells without r= appear, the most cells in
    one row."""

    measured = True

    def __init__(self, name: str, extents: Extents):
        self.name, self.extents = name, extents
        self.dim_rows = self.dim_cols = 0
        self.seen_dimension = False
        self.max_row = self.max_col = 0
        self.rows_no_r = 0  # <row> without r=: each one may follow the highest row so far
        self.cells_no_r = False
        self.widest = self.current = 0  # most <c> in one row, counted once cells without r= appear

    def feed(self, part: bytes, final: bool) -> None:
        if not self.seen_dimension and b"dimension" in part:
            self._dimension(part)
        self._tags_without_r(part)
        self._all_references(part)
        self._bound(final)

    def _dimension(self, part: bytes) -> None:
        if m := _DIMENSION.search(part):
            self.seen_dimension = True
            c1, r1, c2, r2 = m.groups()
            self.dim_rows = max(int(r1 or 0), int(r2 or 0))
            self.dim_cols = max(_col_number(c1 or b""), _col_number(c2 or b""))

    def _tags_without_r(self, part: bytes) -> None:
        no_r = _NO_R_TAG.findall(part) if _NO_R_CELL_QUICK.search(part) or _NO_R_ROW_QUICK.search(part) else []
        if _PREFIXED_TAG.search(part):
            no_r += _NO_R_PREFIXED_TAG.findall(part)
        if not no_r:
            return
        rows_no_r = no_r.count(b"row")
        self.rows_no_r += rows_no_r
        if rows_no_r < len(no_r):
            # calamine places a cell without r= right after the previous one: bound a row's width by its
            # cell count (on top of the highest referenced column)
            self.cells_no_r = True
            counts = [len(seg) for seg in b"".join(_TAG.findall(part)).split(b"row")]
            if len(counts) == 1:
                self.current += counts[0]
            else:
                self.widest = max(self.widest, self.current + counts[0], *counts[1:-1])
                self.current = counts[-1]

    def _all_references(self, part: bytes) -> None:
        if len(part) <= FINDALL_BYTES:
            if values := _R_VALUE.findall(part):
                self._references(values)
            return
        # a long piece without '<' (text, a comment): its values in batches, not millions of objects at once
        batch: list[bytes] = []
        for m in _R_VALUE.finditer(part):
            batch.append(m.group(1))
            if len(batch) >= _BATCH:
                self._references(batch)
                batch = []
        if batch:
            self._references(batch)

    def _bound(self, final: bool) -> None:
        rows = max(self.dim_rows, self.max_row + self.rows_no_r, 1 if self.cells_no_r else 0)
        if rows > MAX_ROWS:
            self.extents.add_sheet("", rows, 0)
        cols = max(self.dim_cols, self.max_col + max(self.widest, self.current), 1 if rows else 0)
        if final or self.extents.cells + rows * cols > MAX_CELLS:
            self.extents.add_sheet("", rows, cols, self.name)

    def _references(self, values: list[bytes]) -> None:
        """The highest row and column among r= values (each: quote, value, ending character)."""
        joined = b"".join(values)
        quote = joined[:1]
        if joined.translate(None, _ALNUM) == quote * (2 * len(values)):
            # all clean (r="A1", one kind of quote): rows are the digits, columns the letters of each value
            # (a value such as "1A", which calamine rejects, only adds to the bound)
            rows = set(joined.translate(_QUOTES_TO_SPACES, _LETTERS).split())
            columns = set(joined.translate(_QUOTES_TO_SPACES, _DIGITS).split())
        else:
            if any(_ODD_VALUE.match(v) for v in values):  # e.g. r="&#88;FD1": cannot be bounded without a parser
                self.max_row, self.max_col = EXCEL_MAX_ROWS, EXCEL_MAX_COLS
                return
            refs = [m.groups() for v in values if (m := _REF_VALUE.fullmatch(v))]
            rows = {r for _, r in refs}
            columns = {c for c, _ in refs}
        rows.discard(b"")
        if rows:
            top = max(map(int, rows)) if max(map(len, rows)) < 16 else EXCEL_MAX_ROWS
            self.max_row = max(self.max_row, top)
        columns.discard(b"")
        if columns:
            self.max_col = max(self.max_col, max(map(_col_number, columns)))


class SheetProbe:
    """A member not measured from its start (any part but a worksheet by path or root, or one whose raw
    bytes the text sink does not see): measured from the first piece holding `sheetData` on, since calamine
    reads cells only inside that element, whatever the part's name, root or first bytes."""

    def __init__(self, name: str, extents: Extents):
        self.name, self.extents = name, extents
        self.sheet: XlsxSheet | None = None

    @property
    def measured(self) -> bool:
        return self.sheet is not None

    def feed(self, part: bytes, final: bool) -> None:
        if self.sheet is None:
            if b"sheetData" not in part:
                return
            self.sheet = XlsxSheet(self.name, self.extents)
        self.sheet.feed(part, final)


class UniqueCount:
    """calamine reserves room for a shared-string table's declared `uniqueCount` before reading it."""

    def feed(self, part: bytes, final: bool) -> None:
        if b"uniqueCount" not in part:
            return
        for m in _UNIQUE_COUNT.finditer(part):  # one at a time: a long piece may hold millions
            for number in _NUMBER.finditer(m.group(1)):
                digits = number.group().lstrip(b"0")
                if len(digits) > 9 or int(digits or b"0") > MAX_CELLS:
                    shown = num(int(digits)) if len(digits) <= 20 else digits[:20].decode() + "…"
                    raise bomb(f"bảng chuỗi dùng chung khai báo {shown} chuỗi, tối đa {num(MAX_CELLS)}")


# --- xl/workbook.xml and its relationships, as calamine reads them ----------------------------------------

_SHEET_TAG = re.compile(r"<(?![/!?])(?:[^\s<>:]*:)?sheet(?=[\s/>])")
_REL_TAG = re.compile(r"<(?![/!?])(?:[^\s<>:]*:)?Relationship(?=[\s/>])")
_ATTRIBUTE = re.compile(r"""\s*([^\s=<>/"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XML_ENCODING = re.compile(r"""<\?xml[^>]*?\sencoding\s*=\s*["']\s*([^"'\s]*)""")
_REFERENCE = re.compile(r"&(?:#[xX]0*([0-9A-Fa-f]{1,8})|#0*([0-9]{1,10})|(lt|gt|amp|quot|apos));")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
MAX_RELATIONSHIPS = 4 * MAX_ZIP_ENTRIES  # relationships counted in a part: more is refused (ZIP_BOMB)

ANY_PART = "\x00any"  # a target whose bytes cannot be decoded as calamine decodes them: any part
# Declared encodings that read ASCII as ASCII and that Python decodes as encoding_rs does ASCII text.
_ASCII_ENCODINGS = re.compile(
    r"(windows|cp)-?125[0-8]|iso-?8859-\d+|latin-?1|(us-)?ascii|koi8-[ru]|"
    r"gbk|gb2312|gb18030|big5|shift_jis|euc-jp|euc-kr|tis-620|windows-874"
)
IMAGE = re.compile(r"(?:xl/media|pictures)/[^/]+\.svg")  # an SVG image, by its name as `norm` gives it


class XmlReading(NamedTuple):
    """One way calamine may decode an XML part: its text, the codecs that decode its raw values (None: the
    text is decoded already) and how far sheet names can be told apart ("sure", "ascii", "unsure")."""

    text: str
    codecs: tuple[str, ...] | None
    names: str

    def values(self, raw: str) -> set[str]:
        """What a raw attribute value may mean: as written and unescaped, in each codec."""
        decoded = (
            {raw}
            if self.codecs is None
            else {raw, *(ANY_PART if c == "?" else raw.encode("latin-1").decode(c, "replace") for c in self.codecs)}
        )
        return decoded | {u for v in decoded if (u := _unescape(v)) is not None}

    def key(self, names: list[str]) -> object:
        """The group key of a sheet by the `name` attributes of its tag (calamine unescapes the value)."""
        if not names:
            return ""
        raw = names[0]
        plain = raw.isascii() and raw.isprintable()
        value = (
            _unescape(raw) if len(names) == 1 and (self.names == "sure" or self.names == "ascii" and plain) else None
        )
        if value is None or "\ufffd" in value:
            return UNSURE
        return name_key(value)


def xml_readings(data: bytes) -> list[XmlReading]:
    """The ways quick-xml may read an XML part: it parses markup as bytes and decodes values in the encoding
    of a byte order mark or declaration. Behind a UTF-16 mark, both the UTF-16 text and the ASCII markup
    (values decoded as UTF-16); with another declared encoding, the bytes (values in that encoding)."""
    if utf16 := UTF16.get(data[:2]):
        wide = "utf-16-be" if data[:2] in (b"\xfe\xff", b"\x00<") else "utf-16-le"
        return [
            XmlReading(data.decode(utf16, "replace"), None, "sure"),
            XmlReading(data.decode("latin-1"), (wide, "utf-8"), "unsure"),
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        return [XmlReading(data[3:].decode("utf-8", "replace"), None, "sure")]
    declared = _XML_ENCODING.match(data[:256].decode("latin-1").lstrip())
    label = declared.group(1).lower() if declared else "utf-8"
    if label in ("utf-8", "utf8"):
        return [XmlReading(data.decode("utf-8", "replace"), None, "sure")]
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        codec = "?"
    names = "ascii" if _ASCII_ENCODINGS.fullmatch(label) else "unsure"
    return [XmlReading(data.decode("latin-1"), (codec,), names)]


def tag_attributes(text: str, pos: int) -> list[tuple[str, str]]:
    """The attributes of the tag whose name ends at pos, as written (quick-xml does not unescape them)."""
    out = []
    while m := _ATTRIBUTE.match(text, pos):
        out.append((m.group(1), m.group(2) if m.group(2) is not None else m.group(3)))
        pos = m.end()
    return out


def _unescape(value: str) -> str | None:
    """An attribute value with its references resolved as quick-xml resolves them (None if one cannot be)."""
    if "&" not in value:
        return value
    if "&" in _REFERENCE.sub("", value):
        return None
    return _REFERENCE.sub(_resolve, value)


def _resolve(m: re.Match[str]) -> str:
    if m.group(3):
        return _PREDEFINED[m.group(3)]
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    return chr(code) if code < 0x110000 else "\ufffd"


def basename(name: str) -> str:
    return norm(name).rpartition("/")[2]


def _part_path(target: str) -> str:
    """The part a relationship target names, as calamine forms it."""
    return target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else "xl/" + target


def sheet_reads(parts: dict[str, bytes], by_norm: dict[str, str], areas: dict[str, int]) -> None:
    """The cells calamine reads, sheet by sheet: each `<sheet>` of xl/workbook.xml reads the part its
    relationship names, however many sheets name the same part, and sheets are looked up by name (see
    Reads). Parsed as quick-xml parses them (local names after the first ':', the literal attributes
    `name`, `r:id`/`relationships:id`, `Id` and `Target`, values as written), counting more wherever
    in doubt: a `<sheet` or `<Relationship` tag is parsed from wherever it appears (also in comments),
    every target given to an Id counts, escaped and unescaped, and each way the bytes may be decoded
    (see xml_readings) is bounded on its own. `parts`: inflated members by name; `areas`: measured ones'."""
    data = parts.get(by_norm.get("xl/workbook.xml", ""))
    if data is None:
        return  # no sheet to read
    largest = max(areas.values(), default=0)
    if data[:2] not in UTF16 and (tags := data.count(b"sheet")) <= MAX_SHEETS and tags * largest <= MAX_CELLS:
        return  # every sheet tag spells "sheet" in ASCII bytes and reads at most the largest part
    rels = parts.get(by_norm.get("xl/_rels/workbook.xml.rels", ""))
    if rels is None:
        return  # calamine cannot open a workbook without its relationships
    targets = _relationship_targets(rels)
    for reading in xml_readings(data):
        reads = Reads()
        for tag in _SHEET_TAG.finditer(reading.text):  # at most MAX_SHEETS (reads.add)
            attrs = tag_attributes(reading.text, tag.end())
            area = _sheet_area(attrs, targets, by_norm, areas, largest)
            reads.add(reading.key([v for k, v in attrs if k == "name"]), area)


def _relationship_targets(rels: bytes) -> dict[str, set[str]]:
    """Id -> every target given to it, in every reading of the relationships part."""
    targets: dict[str, set[str]] = {}
    for reading in xml_readings(rels):
        for count, tag in enumerate(_REL_TAG.finditer(reading.text)):
            if count >= MAX_RELATIONSHIPS:
                raise bomb(f"hơn {num(MAX_RELATIONSHIPS)} quan hệ giữa các phần của sổ làm việc")
            attrs = tag_attributes(reading.text, tag.end())
            given = {v for k, t in attrs if k == "Target" for v in reading.values(t)}
            for key, rid in attrs:
                if key == "Id":
                    targets.setdefault(rid, set()).update(given)
    return targets


def _sheet_area(
    attrs: list[tuple[str, str]],
    targets: dict[str, set[str]],
    by_norm: dict[str, str],
    areas: dict[str, int],
    largest: int,
) -> int:
    """The largest area among the parts a `<sheet>` tag's relationship ids may name."""
    area = 0
    for key, rid in attrs:
        for target in targets.get(rid, ()) if key in ("r:id", "relationships:id") else ():
            if target == ANY_PART:
                area = largest
            elif part := by_norm.get(norm(_part_path(target))):
                area = max(area, areas.get(part, 0))
    return area


def media_entities(
    images: set[str], members: list[Member], parts: dict[str, bytes], inflated: Callable[[Member], bytes]
) -> None:
    """An SVG image with a DOCTYPE/ENTITY declaration (`images`), refused only if calamine may parse it:
    calamine reads no media, but an xlsx part is read wherever a relationship names it. So the image is
    refused when a relationship names it (by file name, in any ASCII case, escaped or not), in any
    relationships part but those of drawings and charts (where images are named, and which calamine never
    reads). `inflated` gives a member's bytes when `parts` does not hold them."""
    wanted = {basename(n) for n in images}
    seen = 0
    for m in members:
        name = norm(m.name)
        if not name.endswith(".rels") or name.startswith(("xl/drawings/_rels/", "xl/charts/_rels/")):
            continue
        for reading in xml_readings(parts.get(m.name) or inflated(m)):
            if (
                reading.codecs is None
                and "&" not in reading.text
                and not any(w in reading.text.lower() for w in wanted)
            ):
                continue  # names none of them
            for tag in _REL_TAG.finditer(reading.text):
                seen += 1
                for key, value in tag_attributes(reading.text, tag.end()):
                    if key != "Target":
                        continue
                    named = {basename(v) for v in reading.values(value)}
                    if seen > MAX_RELATIONSHIPS or ANY_PART in named or wanted & named:
                        raise entities(min(images))
