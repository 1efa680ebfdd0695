"""A zip's members (xlsx, xlsm, ods), every one inflated in bounded chunks whatever its name: real sizes
and CRCs against the directory, DOCTYPE/ENTITY declarations in any text, and each member handed to what
calamine reads in it (pipeline.guards.xlsx, pipeline.guards.ods). The scanners see each member in pieces cut
just before a '<', so that no tag or attribute is ever split."""

from __future__ import annotations

import codecs
import functools
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import NamedTuple

from pipeline.guards.limits import CHUNK, OLE_MAGIC, ZIP_MAGIC, Extents, Refused
from pipeline.guards.ods import ManifestScan, OdsSheets
from pipeline.guards.xlsx import IMAGE, UTF16, SheetProbe, UniqueCount, XlsxSheet, media_entities, sheet_reads
from pipeline.guards.zip_directory import (
    ZIP_DEFLATED,
    ZIP_STORED,
    Member,
    bomb,
    check_directory,
    damaged,
    entities,
    norm,
)

WORKBOOK_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml")  # kept in Checked.parts

_LOCAL_NAME_EXTRA = struct.Struct("<HH")  # at offset 26 of a local header (30 bytes)
_SHEET_PATH = re.compile(r"(^|/)(worksheets|dialogsheets|macrosheets)/[^/]+$", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_ENTITY = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)  # ASCII-only folding, as bytes.lower()
_BINARY = (OLE_MAGIC, ZIP_MAGIC, b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x01\x00\x00\x00", b"\xd7\xcd\xc6\x9a")


def check_zip(data: bytes) -> tuple[str, dict[str, bytes]]:
    """The zip's kind ("xlsx" or "ods") and (xlsx) the parts kept while inflating; refused on the first
    problem found in its directory, then in its members in directory order."""
    kind, members, by_norm = check_directory(data)
    scan = ZipScan(kind, data, by_norm)
    for m in members:
        scan.member(m)
    if kind == "xlsx":
        sheet_reads(scan.parts, by_norm, scan.extents.areas)
        if scan.images:
            media_entities(scan.images, members, scan.parts, scan.inflated)
    return kind, scan.parts


def _name_facts(kind: str, name: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    """What a member's name says: (ods manifest, ods content, XML by its suffix, a worksheet by its path,
    xlsx shared strings, which calamine finds ignoring case, an SVG image)."""
    return _usual_name_facts(kind, name) if len(name) <= 128 else _read_name(kind, name)


def _read_name(kind: str, name: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    lowered = name.lower()
    return (
        kind == "ods" and lowered == "meta-inf/manifest.xml",
        kind == "ods" and lowered == "content.xml",
        lowered.endswith((".xml", ".rels", ".vml")),
        _SHEET_PATH.search(name) is not None,
        kind == "xlsx" and "sharedstrings" in lowered,
        IMAGE.fullmatch(norm(name)) is not None,
    )


_usual_name_facts = functools.lru_cache(maxsize=512)(_read_name)  # the same few names in every workbook


class _Plan(NamedTuple):
    """How a member is scanned, decided from its name and first chunk."""

    binary: bool  # a recognised binary: no text scan
    utf16: str | None  # the text scan transcodes it to UTF-8 first
    role: str  # text handler: "manifest", "content" (ods) or "sheet" (xlsx, by path or root), else ""
    probe: bool  # xlsx, not measured as raw bytes from its start: measured from its first sheetData on
    shared: bool  # xlsx shared strings: bound their uniqueCount (raw bytes)
    image: bool  # an SVG image: a DOCTYPE/ENTITY in it is refused only if calamine may parse it (media_entities)


_Handler = Callable[[bytes, bool], None]


class ZipScan:
    """Inflates every member in bounded chunks, counting real sizes and scanning what readers parse."""

    def __init__(self, kind: str, data: bytes, by_norm: dict[str, str]):
        self.kind = kind
        self.data = data
        self.view = memoryview(data)
        self.by_norm = by_norm  # member names as calamine's xlsx reader compares them -> as stored
        self.kept = {by_norm[n] for n in WORKBOOK_PARTS if n in by_norm}  # kept in parts, whatever their case
        self.unpacked = 0
        self.extents = Extents()
        self.parts: dict[str, bytes] = {}
        self.images: set[str] = set()  # SVG images holding a DOCTYPE/ENTITY declaration

    def member(self, m: Member) -> None:
        data, name = self.data, m.name
        at = m.header_offset
        if at + 30 > len(data) or not data.startswith(ZIP_MAGIC, at):
            raise damaged(f"đầu mục {name!r} sai")
        n, k = _LOCAL_NAME_EXTRA.unpack_from(data, at + 26)
        start = at + 30 + n + k
        end = start + m.compress_size
        if end > len(data):
            raise damaged(f"thành phần {name!r} bị cắt cụt")
        whole = self._whole(m, start, end) if m.file_size <= CHUNK else None
        if whole is None:
            self._stream(m, start, end)
            return
        if zlib.crc32(whole) != m.crc:
            raise damaged(f"thành phần {name!r} sai kích thước hoặc mã kiểm tra CRC")
        self.unpacked += len(whole)
        if self._scan_whole(name, whole) or name in self.kept:
            self.parts[name] = whole

    def _whole(self, m: Member, start: int, end: int) -> bytes | None:
        """A small member in one piece, when it inflates exactly as declared (else None: the chunked path
        then inflates it again and reports what is wrong)."""
        if m.compress_type != ZIP_DEFLATED:
            if m.compress_size != m.file_size:
                return None
            whole = self.data[start:end]
        elif m.compress_size > CHUNK:
            return None
        else:
            inflater = zlib.decompressobj(-15)
            try:
                whole = inflater.decompress(self.view[start:end], CHUNK)
            except zlib.error:
                return None
            if not inflater.eof:
                return None
        return whole if whole and len(whole) == m.file_size else None

    def _inflate(self, m: Member, start: int, end: int) -> Iterator[tuple[bytes, bool]]:
        """A member's bytes chunk by chunk, each with whether its stream ends there; refused if the deflate
        stream is bad or cut short."""
        if m.compress_type != ZIP_DEFLATED:
            for pos in range(start, end, CHUNK):
                yield self.data[pos : min(pos + CHUNK, end)], pos + CHUNK >= end
            return
        inflater = zlib.decompressobj(-15)
        pos = start
        try:
            while inflater.unconsumed_tail or pos < end:
                if inflater.unconsumed_tail:
                    out = inflater.decompress(inflater.unconsumed_tail, CHUNK)
                else:
                    out = inflater.decompress(self.view[pos : min(pos + CHUNK, end)], CHUNK)
                    pos = min(pos + CHUNK, end)
                if out:
                    yield out, inflater.eof
                elif inflater.eof:
                    break
        except zlib.error as exc:
            raise damaged(f"dữ liệu nén của {m.name!r} sai") from exc
        if not inflater.eof:
            raise damaged(f"thành phần {m.name!r} bị cắt cụt")

    def _stream(self, m: Member, start: int, end: int) -> None:
        """Inflates a member chunk by chunk, scanning each chunk as it comes (a content refusal waits for
        the member's end: damage, its size and CRC, are reported first)."""
        feed = _MemberFeed(self, m.name)
        total = crc = 0
        for out, last in self._inflate(m, start, end):
            total += len(out)
            if total > m.file_size:  # declared sizes were checked against the bounds: hold it to them
                raise bomb(f"thành phần {m.name!r} giải nén ra nhiều hơn khai báo")
            crc = zlib.crc32(out, crc)
            feed.chunk(out, total == len(out), last and total == m.file_size)
        if total != m.file_size or crc != m.crc:
            raise damaged(f"thành phần {m.name!r} sai kích thước hoặc mã kiểm tra CRC")
        feed.finish()
        self.unpacked += total
        if (kept := feed.kept()) is not None:
            self.parts[m.name] = kept

    def plan(self, name: str, first: bytes, at_start: bool) -> _Plan:
        """From a member's first chunk (or a later one while it looked binary)."""
        manifest, content, xml_name, sheet_path, shared, image = _name_facts(self.kind, name)
        binary = first.startswith(_BINARY) and not (manifest or content)  # calamine parses those two anyway
        utf16 = UTF16.get(first[:2])
        role = "manifest" if manifest else "content" if content else ""
        if (
            self.kind == "xlsx"
            and not binary
            and (xml_name or utf16 is not None or first[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"))
        ):
            if not sheet_path:
                root = _ROOT.search(first.decode(utf16, "replace").encode("utf-8") if utf16 else first)
                # no root in the first chunk (padded prolog): measure it as a sheet
                sheet_path = root is None or root.group(2).lower() in (b"worksheet", b"dialogsheet", b"macrosheet")
            role = "sheet" if sheet_path else ""
        xlsx = self.kind == "xlsx" and at_start
        return _Plan(binary, utf16, role, xlsx and not (role == "sheet" and utf16 is None), xlsx and shared, image)

    def _scan_whole(self, name: str, whole: bytes) -> bool:
        """A member in one piece, scanned as its sinks would scan it (see sinks); True if measured as a
        worksheet."""
        plan = self.plan(name, whole, True)
        measured = False
        if not plan.binary:
            text = whole.decode(plan.utf16, "replace").encode("utf-8") if plan.utf16 else whole
            if b"!" in text and _ENTITY.search(text):
                if not plan.image:
                    raise entities(name)
                self.images.add(name)
            measured = plan.role == "sheet"
            for handler in self._role_handlers(name, plan, []):
                handler(text, True)
        if plan.probe and b"sheetData" in whole:
            XlsxSheet(name, self.extents).feed(whole, True)
            measured = True
        if plan.shared:
            UniqueCount().feed(whole, True)
        return measured

    def _role_handlers(self, name: str, plan: _Plan, sheets: list[XlsxSheet | SheetProbe]) -> list[_Handler]:
        """What reads the member's text, by the plan's role (a worksheet is added to `sheets`)."""
        if plan.role == "sheet":
            sheet = XlsxSheet(name, self.extents)
            sheets.append(sheet)
            return [sheet.feed]
        if plan.role == "manifest":
            return [ManifestScan().feed]
        if plan.role == "content":
            return [OdsSheets(self.extents).feed]
        return []

    def sinks(self, name: str, plan: _Plan, sheets: list[XlsxSheet | SheetProbe]) -> tuple[_Sink | None, _Sink | None]:
        """The text sink (entity scan, then the plan's role, on the text transcoded from UTF-16) and the raw
        handlers (sheetData probe, uniqueCount bound), in the text sink if the text is the raw bytes, else in
        a sink of their own."""
        handlers = self._role_handlers(name, plan, sheets)
        raw_handlers: list[_Handler] = []
        if plan.probe:
            probe = SheetProbe(name, self.extents)
            sheets.append(probe)
            raw_handlers.append(probe.feed)
        if plan.shared:
            raw_handlers.append(UniqueCount().feed)
        images = self.images if plan.image else None
        if plan.binary or plan.utf16 is not None:
            raw = _Sink(name, raw_handlers, entities=False) if raw_handlers else None
            return None if plan.binary else _Sink(name, handlers, plan.utf16, images=images), raw
        return _Sink(name, handlers + raw_handlers, images=images), None

    def inflated(self, m: Member) -> bytes:
        """A member already checked (sizes, CRC), inflated again."""
        n, k = _LOCAL_NAME_EXTRA.unpack_from(self.data, m.header_offset + 26)
        start = m.header_offset + 30 + n + k
        raw = self.data[start : start + m.compress_size]
        return raw if m.compress_type == ZIP_STORED else zlib.decompress(raw, -15)


class _MemberFeed:
    """One streamed member's scanners, fed chunk by chunk: its sinks (planned on the first chunk, or again on
    each while it looks binary), the bytes kept for Checked.parts (xlsx), and the first content refusal,
    which waits until the whole member is inflated."""

    def __init__(self, scan: ZipScan, name: str):
        self.scan, self.name = scan, name
        self.keep: list[bytes] | None = [] if scan.kind == "xlsx" else None
        self.text: _Sink | None = None  # entity scan, ods parsing, worksheets by path or root (UTF-16 transcoded)
        self.raw: _Sink | None = None  # xlsx: the bytes as calamine parses them
        self.sheets: list[XlsxSheet | SheetProbe] = []
        self.pending: Refused | None = None
        self.closed = False  # the sinks have seen their final piece

    def chunk(self, out: bytes, at_start: bool, final: bool) -> None:
        if self.keep is not None:
            self.keep.append(out)
        if self.pending is not None:
            return  # refused already: inflated to its end only to check it
        try:
            if self.text is None:  # tried again on each chunk while the member looks binary
                text, raw = self.scan.sinks(self.name, self.scan.plan(self.name, out, at_start), self.sheets)
                self.text, self.raw = text, raw if at_start else self.raw
            for sink in (self.text, self.raw):
                if sink is not None:
                    sink.feed(out, final)
        except Refused as refused:
            self.pending, self.keep = refused, None
            return
        self.closed = final

    def finish(self) -> None:
        if self.pending is not None:
            raise self.pending
        if not self.closed:
            for sink in (self.text, self.raw):
                if sink is not None:
                    sink.feed(b"", final=True)

    def kept(self) -> bytes | None:
        """The member's bytes, if Checked.parts keeps them (a workbook part, or measured as a worksheet)."""
        if self.keep is None or not (self.name in self.scan.kept or any(s.measured for s in self.sheets)):
            return None
        return self.keep[0] if len(self.keep) == 1 else b"".join(self.keep)


class _Sink:
    """Receives a member's inflated bytes chunk by chunk (UTF-16 parts are transcoded to UTF-8 first) and
    hands its handlers whole pieces cut just before a '<': no pattern the handlers look for spans such a cut
    (each one either starts with the '<' or cannot contain one). A piece without any '<' is held, however
    long, until one comes: a bound on the carry would have to cut inside a tag, where a reference could
    hide (bounded anyway by the member's size, itself bounded by MAX_UNPACKED_BYTES). A text sink first
    looks for DOCTYPE/ENTITY declarations in each piece."""

    def __init__(
        self,
        name: str,
        handlers: list[_Handler],
        utf16: str | None = None,
        entities: bool = True,
        images: set[str] | None = None,
    ):
        self.name, self.handlers, self.entities = name, handlers, entities
        self.images = images  # an SVG image: a declaration is noted there (see xlsx.media_entities)
        self.decoder = codecs.getincrementaldecoder(utf16)("replace") if utf16 else None
        self.carry: list[bytes] = []

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.decoder is not None:
            data = self.decoder.decode(data, final).encode("utf-8")
        part = self._piece(data, final)
        if part is None:
            return
        if self.entities and b"!" in part and _ENTITY.search(part):
            if self.images is None:
                raise entities(self.name)
            self.images.add(self.name)
            self.entities = False
        if part or final:
            for h in self.handlers:
                h(part, final)

    def _piece(self, data: bytes, final: bool) -> bytes | None:
        """What is carried so far and `data`, up to its last '<' (all of it when final); None while no '<'
        has come."""
        if final:
            part = b"".join((*self.carry, data)) if self.carry else data
            self.carry = []
            return part
        cut = data.rfind(b"<")
        if cut < 0:
            if data:
                self.carry.append(data)
            return None
        part = b"".join((*self.carry, data[:cut])) if self.carry else data[:cut]
        self.carry = [data[cut:]]
        return part
