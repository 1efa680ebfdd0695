"""pipeline.guards: every hostile sample gets its exact refusal, good files pass, and the stated time and
memory bounds hold for inspect_file plus a calamine read (measured in a fresh subprocess)."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import struct
import subprocess
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from pipeline import guards
from pipeline.guards import MAX_FILE_BYTES, MAX_RSS_BYTES, Refusal, inspect_file
from pipeline.receipts import safe_name

_spec = importlib.util.spec_from_file_location("make_hostile", Path(__file__).parent / "data/hostile/make_hostile.py")
mh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mh)


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return mh.build_all(tmp_path_factory.mktemp("hostile"))


REFUSED = {
    "empty": "FILE_EMPTY",
    "truncated": "ZIP_DAMAGED",
    "bad_crc": "ZIP_DAMAGED",
    "random_bytes": "NOT_A_WORKBOOK",
    "csv_renamed": "NOT_A_WORKBOOK",
    "html_renamed": "NOT_A_WORKBOOK",
    "pdf_renamed": "NOT_A_WORKBOOK",
    "docx_renamed": "NOT_A_WORKBOOK",
    "doc_renamed": "NOT_A_WORKBOOK",
    "zip_bomb": "ZIP_BOMB",
    "ratio_bomb": "ZIP_BOMB",
    "lying_sizes": "ZIP_BOMB",
    "too_many_entries": "ZIP_BOMB",
    "billion_laughs": "XML_ENTITIES",
    "external_entity": "XML_ENTITIES",
    "utf16_entity": "XML_ENTITIES",
    "encrypted_ooxml": "PASSWORD_PROTECTED",
    "xls_filepass": "PASSWORD_PROTECTED",
    "ods_encrypted": "PASSWORD_PROTECTED",
    "million_rows": "TOO_MANY_ROWS",
    "million_rows_no_dimension": "TOO_MANY_ROWS",
    "hidden_reference": "TOO_MANY_ROWS",
    "ods_repeat_rows": "TOO_MANY_ROWS",
    "xls_sparse": "TOO_MANY_ROWS",
    "sparse_cells": "TOO_MANY_CELLS",
    "ods_repeat_cells": "TOO_MANY_CELLS",
}
ACCEPTED = [
    "xlsm_with_macro",
    "big_but_fine",
    "ods_fine",
    "xls_small",
    *(f"odd_name_{i}" for i in range(len(mh.ODD_NAMES))),
]


def test_every_builder_is_covered() -> None:
    assert set(mh.BUILDERS) == set(REFUSED) | {a for a in ACCEPTED if not a.startswith("odd_name_")}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_file_is_refused_with_its_code(samples: dict[str, Path], name: str) -> None:
    refusal = inspect_file(samples[name])
    assert refusal is not None and refusal.code == REFUSED[name], refusal
    assert refusal.message == unicodedata.normalize("NFC", refusal.message)
    assert refusal.message.endswith(".") and len(refusal.message) < 400


@pytest.mark.parametrize("name", ACCEPTED)
def test_good_file_passes_and_calamine_reads_it(samples: dict[str, Path], name: str) -> None:
    path = samples[name]
    assert inspect_file(path) is None
    with open(path, "rb") as f:
        wb = CalamineWorkbook.from_filelike(f)
    assert wb.sheet_names and all(wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names)


def test_generated_samples_are_small(samples: dict[str, Path]) -> None:
    assert max(p.stat().st_size for p in samples.values()) < 2 * 1024 * 1024


def test_template_passes(tmp_path: Path) -> None:
    path = mh.template(tmp_path)
    assert inspect_file(path) is None
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["BaoCao"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("csv_renamed", "CSV"),
        ("html_renamed", "HTML"),
        ("pdf_renamed", "PDF"),
        ("docx_renamed", "Word"),
        ("doc_renamed", "Word"),
    ],
)
def test_not_a_workbook_names_what_it_is(samples: dict[str, Path], name: str, kind: str) -> None:
    assert kind in inspect_file(samples[name]).message


def test_detect_format(samples: dict[str, Path], tmp_path: Path) -> None:
    assert guards.detect_format(samples["ods_fine"]) == guards.detect_format(samples["big_but_fine"]) == "zip"
    assert guards.detect_format(samples["xls_small"]) == guards.detect_format(samples["encrypted_ooxml"]) == "ole2"
    assert guards.detect_format(samples["csv_renamed"]) is None and guards.detect_format(tmp_path) is None
    os.mkfifo(fifo := tmp_path / "pipe.xlsx")
    assert guards.detect_format(fifo) is None and guards.detect_format(tmp_path / "missing.xlsx") is None


def test_refusal_is_frozen(samples: dict[str, Path]) -> None:
    r = inspect_file(samples["empty"])
    assert isinstance(r, Refusal)
    with pytest.raises(AttributeError):
        r.code = "other"  # type: ignore[misc]


# -------------------------------------------------------------------------------------- special file kinds


def test_too_large_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    assert inspect_file(path).code == "FILE_TOO_LARGE"
    with open(path, "wb") as f:
        f.truncate(2 * 1024**3)
    refusal = inspect_file(path)
    assert "Tệp quá lớn (2.048,0 MB, tối đa 20,0 MB)" in refusal.message  # the Vietnamese way, as on the receipt


def test_directory_fifo_and_missing_file_are_refused(tmp_path: Path) -> None:
    assert inspect_file(tmp_path).code == "NOT_A_WORKBOOK"
    assert inspect_file(tmp_path / "missing.xlsx").code == "NOT_A_WORKBOOK"
    os.mkfifo(fifo := tmp_path / "pipe.xlsx")  # opening a FIFO must not block waiting for a writer
    assert inspect_file(fifo).code == "NOT_A_WORKBOOK"


def test_renamed_workbooks_are_accepted_and_checked_as_what_they_are(samples: dict[str, Path], tmp_path: Path) -> None:
    ods_as_xlsx = tmp_path / "really_ods.xlsx"
    ods_as_xlsx.write_bytes(samples["ods_fine"].read_bytes())
    xls_as_xlsx = tmp_path / "really_xls.xlsx"
    xls_as_xlsx.write_bytes(samples["xls_small"].read_bytes())
    bomb_as_ods = tmp_path / "bomb.ods"
    bomb_as_ods.write_bytes(samples["ods_repeat_rows"].read_bytes())
    for path in (ods_as_xlsx, xls_as_xlsx):
        assert inspect_file(path) is None
        with open(path, "rb") as f:  # from_filelike sniffs the content; from_path goes by the suffix
            assert CalamineWorkbook.from_filelike(f).sheet_names == ["BaoCao"]
        refusal = inspect_file(path, allow_renamed=False)
        assert refusal.code == "EXTENSION_MISMATCH" and ".xlsx" in refusal.message
    (sparse := tmp_path / "sparse.xlsx").write_bytes(samples["xls_sparse"].read_bytes())
    assert inspect_file(sparse).code == "TOO_MANY_ROWS"
    assert inspect_file(bomb_as_ods).code == "TOO_MANY_ROWS"
    (odd := tmp_path / "report.csv").write_bytes(samples["xls_small"].read_bytes())
    assert inspect_file(odd).code == "EXTENSION_MISMATCH"


def test_damaged_ole2(samples: dict[str, Path], tmp_path: Path) -> None:
    junk = tmp_path / "junk.xls"
    junk.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(5).randbytes(3000))
    assert inspect_file(junk).code == "XLS_DAMAGED"
    # an encrypted xlsx whose header is broken is still recognised by its stream names
    data = bytearray(samples["encrypted_ooxml"].read_bytes())
    data[0x1E] = 0x0A
    (broken := tmp_path / "broken.xlsx").write_bytes(bytes(data))
    assert inspect_file(broken).code == "PASSWORD_PROTECTED"


def test_guard_opens_nothing_but_the_file(samples: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real_open = os.open

    def spy(path, *args, **kwargs):
        opened.append(os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    for name in ("external_entity", "billion_laughs", "utf16_entity", "ods_fine", "xls_small"):
        opened.clear()
        inspect_file(samples[name])
        assert opened == [os.fspath(samples[name])]


# --------------------------------------------------------------------------------------------- bounds

_PROBE = """
import json, resource, sys, time
from collections.abc import Callable
from pathlib import Path
start = time.perf_counter()
from pipeline.guards import inspect_file
from python_calamine import CalamineWorkbook
results = []
for arg in sys.argv[1:]:
    t0 = time.perf_counter()
    refusal = inspect_file(Path(arg))
    cells = 0
    if refusal is None:
        with open(arg, "rb") as f:
            wb = CalamineWorkbook.from_filelike(f)
        sheets = [wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names]
        cells = sum(len(r) for rows in sheets for r in rows)
    results.append({"code": refusal and refusal.code, "seconds": time.perf_counter() - t0, "cells": cells})
ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
try:  # VmHWM: this process image's own peak (Linux carries ru_maxrss over from the parent across fork+exec)
    hwm = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    hwm = ru_maxrss
