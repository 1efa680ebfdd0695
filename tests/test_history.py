"""History and nothing lost: duplicates, corrections, the archive, and which version counts."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date

from conftest import frames

from pipeline import aggregating, ledger
from pipeline.history import history, history_text
from pipeline.periods import month, quarter
from pipeline.workbook import Filling

MARCH = month(2012, 3)


def _history(db, unit, period):
    with ledger.open_ledger(db) as conn:
        subs, seen, probs = ledger.submissions_frame(conn), ledger.sightings_frame(conn), ledger.problems_frame(conn)
    return history(subs, seen, probs, unit, period)


def test_same_file_twice_and_a_correction(tmp_path, make_workbook, ingest, programme, units) -> None:
    inputs, db = tmp_path / "inputs", tmp_path / "ledger.sqlite"
    first = make_workbook(
        tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 4}), name="bd-thang3.xlsx", received=date(2012, 4, 2)
    )
    ingest(inputs, db)
    # The officer drops the very same file again under another name, a day later.
    again = inputs / "gui-lai" / "bd-thang3 (1).xlsx"
    again.parent.mkdir()
    shutil.copyfile(first, again)
    again.touch()
    ingest(inputs, db)
    # Then a corrected version.
    make_workbook(
        tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 6}), name="bd-thang3-sua.xlsx", received=date(2012, 4, 5)
    )
    ingest(inputs, db)

    subs, vals, probs = frames(db)
    assert len(subs) == 2  # the same bytes twice are one submission
    versions = _history(db, "bu-dang", MARCH)
    assert [(v.file_name, v.counts) for v in versions] == [("bd-thang3.xlsx", False), ("bd-thang3-sua.xlsx", True)]
    assert "bd-thang3-sua.xlsx" in versions[0].why and "05/04/2012" in versions[0].why
    assert versions[0].also_seen_as == ("gui-lai/bd-thang3 (1).xlsx",)
    report = aggregating.aggregate(subs, vals, programme, units, MARCH, problems=probs)
    assert next(i for i in report.indicators if i.code == "P1.2").in_period == 6  # the correction counts
    text = history_text("huyện Bù Đăng", MARCH, versions)
    assert "✔ bd-thang3-sua.xlsx" in text and "cũng nhận dưới tên: gui-lai/bd-thang3 (1).xlsx" in text


def test_quarter_replaces_months_in_history(tmp_path, make_workbook, ingest) -> None:
    inputs, db = tmp_path / "inputs", tmp_path / "ledger.sqlite"
    for m in (1, 2, 3):
        make_workbook(tmp_path, "loc-ninh", month(2012, m), Filling(results={"P1.2": m}), received=date(2012, m + 1, 2))
    make_workbook(tmp_path, "loc-ninh", quarter(2012, 1), Filling(results={"P1.2": 7}), received=date(2012, 4, 10))
    make_workbook(
        tmp_path, "loc-ninh", MARCH, Filling(results={"P1.2": -1}), name="sai.xlsx", received=date(2012, 4, 20)
    )
    ingest(inputs, db)
    q1 = _history(db, "loc-ninh", quarter(2012, 1))
    assert [v.counts for v in q1] == [False, False, False, True, False]
    assert all("quý I năm 2012" in v.why for v in q1[:3])
    assert q1[4].file_name == "sai.xlsx" and q1[4].why.startswith("bị từ chối") and "số âm" in q1[4].why
    march = _history(db, "loc-ninh", MARCH)  # asked for the month alone, the month report counts
    assert [(v.period_code, v.counts) for v in march] == [("2012-03", True), ("2012-Q1", False), ("2012-03", False)]


def test_inputs_unchanged_and_all_archived(tmp_path, make_workbook, ingest) -> None:
    inputs, db = tmp_path / "inputs", tmp_path / "ledger.sqlite"
    make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 4}))
    make_workbook(tmp_path, "bu-dop", MARCH, Filling(results={"P1.2": -4}))  # rejected: archived all the same
    (inputs / "hong.xlsx").write_bytes(b"\x00garbage")  # unreadable: archived all the same
    (inputs / "rỗng.xlsx").write_bytes(b"")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in inputs.rglob("*") if p.is_file()}
    ingest(inputs, db)
    ingest(inputs, db)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in inputs.rglob("*") if p.is_file()}
    assert after == before
    archive = tmp_path / "archive"
    for path, (data, _) in before.items():
        sha = hashlib.sha256(data).hexdigest()
        copy = archive / sha[:2] / f"{sha}.xlsx"
        assert copy.read_bytes() == data, path


def test_duplicate_gets_its_own_receipt(tmp_path, make_workbook, ingest) -> None:
    from pipeline import intake

    inputs, db = tmp_path / "inputs", tmp_path / "ledger.sqlite"
    first = make_workbook(
        tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 4}), name="a.xlsx", received=date(2012, 4, 2)
    )
    ingest(inputs, db)
    shutil.copyfile(first, inputs / "b.xlsx")
    with ledger.open_ledger(db) as conn:
        pending = intake.find_pending(inputs, conn, inputs.parent / "archive")
        assert [f.name for f in pending.new] == [] and [f.name for f in pending.known] == ["b.xlsx"]
        intake.remember(conn, pending.known, pending.refused, tmp_path / "receipts")
        [path] = intake.write_owed(conn, tmp_path / "receipts")
    text = path.read_text(encoding="utf-8")
    assert path.name == "b.xlsx.txt"
    assert "TRÙNG TỆP ĐÃ NHẬN" in text and "«a.xlsx» nhận ngày 02/04/2012 lúc 16:00, đã tiếp nhận" in text
