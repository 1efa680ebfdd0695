"""pipeline.guards: every hostile sample gets its exact refusal, good files pass, and the stated time and
memory bounds hold for inspect_file plus a calamine read (measured in a fresh subprocess)."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from pipeline import guards
from pipeline.guards import MAX_FILE_BYTES, MAX_RSS_BYTES, MAX_SECONDS, Refusal, inspect_file, safe_name

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
ACCEPTED = ["xlsm_with_macro", "big_but_fine", "ods_fine", "xls_small",
            *(f"odd_name_{i}" for i in range(len(mh.ODD_NAMES)))]


def test_every_builder_is_covered() -> None:
    assert set(mh.BUILDERS) == set(REFUSED) | {a for a in ACCEPTED if not a.startswith("odd_name_")}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_file_is_refused_with_its_code(samples: dict[str, Path], name: str) -> None:
    refusal = inspect_file(samples[name])
    assert refusal is not None and refusal.code == REFUSED[name], refusal
    assert refusal.detail == unicodedata.normalize("NFC", refusal.detail)
    assert refusal.detail.endswith(".") and len(refusal.detail) < 400


@pytest.mark.parametrize("name", ACCEPTED)
def test_good_file_passes_and_calamine_reads_it(samples: dict[str, Path], name: str) -> None:
    path = samples[name]
    assert inspect_file(path) is None
    with open(path, "rb") as f:
        wb = CalamineWorkbook.from_filelike(f)
    assert wb.sheet_names and all(wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names)


def test_generated_samples_are_small(samples: dict[str, Path]) -> None:
    assert max(p.stat().st_size for p in samples.values()) < 2 * 1024 * 1024


def test_template_passes_quickly(tmp_path: Path) -> None:
    path = mh.template(tmp_path)
    start = time.perf_counter()
    assert inspect_file(path) is None
    assert time.perf_counter() - start < 0.1
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["BaoCao"]


@pytest.mark.parametrize(("name", "kind"), [("csv_renamed", "CSV"), ("html_renamed", "HTML"), ("pdf_renamed", "PDF"),
                                            ("docx_renamed", "Word"), ("doc_renamed", "Word")])
def test_not_a_workbook_names_what_it_is(samples: dict[str, Path], name: str, kind: str) -> None:
    assert kind in inspect_file(samples[name]).detail


def test_detect_format(samples: dict[str, Path], tmp_path: Path) -> None:
    assert guards.detect_format(samples["ods_fine"]) == guards.detect_format(samples["big_but_fine"]) == "zip"
    assert guards.detect_format(samples["xls_small"]) == guards.detect_format(samples["encrypted_ooxml"]) == "ole2"
    assert guards.detect_format(samples["csv_renamed"]) is None and guards.detect_format(tmp_path) is None
    os.mkfifo(fifo := tmp_path / "pipe.xlsx")
    assert guards.detect_format(fifo) is None and guards.detect_format(tmp_path / "missing.xlsx") is None


def test_refusal_is_frozen() -> None:
    r = Refusal("FILE_EMPTY", "x")
    with pytest.raises(AttributeError):
        r.code = "other"  # type: ignore[misc]


# -------------------------------------------------------------------------------------- special file kinds


def test_too_large_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    assert inspect_file(path).code == "FILE_TOO_LARGE"


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
        assert refusal.code == "EXTENSION_MISMATCH" and ".xlsx" in refusal.detail
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
    done = subprocess.run([sys.executable, "-c", _PROBE, *map(str, paths)], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parent.parent, check=True)
    return json.loads(done.stdout)


# The heaviest accepted sample (MAX_CELLS cells) and the hostile ones that would hurt a reader most, each in
# its own process so that its peak memory is its own.
HEAVY = ["big_but_fine", "zip_bomb", "million_rows", "million_rows_no_dimension", "xls_sparse", "sparse_cells",
         "ods_repeat_rows", "ods_repeat_cells", "lying_sizes"]


@pytest.mark.parametrize("name", HEAVY)
def test_time_and_memory_bounds(samples: dict[str, Path], name: str) -> None:
    out = _probe(samples[name])
    (result,) = out["results"]
    assert result["code"] == REFUSED.get(name), result
    assert result["seconds"] < MAX_SECONDS and out["total"] < MAX_SECONDS, out
    assert out["maxrss"] < MAX_RSS_BYTES, out
    if name == "big_but_fine":
        assert result["cells"] == guards.MAX_CELLS


def test_bounds_hold_for_every_sample_in_one_process(samples: dict[str, Path]) -> None:
    light = [p for n, p in samples.items() if n not in HEAVY]
    out = _probe(*light)
    assert out["total"] < MAX_SECONDS and out["maxrss"] < MAX_RSS_BYTES, out


# ------------------------------------------------------------------------------------------------ names


def test_odd_names_pass_inspection(samples: dict[str, Path]) -> None:
    for i, name in enumerate(mh.ODD_NAMES):
        assert samples[f"odd_name_{i}"].name == name
        assert inspect_file(samples[f"odd_name_{i}"]) is None


@pytest.mark.parametrize(("given", "expected"), [
    ("Bù Đăng/báo cáo tháng 3.xlsx", "Bù Đăng_báo cáo tháng 3.xlsx"),
    ("../../etc/passwd", "etc_passwd"),
    ("..\\..\\windows\\win.ini", "windows_win.ini"),
    ("-rf --help.xlsx", "rf --help.xlsx"),
    ("it's \"final\" #1 100%.xlsx", "it's _final_ _1 100_.xlsx"),
    ("a\x00b\nc\x1b[31m.xlsx", "a_b_c_[31m.xlsx"),
    ("📊 khuyến công.xlsx", "📊 khuyến công.xlsx"),
    ("..", "tep"), ("", "tep"), ("/", "tep"), ("CON.xlsx", "_CON.xlsx"), ("a..b.xlsx", "a.b.xlsx"),
    ("evil\u202egnp.xlsx", "evil_gnp.xlsx"),
])
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