print(json.dumps({"results": results, "total": time.perf_counter() - start, "maxrss": hwm,
                  "ru_maxrss": ru_maxrss}))
"""


def _probe(*paths: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).parent.parent,
        check=True,
    )
    return json.loads(done.stdout)


# The heaviest accepted sample (MAX_CELLS cells) and the hostile ones that would hurt a reader most, each in
# its own process so that its peak memory is its own.
HEAVY = [
    "big_but_fine",
    "zip_bomb",
    "million_rows",
    "million_rows_no_dimension",
    "xls_sparse",
    "sparse_cells",
    "ods_repeat_rows",
    "ods_repeat_cells",
    "lying_sizes",
]


@pytest.mark.parametrize("name", HEAVY)
def test_time_and_memory_bounds(samples: dict[str, Path], name: str) -> None:
    out = _probe(samples[name])
    (result,) = out["results"]
    assert result["code"] == REFUSED.get(name), result
    assert out["maxrss"] < MAX_RSS_BYTES, out  # the time bound is measured in benchmarks/guards.py
    if name == "big_but_fine":
        assert result["cells"] == guards.MAX_CELLS


def test_bounds_hold_for_every_sample_in_one_process(samples: dict[str, Path]) -> None:
    light = [p for n, p in samples.items() if n not in HEAVY]
    out = _probe(*light)
    assert [r["code"] for r in out["results"]] == [REFUSED.get(n) for n, p in samples.items() if n not in HEAVY]
    assert out["maxrss"] < MAX_RSS_BYTES, out


# ------------------------------------------------------------------------------------------------ names


def test_odd_names_pass_inspection(samples: dict[str, Path]) -> None:
    for i, name in enumerate(mh.ODD_NAMES):
        assert samples[f"odd_name_{i}"].name == name
        assert inspect_file(samples[f"odd_name_{i}"]) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Bù Đăng/báo cáo tháng 3.xlsx", "Bù Đăng_báo cáo tháng 3.xlsx"),
        ("../../etc/passwd", "etc_passwd"),
        ("..\\..\\windows\\win.ini", "windows_win.ini"),
        ("-rf --help.xlsx", "rf --help.xlsx"),
        ('it\'s "final" #1 100%.xlsx', "it's _final_ _1 100_.xlsx"),
        ("a\x00b\nc\x1b[31m.xlsx", "a_b_c_[31m.xlsx"),
        ("📊 khuyến công.xlsx", "📊 khuyến công.xlsx"),
        ("..", "tep"),
        ("", "tep"),
        ("/", "tep"),
        ("CON.xlsx", "_CON.xlsx"),
        ("a..b.xlsx", "a.b.xlsx"),
        ("evil\u202egnp.xlsx", "evil_gnp.xlsx"),
    ],
)
def test_safe_name_examples(given: str, expected: str) -> None:
    assert safe_name(given) == expected


def test_safe_name_normalises_to_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Đồng Xoài/Báo cáo quý I.xlsx")
    assert safe_name(nfd) == unicodedata.normalize("NFC", "Đồng Xoài_Báo cáo quý I.xlsx")


def test_safe_name_truncates_long_names_with_a_hash() -> None:
    a, b = "Đồng Xoài " * 40 + "a.xlsx", "Đồng Xoài " * 40 + "b.xlsx"
    sa, sb = safe_name(a), safe_name(b)
    assert sa != sb
    for s in (sa, sb):
        assert len(s.encode("utf-8")) <= 150 and s.endswith(".xlsx") and s.startswith("Đồng Xoài")
    assert safe_name("x" * 400).startswith("x") and len(safe_name("x" * 400).encode()) == 150


def test_safe_name_properties_on_random_input() -> None:
    rng = random.Random(42)
    alphabet = "aĐđ ./\\-_#%\"'\x00\x01\n\t\u202e\u0300😀.." + "".join(chr(c) for c in range(0x1EA0, 0x1EB0))
    for _ in range(500):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300)))
        s = safe_name(name)
        assert s and "/" not in s and "\\" not in s and ".." not in s
        assert not s.startswith(("-", ".")) and s == unicodedata.normalize("NFC", s)
        assert len(s.encode("utf-8")) <= 150
        assert not any(unicodedata.category(c)[0] == "C" for c in s)
        assert safe_name(s) == s


# ------------------------------------------------------------------------------------------------ check_file


def test_check_file_returns_the_bytes_and_the_parts(tmp_path: Path) -> None:
    path = mh.template(tmp_path)
    checked = guards.check_file(path)
    assert isinstance(checked, guards.Checked)
    assert checked.data == path.read_bytes() and checked.kind == "xlsx"
    names = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", mh.SHEET]
    with zipfile.ZipFile(path) as z:
        assert checked.parts == {name: z.read(name) for name in names}


def test_check_file_keeps_every_worksheet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    for i in range(3):
        ws = wb.create_sheet(f"Trang {i}")
        ws.append(["Bù Đăng", i, "Đồng Xoài"])
    wb.save(path := tmp_path / "three.xlsx")
    checked = guards.check_file(path)
    with zipfile.ZipFile(path) as z:
        sheets = {n for n in z.namelist() if n.startswith("xl/worksheets/")}
        assert len(sheets) == 4
        assert checked.parts == {n: z.read(n) for n in [*guards.WORKBOOK_PARTS, *sheets]}


@pytest.mark.parametrize(
    ("name", "kind"), [("big_but_fine", "xlsx"), ("xlsm_with_macro", "xlsx"), ("xls_small", "xls"), ("ods_fine", "ods")]
)
def test_check_file_kind(samples: dict[str, Path], name: str, kind: str) -> None:
    checked = guards.check_file(samples[name])
    assert isinstance(checked, guards.Checked) and checked.kind == kind
    assert checked.data == samples[name].read_bytes()
    assert (checked.parts != {}) == (kind == "xlsx")


def test_check_file_kind_is_the_content(samples: dict[str, Path], tmp_path: Path) -> None:
    (ods := tmp_path / "really_ods.xlsx").write_bytes(samples["ods_fine"].read_bytes())
    assert guards.check_file(ods).kind == "ods"
    assert guards.check_file(ods, allow_renamed=False) == inspect_file(ods, allow_renamed=False)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_check_file_refuses_as_inspect_file(samples: dict[str, Path], name: str) -> None:
    assert guards.check_file(samples[name]) == inspect_file(samples[name])


def test_check_file_opens_and_reads_the_file_once(samples: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_open, real_read = os.open, os.read

    def spy_open(path, *args, **kwargs):
        calls.append("open")
        return real_open(path, *args, **kwargs)

    def spy_read(fd, n):
        calls.append("read")
        return real_read(fd, n)

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "read", spy_read)
    for name in ("big_but_fine", "ods_fine", "xls_small", "million_rows"):
        calls.clear()
        guards.check_file(samples[name])
        assert calls == ["open", "read", "read"]  # the whole file, then the end of it


# --------------------------------------------------------------------------------- gaps closed in the guard
# Each file below was let through by an earlier version of the guard, while python-calamine either aborted
# the process allocating the sheet's area (SIGABRT) or read more rows than MAX_ROWS.

_SPARSE = b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def _sheet(body: bytes) -> bytes:
    return f'<worksheet xmlns="{mh.NS}"><sheetData>'.encode() + body + b"</sheetData></worksheet>"


def _workbook(folder: Path, name: str, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    """The template with some members replaced and some added."""
    with zipfile.ZipFile(path := folder / name, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in mh._members(folder).items():
            z.writestr(member, replace.get(member, data))
        for member, data in (extra or {}).items():
            z.writestr(member, data)
    return path


@pytest.mark.parametrize(
    "prefix", [b"\x01\x00\x00\x00", b"GIF89a", b"PK\x03\x04", b"\xff\xfe", b"\xfe\xff", b"<\x00a/>"]
)
def test_worksheet_behind_a_binary_signature_or_utf16_mark_is_measured(tmp_path: Path, prefix: bytes) -> None:
    # calamine parses the ASCII markup after these bytes (a binary signature, a UTF-16 byte order mark)
    path = _workbook(tmp_path, "prefixed.xlsx", {mh.SHEET: prefix + _sheet(_SPARSE)})
    assert inspect_file(path).code == "TOO_MANY_ROWS"


@pytest.mark.parametrize("content", [b"<foo/>" + _sheet(_SPARSE), b"<foo>" + _sheet(_SPARSE) + b"</foo>"])
def test_worksheet_wherever_the_relationships_point_is_measured(tmp_path: Path, content: bytes) -> None:
    rels = mh._members(tmp_path)["xl/_rels/workbook.xml.rels"].replace(
        b"/xl/worksheets/sheet1.xml", b"media/image1.xml"
    )
    path = _workbook(tmp_path, "elsewhere.xlsx", {"xl/_rels/workbook.xml.rels": rels}, {"xl/media/image1.xml": content})
    assert inspect_file(path).code == "TOO_MANY_ROWS"


def test_text_that_looks_like_references_hides_no_cell(tmp_path: Path) -> None:
    # 16 384 cells without r= in row 1, each holding the text ' r="A1"', then row 20 000
    cells = b'<c t="inlineStr"><is><t> r="A1"</t></is></c>' * 16384
    path = _workbook(
        tmp_path,
        "fake_refs.xlsx",
        {
            mh.SHEET: _sheet(
                b'<row r="1"><c r="A1"><v>1</v></c>' + cells + b'</row><row r="20000"><c r="A20000"><v>1</v></c></row>'
            )
        },
    )
    assert inspect_file(path).code == "TOO_MANY_CELLS"


def test_adjacent_references_are_all_read(tmp_path: Path) -> None:
    # no space between the attributes: calamine keeps the last r=
    path = _workbook(
        tmp_path,
        "adjacent.xlsx",
        {
            mh.SHEET: _sheet(
                b'<row r="1"><c r="A1"><v>1</v></c></row><row r="20000"><c r="A20000"r="XFD20000"><v>1</v></c></row>'
            )
        },
    )
    assert inspect_file(path).code == "TOO_MANY_CELLS"


@pytest.mark.parametrize("before", [1, 4, 12])
def test_reference_inside_a_huge_tag_is_not_cut(tmp_path: Path, before: int) -> None:
    # a cell tag padded with whitespace so that its r= sits across where a bounded carry would cut it
    head = f'<worksheet xmlns="{mh.NS}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="20000"><c'.encode()
    sheet = (
        head
        + b" " * (guards.CHUNK - 64 - before - len(head))
        + b' r="XFD20000"'
        + b" " * 200
        + b"><v>1</v></c></row>"
        + b" " * 10000
        + b"</sheetData></worksheet>"
    )
    assert inspect_file(_workbook(tmp_path, "huge_tag.xlsx", {mh.SHEET: sheet})).code == "TOO_MANY_CELLS"


@pytest.mark.parametrize("prefix", ["x", "ñ", "a$b", "a/b", ""])
def test_cells_with_any_prefix_are_counted(tmp_path: Path, prefix: str) -> None:
    # calamine names an element by what follows the first ':', whatever comes before it
    c = f"{prefix}:c".encode()
    path = _workbook(
        tmp_path,
        "prefix.xlsx",
        {
            mh.SHEET: _sheet(
                b'<row r="1">'
                + (b"<" + c + b"><v>1</v></" + c + b">") * 16384
                + b'</row><row r="20000"><c r="A20000"><v>1</v></c></row>'
            )
        },
    )
    assert inspect_file(path).code == "TOO_MANY_CELLS"


def test_rows_without_reference_count_after_the_highest_one(tmp_path: Path) -> None:
    # calamine puts these five rows at 20 001 … 20 005
    path = _workbook(
        tmp_path,
        "mixed_rows.xlsx",
        {mh.SHEET: _sheet(b'<row r="20000"><c r="A20000"><v>1</v></c></row>' + b"<row><c><v>1</v></c></row>" * 5)},
    )
    assert inspect_file(path).code == "TOO_MANY_ROWS"


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/SharedStrings.xml"])
def test_shared_strings_declaring_billions_are_refused(tmp_path: Path, member: str) -> None:
    # calamine reserves room for uniqueCount strings before reading any
    sst = f'<sst xmlns="{mh.NS}" count="1" uniqueCount="4000000000"><si><t>a</t></si></sst>'.encode()
    refusal = inspect_file(_workbook(tmp_path, "sst.xlsx", {}, {member: sst}))
    assert refusal.code == "ZIP_BOMB" and "4.000.000.000" in refusal.message


def test_ods_table_prefix_bound_to_another_namespace_is_measured(tmp_path: Path) -> None:
    # calamine matches the literal "table:" prefix, whatever namespace it is bound to
    path = mh.ods_repeat_rows(tmp_path)
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    members["content.xml"] = members["content.xml"].replace(
        b"urn:oasis:names:tc:opendocument:xmlns:table:1.0", b"urn:example:other"
    )
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    assert inspect_file(path).code == "TOO_MANY_ROWS"


def _end_record(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, out.rfind(b"PK\x05\x06") + offset, value)
    return bytes(out)


def _after(hostile: bytes, zip_data: bytes) -> bytes:
    """zip_data placed after hostile, its offsets moved so that it reads as one zip from there."""
    out, by = bytearray(zip_data), len(hostile)
    end = out.rfind(b"PK\x05\x06")
    pos = struct.unpack_from("<I", out, end + 16)[0]
    struct.pack_into("<I", out, end + 16, pos + by)
    while out[pos : pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<3H", out, pos + 28)
        struct.pack_into("<I", out, pos + 42, struct.unpack_from("<I", out, pos + 42)[0] + by)
        pos += 46 + n + m + k
    return hostile + bytes(out)


@pytest.mark.parametrize(
    ("offset", "fmt", "value"), [(10, "<H", 10), (8, "<H", 10), (4, "<H", 1), (6, "<H", 1), (20, "<H", 50)]
)
def test_end_record_that_another_reader_would_skip_is_refused(
    tmp_path: Path, offset: int, fmt: str, value: int
) -> None:
    # a good workbook after a hostile one: with an end record that calamine's zip reader rejects (member counts
    # that disagree, another disk, a comment running past the end), it falls back on the hostile one's
    hostile = mh.sparse_cells(tmp_path).read_bytes()
    good = mh.template(tmp_path).read_bytes()
    (ok := tmp_path / "ok.xlsx").write_bytes(_after(hostile, good))
    assert inspect_file(ok) is None  # the hostile zip is dead bytes in front: every reader reads the good one
    (bad := tmp_path / "bad.xlsx").write_bytes(_after(hostile, _end_record(good, offset, fmt, value)))
    assert inspect_file(bad).code == "ZIP_DAMAGED"


def test_bytes_around_the_zip_are_refused(tmp_path: Path) -> None:
    good = mh.template(tmp_path).read_bytes()
    for data in (good + b"\x00" * 16, mh.sparse_cells(tmp_path).read_bytes() + good):
        (path := tmp_path / "around.xlsx").write_bytes(data)
        assert inspect_file(path).code == "ZIP_DAMAGED"


def test_unusual_but_valid_sheets_pass(tmp_path: Path) -> None:
    sheet = mh._members(tmp_path)[mh.SHEET].decode()
    prefixed = re.sub(r"<(/?)(?![?!])([A-Za-z]+)", r"<\1x:\2", sheet).replace(
        f'<x:worksheet xmlns="{mh.NS}"', f'<x:worksheet xmlns:x="{mh.NS}"'
    )
    excel_like = sheet.replace("<row ", '<row spans="1:7" x14ac:dyDescent="0.25" ').replace(
        f'<worksheet xmlns="{mh.NS}"', f'<worksheet xmlns="{mh.NS}" xmlns:x14ac="urn:x14ac"'
    )
    single_quotes = re.sub(r' r="([A-Z]*[0-9]+)"', r" r='\1'", sheet)
    for i, text in enumerate((prefixed, excel_like, single_quotes, sheet.replace("><", ">\r\n  <"))):
        path = _workbook(tmp_path, f"valid{i}.xlsx", {mh.SHEET: text.encode()})
        assert inspect_file(path) is None, i
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("BaoCao").to_python()
        assert len(rows) == len(
            CalamineWorkbook.from_path(str(mh.template(tmp_path))).get_sheet_by_name("BaoCao").to_python()
        )


# ------------------------------------------------------------------------ formats and names as calamine reads them
# calamine tries xlsx, then xlsb, then ods, and falls back on the next when one fails; its xlsx reader finds parts
# ignoring ASCII case and reading "\" as "/", and its zip reader renames a member after an Info-ZIP Unicode Path
# field. Each file below was read by calamine as another format, or with other parts, than the guard checked.

_SPARSE_SHEET = _sheet(_SPARSE)
_ODS_MARKS = {
    "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
    "content.xml": b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
}


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_ods_behind_a_broken_xlsx_workbook_is_refused(tmp_path: Path) -> None:
    # calamine fails on the empty xl/workbook.xml, falls back on ods and expands the million repeated rows
    with zipfile.ZipFile(mh.ods_repeat_rows(tmp_path)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    for workbook in (b"", b"not xml"):
        path = _zip(tmp_path / "ods_behind.xlsx", {**members, "xl/workbook.xml": workbook})
        assert inspect_file(path).code == "ZIP_DAMAGED"


@pytest.mark.parametrize("spelling", ["XL/WORKBOOK.XML", "xl/Workbook.xml", "xl\\workbook.xml"])
def test_xlsx_workbook_under_another_spelling_is_found(tmp_path: Path, spelling: str) -> None:
    members = mh._members(tmp_path)
    members[mh.SHEET] = _SPARSE_SHEET
    members[spelling] = members.pop("xl/workbook.xml")
    # behind ods marks: calamine reads the xlsx (and aborts), the guard used to measure it as an ods
    assert inspect_file(_zip(tmp_path / "both.xlsx", {**_ODS_MARKS, **members})).code == "ZIP_DAMAGED"
    # alone: an xlsx, measured as one (the guard used to call it "not a workbook")
    assert inspect_file(_zip(tmp_path / "alone.xlsx", members)).code == "TOO_MANY_ROWS"


def _with_central_extra(data: bytes, member: str, extra: bytes) -> bytes:
    """The zip with `extra` appended to one member's central-directory extra field."""
    out = bytearray(data)
    end = out.rfind(b"PK\x05\x06")
    cd_size, cd_off = struct.unpack_from("<II", out, end + 12)
    pos, entries = cd_off, []
    while pos < end:
        n, m, k = struct.unpack_from("<3H", out, pos + 28)
        entry = bytearray(out[pos : pos + 46 + n + m + k])
        if entry[46 : 46 + n] == member.encode():
            entry[46 + n + m : 46 + n + m] = extra
            struct.pack_into("<H", entry, 30, m + len(extra))
        entries.append(bytes(entry))
        pos += 46 + n + m + k
    directory = b"".join(entries)
    record = bytearray(out[end : end + 22])
    struct.pack_into("<I", record, 12, len(directory))
    return bytes(out[:cd_off]) + directory + bytes(record)


