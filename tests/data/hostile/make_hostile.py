"""Builds hostile (and a few awkward but acceptable) sample files for tests/test_guards.py.

Usage: python tests/data/hostile/make_hostile.py OUT_DIR   (writes every sample into OUT_DIR)

Nothing is committed: every sample is generated, deterministically, in a few seconds. Big XML is
streamed into the zip so the generator stays low on memory, and each file stays under 2 MB on disk.
Valid bases come from the project's own writer (pipeline.workbook.write_template).
"""

from __future__ import annotations

import random
import struct
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.guards import MAX_UNPACKED_BYTES, MAX_ZIP_ENTRIES
from pipeline.paths import packaged_config
from pipeline.periods import parse_period
from pipeline.programme import load_programmes
from pipeline.units import load_units
from pipeline.workbook import write_template

SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# --------------------------------------------------------------------------------------------- valid bases


def template(folder: Path, name: str = "template.xlsx") -> Path:
    """The official blank template for Bù Đăng, March 2012."""
    unit = load_units(packaged_config()).find("Bù Đăng")
    return write_template(load_programmes(packaged_config())[0], unit, parse_period("2012-03"), folder / name)


def _members(folder: Path) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(template(Path(tmp))) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def _rezip(folder: Path, name: str, replace: dict[str, bytes | Callable[[zipfile.ZipFile], None]]) -> Path:
    """The template with some members replaced: bytes, or a writer that streams the member itself."""
    out = folder / name
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in _members(folder).items():
            new = replace.get(member, data)
            if callable(new):
                new(z)
            else:
                z.writestr(member, new)
    return out


def _sheet_with(prolog: bytes, cells: bytes) -> bytes:
    return (
        prolog + f'<worksheet xmlns="{NS}"><sheetData><row r="1">'.encode() + cells + b"</row></sheetData></worksheet>"
    )