def _unicode_path(stored: str, name: str) -> bytes:
    return struct.pack("<HHBI", 0x7075, 5 + len(name.encode()), 1, zlib.crc32(stored.encode())) + name.encode()


def test_member_renamed_by_a_unicode_path_field_is_refused(tmp_path: Path) -> None:
    # calamine's zip reader calls xl/wbk.xml "xl/workbook.xml"; zipfile (and the guard) keep the stored name
    members = mh._members(tmp_path)
    members["xl/wbk.xml"] = members.pop("xl/workbook.xml")
    members[mh.SHEET] = _SPARSE_SHEET
    data = _zip(tmp_path / "base.xlsx", {**_ODS_MARKS, **members}).read_bytes()
    (path := tmp_path / "renamed.xlsx").write_bytes(
        _with_central_extra(data, "xl/wbk.xml", _unicode_path("xl/wbk.xml", "xl/workbook.xml"))
    )
    assert inspect_file(path).code == "ZIP_DAMAGED"
    # the same field naming the member as stored changes nothing (Info-ZIP writes it for non-ASCII names)
    good = mh.template(tmp_path).read_bytes()
    (same := tmp_path / "same.xlsx").write_bytes(_with_central_extra(good, mh.SHEET, _unicode_path(mh.SHEET, mh.SHEET)))
    assert inspect_file(same) is None


def test_xlsx_with_a_binary_workbook_is_refused(tmp_path: Path) -> None:
    # a broken xl/workbook.xml sends calamine to the xlsb reader, whose binary records the guard cannot measure
    path = _workbook(tmp_path, "xlsb.xlsx", {}, {"xl/workbook.bin": b"\x83\x01\x00", "xl/_rels/workbook.bin.rels": b""})
    assert inspect_file(path).code == "NOT_A_WORKBOOK"


@pytest.mark.parametrize("second", [mh.SHEET, mh.SHEET.upper(), mh.SHEET.replace("/", "\\")])
def test_members_with_the_same_name_are_refused(tmp_path: Path, second: str) -> None:
    # zipfile and calamine read the last of two same-named members, calamine the first of two spellings
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        path = _workbook(tmp_path, "dup.xlsx", {}, {second: _SPARSE_SHEET})
    refusal = inspect_file(path)
    assert refusal.code == "ZIP_DAMAGED" and "cùng tên" in refusal.message


def test_member_name_with_a_nul_is_refused(tmp_path: Path) -> None:
    # zipfile cuts the name at the NUL ("xl/worksheets/sheet1.xml"), calamine's zip reader does not
    data = _workbook(tmp_path, "nul.xlsx", {}, {"xl/media/aXb.png": b"\x89PNG"}).read_bytes()
    (path := tmp_path / "nul2.xlsx").write_bytes(data.replace(b"xl/media/aXb.png", b"xl/media/a\x00b.png"))
    assert inspect_file(path).code == "ZIP_DAMAGED"