def _deflated(member: str, chunks: Iterator[bytes]) -> Callable[[zipfile.ZipFile], None]:
    def write(z: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as w:
            for chunk in chunks:
                w.write(chunk)

    return write


# ------------------------------------------------------------------------------------- not workbooks at all


def empty(folder: Path) -> Path:
    (p := folder / "empty.xlsx").write_bytes(b"")
    return p


def truncated(folder: Path) -> Path:
    data = template(folder, "whole.xlsx").read_bytes()
    (folder / "whole.xlsx").unlink()
    (p := folder / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    return p


def random_bytes(folder: Path) -> Path:
    (p := folder / "random.xlsx").write_bytes(random.Random(1).randbytes(4096))
    return p


def csv_renamed(folder: Path) -> Path:
    text = "STT,Mã số,Chỉ tiêu,Đơn vị tính,Thực hiện\n1,P1.1,Số cơ sở,cơ sở,3\n2,P1.2,Số lớp,lớp,2\n"
    (p := folder / "csv.xlsx").write_bytes(text.encode("utf-8"))
    return p


def html_renamed(folder: Path) -> Path:
    html = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'></head><body><table><tr><td>Bù Đăng</td></tr>"
        "</table></body></html>\n"
    )
    (p := folder / "html.xlsx").write_bytes(html.encode("utf-8"))
    return p


def pdf_renamed(folder: Path) -> Path:
    (p := folder / "pdf.xlsx").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    return p


def docx_renamed(folder: Path) -> Path:
    with zipfile.ZipFile(p := folder / "docx.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return p


def xlsm_with_macro(folder: Path) -> Path:
    """An .xlsm with a (fake) VBA project: read like an .xlsx, the macro is never run."""
    ct = _members(folder)["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )

    def add(z: zipfile.ZipFile) -> None:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("xl/vbaProject.bin", cfb({"VBA": b'Attribute VB_Name = "Module1"\r\nSub Auto_Open()\r\n'}))

    return _rezip(folder, "macro.xlsm", {"[Content_Types].xml": add})


# ---------------------------------------------------------------------------------------------- zip abuse


def zip_bomb(folder: Path) -> Path:
    """sheet1.xml unpacks to MAX_UNPACKED_BYTES + 10 MiB of rows (a few hundred KB on disk)."""
    row = b"<row><c><v>0</v></c></row>"
    block = row * (1024 * 1024 // len(row))
    count = (MAX_UNPACKED_BYTES + 10 * 1024 * 1024) // len(block)
    head = f'<worksheet xmlns="{NS}"><sheetData>'.encode()
    chunks = iter([head, *([block] * count), b"</sheetData></worksheet>"])
    return _rezip(folder, "bomb.xlsx", {SHEET: _deflated(SHEET, chunks)})


def ratio_bomb(folder: Path, name: str = "ratio.xlsx") -> Path:
    """A small bomb: 3 MiB of whitespace in the sheet, about 1000:1, well under MAX_UNPACKED_BYTES."""
    base = _members(folder)[SHEET]
    chunks = iter([base[: -len(b"</worksheet>")], *([b" " * (1024 * 1024)] * 3), b"</worksheet>"])
    return _rezip(folder, name, {SHEET: _deflated(SHEET, chunks)})


def lying_sizes(folder: Path) -> Path:
    """The sheet's declared uncompressed size (local header and central directory) shrunk to 1000 bytes."""
    p = ratio_bomb(folder, "lying.xlsx")
    data = bytearray(p.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    pos = struct.unpack_from("<I", data, eocd + 16)[0]
    while data[pos : pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<3H", data, pos + 28)
        name = bytes(data[pos + 46 : pos + 46 + n]).decode()
        if name == SHEET:
            local = struct.unpack_from("<I", data, pos + 42)[0]
            struct.pack_into("<I", data, pos + 24, 1000)
            struct.pack_into("<I", data, local + 22, 1000)
        pos += 46 + n + m + k
    p.write_bytes(bytes(data))
    return p


def too_many_entries(folder: Path) -> Path:
    def pad(z: zipfile.ZipFile) -> None:
        for i in range(MAX_ZIP_ENTRIES + 1):
            z.writestr(f"xl/media/pad{i}.xml", "<a/>")

    return _rezip(folder, "entries.xlsx", {"docProps/app.xml": pad})


def bad_crc(folder: Path) -> Path:
    """One byte of the sheet's stored data flipped: inflates to the declared size, fails its CRC."""
    p = folder / "crc.xlsx"
    members = _members(folder)
    with zipfile.ZipFile(p, "w") as z:
        for name, data in members.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    data = bytearray(p.read_bytes())
    at = data.find(b"<sheetData>") + 20
    data[at] ^= 0x01
    p.write_bytes(bytes(data))
    return p


# ---------------------------------------------------------------------------------------------- XML abuse

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n'
        % (i, b"".join(b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode()) for _ in range(10)))
        for i in range(1, 10)
    )
    + b"]>\n"
)


def billion_laughs(folder: Path) -> Path:
    sheet = _sheet_with(LAUGHS, b'<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>')
    return _rezip(folder, "laughs.xlsx", {SHEET: sheet})


def external_entity(folder: Path) -> Path:
    prolog = b'<?xml version="1.0"?>\n<!DOCTYPE ws [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    sheet = _sheet_with(prolog, b'<c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c>')
    return _rezip(folder, "xxe.xlsx", {SHEET: sheet})


def utf16_entity(folder: Path) -> Path:
    """The external entity again, in sharedStrings-like part written as UTF-16 (with a BOM)."""
    xml = '<?xml version="1.0" encoding="UTF-16"?><!doctype sst [<!ENTITY x SYSTEM "file:///etc/passwd">]><sst/>'
    return _rezip(folder, "utf16.xlsx", {"docProps/app.xml": xml.encode("utf-16")})


# ------------------------------------------------------------------------------------------- size of sheets


def _million_rows(dimension: bool) -> Iterator[bytes]:
    """1 000 000 rows of one cell, with a random value and random whitespace so that it does not
    compress past the ratio bound (~25 MB unpacked, ~1 MB on disk)."""
    rng = random.Random(7)
    variants = [b"<row><c><v>%d</v></c></row>%s" % (d, ws) for d in range(10) for ws in (b"", b" ", b"\n", b"\t")]
    yield f'<worksheet xmlns="{NS}">'.encode()
    if dimension:
        yield b'<dimension ref="A1:A1000000"/>'
    yield b"<sheetData>"
    for _ in range(100):
        yield b"".join(rng.choices(variants, k=10_000))
    yield b"</sheetData></worksheet>"


def million_rows(folder: Path) -> Path:
    return _rezip(folder, "million.xlsx", {SHEET: _deflated(SHEET, _million_rows(True))})


def million_rows_no_dimension(folder: Path) -> Path:
    return _rezip(folder, "million_nodim.xlsx", {SHEET: _deflated(SHEET, _million_rows(False))})


def sparse_cells(folder: Path) -> Path:
    """Two cells, A1 and XFD20000: calamine would allocate 20 000 x 16 384 cells densely."""
    sheet = (
        f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="20000"><c r="XFD20000"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()
    return _rezip(folder, "sparse.xlsx", {SHEET: sheet})


def hidden_reference(folder: Path) -> Path:
    """A cell reference written with a character reference (&#88; = X), which a regex would not see."""
    sheet = (
        f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c>'
        '<c r="&#88;FD1"><v>1</v></c></row></sheetData></worksheet>'
    ).encode()
    return _rezip(folder, "hidden_ref.xlsx", {SHEET: sheet})


def big_but_fine(folder: Path, rows: int = 20_000, cols: int = 50) -> Path:
    """The largest sheet the guard lets through: MAX_ROWS rows x 50 columns = MAX_CELLS numbers (cells
    without r=, one random digit each, so that it stays under 1 MB on disk and under the ratio bound)."""
    rng = random.Random(11)
    cells = [b"<c><v>%d</v></c>" % d for d in range(10)]

    def chunks() -> Iterator[bytes]:
        yield f'<worksheet xmlns="{NS}"><sheetData>'.encode()
        for i in range(1, rows + 1):
            yield b'<row r="%d">' % i + b"".join(rng.choices(cells, k=cols)) + b"</row>"
        yield b"</sheetData></worksheet>"

    return _rezip(folder, "big_ok.xlsx", {SHEET: _deflated(SHEET, chunks())})


# ------------------------------------------------------------------------------------------------------ ods

_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _ods(folder: Path, name: str, rows: str, manifest_extra: str = "") -> Path:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="BaoCao">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
        'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        f'manifest:full-path="content.xml" manifest:media-type="text/xml">{manifest_extra}'
        "</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(p := folder / name, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return p


_VALUE = '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'


def ods_fine(folder: Path) -> Path:
    """A LibreOffice-like sheet: 3 rows, then the customary huge repeat of empty rows and columns."""
    rows = (
        f'<table:table-row>{_VALUE * 3}<table:table-cell table:number-columns-repeated="1021"/></table:table-row>'
        * 3
        + '<table:table-row table:number-rows-repeated="1048573"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>'
    )
    return _ods(folder, "fine.ods", rows)


def ods_repeat_rows(folder: Path) -> Path:
    """Empty rows repeated a million times between two values: calamine fills them all in."""
    rows = (
        f"<table:table-row>{_VALUE}</table:table-row>"
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
        f"<table:table-row>{_VALUE}</table:table-row>"
    )
    return _ods(folder, "repeat_rows.ods", rows)


def ods_repeat_cells(folder: Path) -> Path:
    """A value repeated over 10 000 columns in 200 rows: 2 000 000 cells from a few hundred bytes."""
    cell = _VALUE.replace("<table:table-cell ", '<table:table-cell table:number-columns-repeated="10000" ')
    row = f'<table:table-row table:number-rows-repeated="200">{cell}</table:table-row>'
    return _ods(folder, "repeat_cells.ods", row)


def ods_encrypted(folder: Path) -> Path:
    extra = (
        '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA">'
        '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="AAAA"/>'
        "</manifest:encryption-data>"
    )
    return _ods(folder, "encrypted.ods", f"<table:table-row>{_VALUE}</table:table-row>", extra)


# ---------------------------------------------------------------------------------------- OLE2 (hand-made)

_END, _FREE, _FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal compound file (version 3, 512-byte sectors, one FAT sector, no mini stream): every stream
    is padded with zeros to at least 4096 bytes so that it lives in regular sectors."""
    streams = {k: v if len(v) >= 4096 else v + b"\x00" * (4096 - len(v)) for k, v in streams.items()}
    entries = [("Root Entry", 5, _END, 0)]
    fat: list[int] = [_FATSECT]
    dir_sectors = (len(streams) + 1 + 3) // 4
    fat += [i + 2 for i in range(dir_sectors - 1)] + [_END]
    body = b""
    for name, data in streams.items():
        first, n = len(fat), (len(data) + 511) // 512
        fat += [first + i + 1 for i in range(n - 1)] + [_END]
        body += data + b"\x00" * (n * 512 - len(data))
        entries.append((name, 2, first, len(data)))
    if len(fat) > 128:
        raise ValueError("streams too large for one FAT sector")
    fat += [_FREE] * (128 - len(fat))
    directory = b""
    for i, (name, etype, start, size) in enumerate(entries):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        child = 1 if etype == 5 and len(entries) > 1 else _FREE
        right = i + 1 if etype == 2 and i + 1 < len(entries) else _FREE
        directory += (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB3I", len(encoded), etype, 1, _FREE, right, child)
            + b"\x00" * 36
            + struct.pack("<IQ", start, size)
        )
    directory = directory.ljust(dir_sectors * 512, b"\x00")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<109I", 0, *([_FREE] * 108))
    )
    return header + struct.pack("<128I", *fat) + directory + body


def _record(rtype: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", rtype, len(body)) + body


def _biff(sheet_records: bytes, globals_extra: bytes = b"") -> bytes:
    """A BIFF8 Workbook stream: globals (BOF, extra records, one BOUNDSHEET "BaoCao", EOF), then one sheet."""
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0))
    bof_sheet = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0))
    name = b"BaoCao"
    sheet_at = len(bof_globals) + len(globals_extra) + 4 + 8 + len(name) + 4
    boundsheet = _record(0x0085, struct.pack("<IBBBB", sheet_at, 0, 0, len(name), 0) + name)
    return bof_globals + globals_extra + boundsheet + _record(0x000A) + bof_sheet + sheet_records + _record(0x000A)


def _number(row: int, col: int, value: float) -> bytes:
    return _record(0x0203, struct.pack("<HHHd", row, col, 15, value))


def encrypted_ooxml(folder: Path) -> Path:
    """What Excel writes for an .xlsx with a password to open: an OLE2 file, not a zip."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>"  # agile encryption header (content not checked)
    package = struct.pack("<Q", 8000) + random.Random(3).randbytes(8000)
    (p := folder / "encrypted.xlsx").write_bytes(cfb({"EncryptionInfo": info, "EncryptedPackage": package}))
    return p


def xls_small(folder: Path, name: str = "small.xls") -> Path:
    (p := folder / name).write_bytes(cfb({"Workbook": _biff(_number(0, 0, 1.0) + _number(56, 6, 2.0))}))
    return p


def xls_filepass(folder: Path) -> Path:
    filepass = _record(0x002F, struct.pack("<HHH", 1, 1, 1) + b"\x00" * 48)  # RC4 header, contents not checked
    (p := folder / "filepass.xls").write_bytes(cfb({"Workbook": _biff(_number(0, 0, 1.0), filepass)}))
    return p


def xls_sparse(folder: Path) -> Path:
    """Two cells, A1 and IV65536: the whole BIFF8 sheet (65 536 x 256 cells) once densely allocated."""
    (p := folder / "sparse.xls").write_bytes(cfb({"Workbook": _biff(_number(0, 0, 1.0) + _number(65535, 255, 1.0))}))
    return p


def doc_renamed(folder: Path) -> Path:
    (p := folder / "doc.xls").write_bytes(cfb({"WordDocument": b"\xec\xa5" + b"\x00" * 100}))
    return p


# ------------------------------------------------------------------------------------------------- names

ODD_NAMES = [
    "báo cáo tháng 3.xlsx",
    unicodedata.normalize("NFD", "Bù Đăng – Báo cáo quý I (bản cuối).xlsx"),
    "-rf --help.xlsx",
    'it\'s "final" #1 100%.xlsx',
    "📊 khuyến công 😀.xlsx",
    "$(echo pwned); `id` & | ; <x>.xlsx",
    "Đồng Xoài " * 14 + ".xlsx",  # ~ 230 bytes: long, yet under the usual 255-byte file-system limit
]


def odd_names(folder: Path) -> list[Path]:
    base = template(folder, "base.xlsx").read_bytes()
    (folder / "base.xlsx").unlink()
    paths = []
    for name in ODD_NAMES:
        (p := folder / name).write_bytes(base)
        paths.append(p)
    return paths


BUILDERS: dict[str, Callable[[Path], Path]] = {
    f.__name__: f
    for f in (
        xlsm_with_macro,
        empty,
        truncated,
        random_bytes,
        csv_renamed,
        html_renamed,
        pdf_renamed,
        docx_renamed,
        zip_bomb,
        ratio_bomb,
        lying_sizes,
        too_many_entries,
        bad_crc,
        billion_laughs,
        external_entity,
        utf16_entity,
        million_rows,
        million_rows_no_dimension,
        sparse_cells,
        hidden_reference,
        big_but_fine,
        ods_fine,
        ods_repeat_rows,
        ods_repeat_cells,
        ods_encrypted,
        encrypted_ooxml,
        xls_small,
        xls_filepass,
        xls_sparse,
        doc_renamed,
    )
}


def build_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    built = {name: build(folder) for name, build in BUILDERS.items()}
    built.update({f"odd_name_{i}": p for i, p in enumerate(odd_names(folder))})
    return built


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for key, path in build_all(Path(sys.argv[1])).items():
        print(f"{key:28} {path.stat().st_size:>10,}  {path.name}")