# ---------------------------------------------------------------------------------------------- ods cells


def _ods_tables(folder: Path, name: str, tables: list[tuple[str, str]]) -> Path:
    """An ods (mimetype, manifest, content.xml) with these (name, rows) tables."""
    body = "".join(f'<table:table table:name="{n}">{rows}</table:table>' for n, rows in tables)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {mh._ODS_NS} office:version="1.2">'
        f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"
    )
    base = mh._ods(folder, "base_" + name, "")
    with zipfile.ZipFile(base) as z:
        members = [(i.filename, z.read(i), i.compress_type) for i in z.infolist()]
    with zipfile.ZipFile(path := folder / name, "w") as z:
        for member, data, compress in members:
            z.writestr(member, content.encode() if member == "content.xml" else data, compress_type=compress)
    return path


@pytest.mark.parametrize(
    "attribute",
    [
        'office:value="1"',
        'office:string-value="x"',
        'office:date-value="2020-01-01"',
        'office:boolean-value="true"',
        'office:time-value="PT1H"',
    ],
)
def test_ods_value_without_value_type_is_a_value(tmp_path: Path, attribute: str) -> None:
    # calamine reads these cells as values and expands their repeats (30 000 rows x 200 here)
    def rows(attr: str) -> str:
        return (
            f"<table:table-row>{mh._VALUE}</table:table-row>"
            f'<table:table-row table:number-rows-repeated="30000"><table:table-cell table:number-columns-'
            f'repeated="200" {attr}/></table:table-row>'
        )

    assert inspect_file(_ods_tables(tmp_path, "value.ods", [("BaoCao", rows(attribute))])).code == "TOO_MANY_ROWS"
    # a styled empty cell stays empty, for calamine as for the guard
    path = _ods_tables(tmp_path, "empty.ods", [("BaoCao", rows('table:style-name="ce1"'))])
    assert inspect_file(path) is None
    assert len(CalamineWorkbook.from_path(str(path)).get_sheet_by_name("BaoCao").to_python()) == 1


def test_ods_tables_sharing_a_name_count_once_per_table(tmp_path: Path) -> None:
    # calamine keeps the last of the tables named "A" and lists "A" three times: three reads of 10 000 x 50 cells
    big = f'<table:table-row table:number-rows-repeated="10000">{mh._VALUE * 50}</table:table-row>'
    small = f"<table:table-row>{mh._VALUE}</table:table-row>"
    path = _ods_tables(tmp_path, "same_name.ods", [("A", small), ("A", small), ("A", big)])
    assert inspect_file(path).code == "TOO_MANY_CELLS"
    path = _ods_tables(tmp_path, "other_names.ods", [("A", small), ("B", small), ("C", big)])
    assert inspect_file(path) is None
    assert [
        len(r) for r in (CalamineWorkbook.from_path(str(path)).get_sheet_by_name(n).to_python() for n in "ABC")
    ] == [1, 1, 10000]


# ---------------------------------------------------------------------------------- xlsx sheets and their parts

_REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_HALF = _sheet(b'<row r="1"><c r="A1"><v>1</v></c></row><row r="10000"><c r="AX10000"><v>1</v></c></row>')  # 500 000
_ONE = _sheet(b'<row r="1"><c r="A1"><v>1</v></c></row>')


def _sheets_workbook(
    folder: Path,
    name: str,
    sheets: list[tuple[str, str]],
    rels: list[tuple[str, str]],
    parts: dict[str, bytes],
    wrap: Callable[[bytes], bytes] = lambda b: b,
) -> Path:
    """The template with these <sheet> (name, r:id) entries, extra relationships (Id, Target) and parts."""
    members = mh._members(folder)
    wb = members["xl/workbook.xml"].decode()
    entries = "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="{r}"/>' for i, (n, r) in enumerate(sheets))
    wb = wb[: wb.index("<sheets>")] + f"<sheets>{entries}" + wb[wb.index("</sheets>") :]
    extra = "".join(f'<Relationship Type="{_REL_SHEET}" Target="{t}" Id="{i}"/>' for i, t in rels)
    rel_xml = members["xl/_rels/workbook.xml.rels"].decode().replace("</Relationships>", extra + "</Relationships>")
    replace = {"xl/workbook.xml": wrap(wb.encode()), "xl/_rels/workbook.xml.rels": rel_xml.encode(), mh.SHEET: _ONE}
    return _workbook(folder, name, replace, parts)


def test_sheets_sharing_one_part_count_once_each(tmp_path: Path) -> None:
    # calamine reads the part once per <sheet> naming it: three reads of 500 000 cells
    parts = {"xl/worksheets/half.xml": _HALF}
    shared = [("A", "rH"), ("B", "rH"), ("C", "rH")]
    path = _sheets_workbook(tmp_path, "same_id.xlsx", shared, [("rH", "worksheets/half.xml")], parts)
    assert inspect_file(path).code == "TOO_MANY_CELLS"
    # several relationships to one part, written differently
    rels = [("r1", "worksheets/half.xml"), ("r2", "/xl/worksheets/half.xml"), ("r3", "WORKSHEETS/Half.xml")]
    path = _sheets_workbook(tmp_path, "same_target.xlsx", [("A", "r1"), ("B", "r2"), ("C", "r3")], rels, parts)
    assert inspect_file(path).code == "TOO_MANY_CELLS"
    path = _sheets_workbook(tmp_path, "once.xlsx", [("A", "r1"), ("B", "rId1")], rels[:1], parts)
    assert inspect_file(path) is None
    wb = CalamineWorkbook.from_path(str(path))
    assert [len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names] == [10000, 1]


@pytest.mark.parametrize("second", ["A", "&#65;", "B"])
def test_sheets_sharing_one_name_count_as_the_largest(tmp_path: Path, second: str) -> None:
    # calamine finds a sheet by its name: both lookups of "A" read the first part (1 000 000 cells)
    parts = {"xl/worksheets/half.xml": _HALF, "xl/worksheets/one.xml": _ONE, "xl/worksheets/two.xml": _ONE}
    rels = [("rH", "worksheets/half.xml"), ("r1", "worksheets/one.xml"), ("r2", "worksheets/two.xml")]
    sheets = [("A", "rH"), (second, "r1"), ("A" if second == "B" else second, "r2")]
    path = _sheets_workbook(tmp_path, "same_name.xlsx", sheets, rels, parts)
    assert inspect_file(path).code == "TOO_MANY_CELLS"
    path = _sheets_workbook(tmp_path, "other_names.xlsx", [("A", "rH"), ("B", "r1"), ("C", "r2")], rels, parts)
    assert inspect_file(path) is None


@pytest.mark.parametrize(
    "wrap",
    [
        lambda b: b"\xff\xfe" + b,
        lambda b: b.decode().encode("utf-16"),
        lambda b: b.replace(b"<workbook", b'<?xml version="1.0" encoding="windows-1252"?><workbook', 1),
    ],
)
def test_sheets_are_counted_however_the_workbook_is_encoded(tmp_path: Path, wrap: Callable[[bytes], bytes]) -> None:
    # calamine parses the ASCII markup behind a UTF-16 byte order mark
    shared = [("A", "rH"), ("B", "rH"), ("C", "rH")]
    path = _sheets_workbook(
        tmp_path, "encoded.xlsx", shared, [("rH", "worksheets/half.xml")], {"xl/worksheets/half.xml": _HALF}, wrap
    )
    assert inspect_file(path).code == "TOO_MANY_CELLS"


# ------------------------------------------------------------------------------------------- xls as calamine reads it

_BOF_GLOBALS = mh._record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0))
_BOF_SHEET = mh._record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0))
_EOF = mh._record(0x000A)


def _xls_sheet(rows: int, cols: int, eof: bool = True) -> bytes:
    """A sheet substream with cells at A1 and at (rows, cols)."""
    return _BOF_SHEET + mh._number(0, 0, 1.0) + mh._number(rows - 1, cols - 1, 1.0) + (_EOF if eof else b"")


def _xls(
    folder: Path,
    name: str,
    sheets: list[tuple[bytes, bytes]],
    at: list[int] | None = None,
    streams: dict[str, bytes] | None = None,
) -> Path:
    """An .xls whose Workbook stream has these (BOUNDSHEET name record tail, substream) sheets, the BOUNDSHEETs
    pointing at the substreams, or at these offsets."""
    bound = sum(4 + 6 + len(tail) for tail, _ in sheets)
    offsets, where = [], len(_BOF_GLOBALS) + bound + len(_EOF)
    for _, substream in sheets:
        offsets.append(where)
        where += len(substream)
    records = b"".join(
        mh._record(0x0085, struct.pack("<IBB", offset, 0, 0) + tail)
        for offset, (tail, _) in zip(at or offsets, sheets, strict=True)
    )
    stream = _BOF_GLOBALS + records + _EOF + b"".join(s for _, s in sheets)
    (path := folder / name).write_bytes(mh.cfb({"Workbook": stream, **(streams or {})}))
    return path


def _short(name: str, wide: bool = False) -> bytes:
    """A BOUNDSHEET name (ShortXLUnicodeString): 8-bit, or 16-bit."""
    return bytes((len(name), 1 if wide else 0)) + name.encode("utf-16-le" if wide else "latin-1")


def test_every_workbook_stream_is_checked(tmp_path: Path) -> None:
    # calamine reads "Workbook" (here the hostile one) whatever comes first; xlrd may read another
    good = mh._biff(mh._number(0, 0, 1.0))
    bad = mh._biff(mh._number(0, 0, 1.0) + mh._number(65535, 255, 1.0))
    for streams in ({"Book": good, "Workbook": bad}, {"WORKBOOK": good, "Workbook": bad}):
        (path := tmp_path / "two.xls").write_bytes(mh.cfb(streams))
        assert inspect_file(path).code == "TOO_MANY_ROWS", streams.keys()


def test_stream_name_is_read_as_calamine_reads_it(tmp_path: Path) -> None:
    # a "Workbook" entry whose stored name length says "W": calamine reads the name up to its first NUL
    good = mh._biff(mh._number(0, 0, 1.0))
    bad = mh._biff(mh._number(0, 0, 1.0) + mh._number(65535, 255, 1.0))
    data = bytearray(mh.cfb({"Book": good, "Workbook": bad}))
    at = data.find("Workbook".encode("utf-16-le"))
    struct.pack_into("<H", data, at + 64, 4)
    (path := tmp_path / "short_name.xls").write_bytes(bytes(data))
    assert inspect_file(path).code == "TOO_MANY_ROWS"


def test_sheet_hidden_inside_another_record_is_refused(tmp_path: Path) -> None:
    # calamine reads the sheet at its BOUNDSHEET offset, inside the body of a record the guard walked over
    hidden = _xls_sheet(65536, 256)
    offset = len(_BOF_GLOBALS) + 4 + 6 + 3 + len(_EOF) + 4
    path = _xls(tmp_path, "hidden.xls", [(_short("A"), mh._record(0x1234, hidden))], at=[offset])
    assert inspect_file(path).code == "XLS_DAMAGED"


def test_sheets_sharing_one_substream_are_refused(tmp_path: Path) -> None:
    # three BOUNDSHEETs at one offset: calamine reads the sheet (10 000 x 51 cells) three times
    sheet = _xls_sheet(10000, 51)
    first = len(_BOF_GLOBALS) + 3 * (4 + 6 + 3) + len(_EOF)
    path = _xls(tmp_path, "shared.xls", [(_short("A"), sheet), (_short("B"), b""), (_short("C"), b"")], at=[first] * 3)
    assert inspect_file(path).code == "XLS_DAMAGED"


@pytest.mark.parametrize("names", [("A", "A", "A"), ("A", "A\x00", "A")])
def test_xls_sheets_sharing_a_name_count_as_the_largest(tmp_path: Path, names: tuple[str, ...]) -> None:
    # calamine keeps the last sheet of a name (NULs dropped) and lists the name once per sheet: 3 x 510 000 cells
    small, big = _xls_sheet(1, 1), _xls_sheet(10000, 51)
    tails = [_short(names[0]), _short(names[1], wide=True), _short(names[2])]
    path = _xls(tmp_path, "same_name.xls", [(tails[0], small), (tails[1], small), (tails[2], big)])
    assert inspect_file(path).code == "TOO_MANY_CELLS"
    path = _xls(tmp_path, "other_names.xls", [(_short("A"), small), (_short("B"), small), (_short("C"), big)])
    assert inspect_file(path) is None
    wb = CalamineWorkbook.from_path(str(path))
    assert [len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names] == [1, 1, 10000]


def test_sheet_is_read_up_to_the_eof_of_its_own_bof(tmp_path: Path) -> None:
    # calamine skips a BOF … EOF nested in a sheet (an embedded chart) and reads the sheet on to the EOF that
    # closes its own BOF: sheet A, without an EOF, holds the cell at row 10 000 that follows sheet B
    loose = mh._number(9999, 50, 1.0) + _EOF
    sheets = [(_short("A"), _xls_sheet(1, 1, eof=False)), (_short("B"), _xls_sheet(10000, 51) + loose)]
    assert inspect_file(path := _xls(tmp_path, "no_eof.xls", sheets)).code == "TOO_MANY_CELLS"
    sheets[1] = (_short("B"), _xls_sheet(10000, 1) + loose)  # within bounds: as calamine reads it
    assert inspect_file(path := _xls(tmp_path, "no_eof.xls", sheets)) is None
    wb = CalamineWorkbook.from_path(str(path))
    assert [(len(rows), len(rows[0])) for rows in (wb.get_sheet_by_name(n).to_python() for n in "AB")] == [
        (10000, 51),
        (10000, 1),
    ]


@pytest.mark.parametrize(("first", "last"), [(10, 2), (0x10000, 2)])
def test_dimensions_are_read_as_calamine_reserves_them(tmp_path: Path, first: int, last: int) -> None:
    # calamine reserves (last - first) rows x columns in 32-bit arithmetic: 2 - 10 wraps to 4 294 967 288 rows
    dimensions = mh._record(0x0200, struct.pack("<IIHHH", first, last, 0, 2, 0))
    (path := tmp_path / "dims.xls").write_bytes(mh.cfb({"Workbook": mh._biff(dimensions + mh._number(0, 0, 1.0))}))
    assert inspect_file(path).code == "TOO_MANY_ROWS"


def test_mulrk_columns_count_from_the_first(tmp_path: Path) -> None:
    # calamine places a MULRK's values from its first column on (65 000 … 65 636), whatever its last column says
    rk = struct.pack("<HI", 15, 1 << 2)
    mulrk = mh._record(0x00BD, struct.pack("<HH", 0, 65000) + rk * 637 + struct.pack("<H", 100))
    (path := tmp_path / "mulrk.xls").write_bytes(mh.cfb({"Workbook": mh._biff(mulrk + mh._number(30, 0, 1.0))}))
    assert inspect_file(path).code == "TOO_MANY_CELLS"


def test_compound_file_read_as_calamine_reads_it(tmp_path: Path) -> None:
    good = mh.xls_small(tmp_path).read_bytes()
    # a DIFAT chain looping on itself: calamine follows it forever (until memory runs out)
    data = bytearray(good)
    loop = (len(data) - 512) // 512
    data += struct.pack("<127I", *([0xFFFFFFFF] * 127)) + struct.pack("<I", loop)
    struct.pack_into("<II", data, 0x44, loop, 1)
    (path := tmp_path / "difat.xls").write_bytes(bytes(data))
    assert inspect_file(path).code == "XLS_DAMAGED"
    # a mini-stream cutoff other than 4096: calamine ignores it, so streams would be read from elsewhere
    data = bytearray(good)
    struct.pack_into("<I", data, 0x38, 512)
    (path := tmp_path / "cutoff.xls").write_bytes(bytes(data))
    assert inspect_file(path).code == "XLS_DAMAGED"


# ------------------------------------------------------------------------------------------- the guard's own bounds

_CHECK_PEAK = """
import sys
from pathlib import Path
from pipeline.guards import check_file
result = check_file(Path(sys.argv[1]))
print(getattr(result, "code", "ACCEPTED"),
      next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


@pytest.mark.parametrize("member", [mh.SHEET, "xl/sharedStrings.xml"])
def test_guard_memory_stays_bounded_on_millions_of_values(tmp_path: Path, member: str) -> None:
    # a 10 MiB comment of ` r="X42"` texts and no '<' (one piece, millions of values: the guard peaked at
    # 965 MiB on 47 MiB of them), or a `uniqueCount` holding millions of numbers
    rng = random.Random(3)
    if member == mh.SHEET:
        tokens = [f' r="{chr(65 + i % 26)}{1 + i // 26}"'.encode() for i in range(26 * 99)]
        comment = b"".join(rng.choices(tokens, k=10 * 1024 * 1024 // 7))
        path = _workbook(
            tmp_path,
            "comment.xlsx",
            {mh.SHEET: _sheet(b'<row r="1"><c r="A1"><v>1</v></c></row><!--' + comment + b"-->")},
        )
    else:
        numbers = b" ".join(rng.choices([b"%d" % d for d in range(10)], k=5 * 1024 * 1024))
        path = _workbook(
            tmp_path,
            "numbers.xlsx",
            {},
            {member: f'<sst xmlns="{mh.NS}" count="1" uniqueCount="'.encode() + numbers + b'"><si><t>a</t></si></sst>'},
        )
    done = subprocess.run(
        [sys.executable, "-c", _CHECK_PEAK, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parent.parent,
        check=True,
    )
    code, peak = done.stdout.split()
    assert code == "ACCEPTED" and int(peak) < 80 * 1024 * 1024, done.stdout


# ---------------------------------------------------------------------------------------------- media

_SVG = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
    b'height="10"/>'
)
_DRAWING_RELS = (
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
    b'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
    b'Target="../media/image1.svg"/></Relationships>'
)


@pytest.mark.parametrize("padding", [0, 300_000])
def test_svg_image_with_a_doctype_is_accepted(tmp_path: Path, padding: int) -> None:
    # Illustrator writes a DOCTYPE in SVG logos; calamine never parses media (small, and streamed in chunks)
    svg = _SVG.replace(b"/>", b">" + b"<!-- " + b"x" * padding + b" --></svg>") if padding else _SVG
    extra = {"xl/media/image1.svg": svg, "xl/drawings/_rels/drawing1.xml.rels": _DRAWING_RELS}
    path = _workbook(tmp_path, "logo.xlsx", {}, extra)
    assert inspect_file(path) is None
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("BaoCao").to_python()
    with zipfile.ZipFile(mh.ods_fine(tmp_path)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    assert inspect_file(_zip(tmp_path / "logo.ods", {**members, "Pictures/logo.svg": svg})) is None


def test_svg_that_calamine_may_parse_keeps_the_entity_scan(tmp_path: Path) -> None:
    # named by a workbook relationship (calamine reads a part wherever one points), or not an image at all
    rels = mh._members(tmp_path)["xl/_rels/workbook.xml.rels"].replace(
        b"/xl/worksheets/sheet1.xml", b"media/Image1.SVG"
    )
    path = _workbook(tmp_path, "named.xlsx", {"xl/_rels/workbook.xml.rels": rels}, {"xl/media/image1.svg": _SVG})
    assert inspect_file(path).code == "XML_ENTITIES"
    for name in ("xl/image1.svg", "xl/media/image1.xml", "xl/media/sub/image1.svg"):
        path = _workbook(tmp_path, "elsewhere.xlsx", {}, {name: _SVG})
        assert inspect_file(path).code == "XML_ENTITIES", name


def test_more_sheets_than_max_sheets_are_refused(tmp_path: Path) -> None:
    # calamine finds each sheet by name in a list: a full read of n sheets costs n² comparisons
    n = guards.MAX_SHEETS + 1
    small = f"<table:table-row>{mh._VALUE}</table:table-row>"
    paths = [
        _ods_tables(tmp_path, "many.ods", [(f"S{i}", small) for i in range(n)]),
        _xls(tmp_path, "many.xls", [(_short(f"S{i}"), _EOF) for i in range(n)]),
        _sheets_workbook(tmp_path, "many.xlsx", [(f"S{i}", "rId1") for i in range(n)], [], {}),
    ]
    for path in paths:
        refusal = inspect_file(path)
        assert refusal.code == "TOO_MANY_CELLS" and "2.000 trang tính" in refusal.message, path.name
