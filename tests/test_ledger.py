"""The SQLite ledger: idempotent storage, exact amounts, stored problems, and intake that never touches inputs."""

from __future__ import annotations

import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import PG_URL, count_rows, frames, request_pg_schema, stamp
from sqlalchemy import text

from pipeline import intake, ledger, receipts
from pipeline.layout import read_report
from pipeline.periods import month
from pipeline.reading import file_info
from pipeline.validating import Status, validate
from pipeline.workbook import Filling


def _validated(path: Path, programmes, units):
    return validate(read_report(file_info(path, path.parent), programmes, units), units)


def test_store_is_idempotent_on_sha256(tmp_path, ledger_target, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3, "P4.3": 1}))
    db = ledger_target
    report = _validated(path, programmes, units)
    with ledger.open_ledger(db) as conn:
        first = ledger.store(conn, [report])
        again = ledger.store(conn, [report, _validated(path, programmes, units)])
        assert ledger.known_sha256(conn) == {report.file.sha256}
    assert len(first) == 1 and again == []
    assert count_rows(db, "submissions") == 1
    assert count_rows(db, "submission_values") == len(report.values) == 2
    with ledger.open_ledger(db) as conn:  # a new connection to the same file sees the same
        assert ledger.store(conn, [report]) == []
        [row] = ledger.submissions_frame(conn).to_dict("records")
    assert (
        row["sha256"],
        row["file_name"],
        row["status"],
        row["unit_code"],
        row["period_code"],
        row["period_first"],
        row["period_last"],
        row["programme"],
    ) == (report.file.sha256, path.name, "accepted", "bu-dang", "2012-03", "2012-03", "2012-03", "2011-2015")
    assert row["size"] == path.stat().st_size


def test_values_round_trip_exactly(tmp_path, ledger_target, make_workbook, programmes, units) -> None:
    written = {"P1.3": Decimal("3"), "P2.2": Decimal("0"), "P2.4": Decimal("1000000")}  # counts: whole numbers
    spending = {
        "P1": {"KCQG": Decimal("0.1"), "KCĐP": Decimal("0.2"), "Khác": Decimal("0.001")},
        "P2": {"KCĐP": Decimal("1234.567"), "Khác": Decimal("12.5")},
        "P3": {"KCQG": Decimal("20.56")},
    }
    path = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results=written, spending=spending))
    db = ledger_target
    report = _validated(path, programmes, units)
    with ledger.open_ledger(db) as conn:
        ledger.store(conn, [report])
    _, vals, _ = frames(db)
    back = {(r.kind, r.code, r.source): ledger.from_milli(r.milli) for r in vals.itertuples()}
    expected = {("indicator", k, ""): v for k, v in written.items()}
    expected |= {("budget", sp, src): v for sp, d in spending.items() for src, v in d.items()}
    assert back == expected
    assert {(r.code, r.cell) for r in vals.itertuples()} == {(v.code, v.cell) for v in report.values}
    # sums of stored amounts are exact where floats are not
    assert 0.1 + 0.2 != 0.3
    assert back[("budget", "P1", "KCQG")] + back[("budget", "P1", "KCĐP")] == Decimal("0.3")
    with ledger.open_ledger(db) as conn:
        total = conn.execute(
            text("SELECT SUM(milli) FROM submission_values WHERE code = 'P1' AND source IN ('KCQG', 'KCĐP')")
        ).scalar_one()
    assert ledger.from_milli(total) == Decimal("0.3") and str(ledger.from_milli(total)) == "0.3"


def test_milli_conversion() -> None:
    for digits in ("0", "0.001", "0.1", "12.5", "1260", "20560", "4112.125"):
        amount = Decimal(digits)
        assert ledger.to_milli(amount) == int(Decimal(digits) * 1000)
        assert ledger.from_milli(ledger.to_milli(amount)) == amount
        assert str(ledger.from_milli(ledger.to_milli(amount))) == digits  # no exponent, no trailing zeros


def test_problems_are_stored(tmp_path, ledger_target, make_workbook, programmes, units) -> None:
    path = make_workbook(
        tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": -4, "P4.3": "khoảng 3 cơ sở", "P1.3": 2})
    )
    report = _validated(path, programmes, units)
    assert report.status is Status.REJECTED and len(report.problems) == 2
    db = ledger_target
    with ledger.open_ledger(db) as conn:
        [sid] = ledger.store(conn, [report])
    subs, _, probs = frames(db)
    assert subs.loc[subs["id"] == sid, "status"].item() == "rejected"
    stored = [
        (r.submission_id, r.seq, r.code, r.severity, r.cell, r.found, r.expected, r.message) for r in probs.itertuples()
    ]
    assert stored == [
        (sid, i, p.code, p.severity.value, p.cell, p.found, p.expected, p.message)
        for i, p in enumerate(report.problems)
    ]


def test_unreadable_file_is_stored_as_rejected(tmp_path, ledger_target, programmes, units) -> None:
    path = tmp_path / "hong.xlsx"
    path.write_bytes(b"not a workbook")
    db = ledger_target
    with ledger.open_ledger(db) as conn:
        ledger.store(conn, [_validated(path, programmes, units)])
    subs, vals, probs = frames(db)
    assert subs["status"].tolist() == ["rejected"]
    assert subs["unit_code"].isna().all() and subs["period_code"].isna().all()
    assert len(vals) == 0 and probs["code"].tolist() == ["NOT_A_WORKBOOK"]


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_intake_skips_unchanged_files_and_knows_copies(
    tmp_path, ledger_target, make_workbook, programmes, units, ingest
) -> None:
    inputs, db = tmp_path / "inputs", ledger_target
    a = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}), received=date(2012, 4, 2))
    make_workbook(tmp_path, "loc-ninh", month(2012, 3), Filling(results={"P1.2": 5}), received=date(2012, 4, 3))
    (inputs / "~$bao-cao-bu-dang-2012-03.xlsx").write_bytes(b"Excel lock file")  # skipped
    (inputs / "ghi-chu.txt").write_text("không phải báo cáo", encoding="utf-8")  # skipped
    assert len(ingest(inputs, db)) == 2

    with ledger.open_ledger(db) as conn:
        pending = intake.find_pending(inputs, conn, inputs.parent / "archive")
    assert (pending.new, pending.known, pending.unchanged) == ([], [], 2)

    copy = inputs / "gui-lai" / "ban-sao.xlsx"  # same bytes under a new name: known, not new
    copy.parent.mkdir()
    shutil.copy(a, copy)
    os.utime(a, (stamp(date(2012, 4, 9)),) * 2)  # touched: hashed again, found known
    changed = make_workbook(
        tmp_path, "loc-ninh", month(2012, 3), Filling(results={"P1.2": 6}), received=date(2012, 4, 10)
    )  # rewritten in place with other bytes: new
    with ledger.open_ledger(db) as conn:
        pending = intake.find_pending(inputs, conn, inputs.parent / "archive")
    assert [f.name for f in pending.known] == [a.name, "gui-lai/ban-sao.xlsx"]
    assert [f.source for f in pending.new] == [changed]  # (its .path is the archived copy that is read)
    assert pending.unchanged == 0

    reports = ingest(inputs, db)
    assert [r.file.name for r in reports] == [changed.name]
    assert count_rows(db, "submissions") == 3
    with ledger.open_ledger(db) as conn:
        pending = intake.find_pending(inputs, conn, inputs.parent / "archive")
    assert (pending.new, pending.known, pending.unchanged) == ([], [], 3)


def test_two_identical_new_files_are_read_once(tmp_path, ledger_target, make_workbook, ingest) -> None:
    inputs = tmp_path / "inputs"
    a = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}))
    shutil.copy(a, inputs / "ban-sao.xlsx")
    with ledger.open_ledger(ledger_target) as conn:
        pending = intake.find_pending(inputs, conn, inputs.parent / "archive")
    assert len(pending.new) == 1 and len(pending.known) == 0
    assert [f.name for f in pending.copies[pending.new[0].sha256]] == ["bao-cao-bu-dang-2012-03.xlsx"]


def test_inputs_are_never_modified(tmp_path, ledger_target, make_workbook, ingest) -> None:
    inputs, db = tmp_path / "inputs", ledger_target
    make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}), received=date(2012, 4, 2))
    make_workbook(tmp_path, "bu-dop", month(2012, 3), Filling(results={"P1.2": -1}), received=date(2012, 4, 2))
    (inputs / "hong.xlsx").write_bytes(os.urandom(2000))
    before = _snapshot(inputs)
    reports = ingest(inputs, db)
    for r in reports:
        receipts.write_receipt(tmp_path / "outputs" / "receipts", r)
    ingest(inputs, db)
    assert _snapshot(inputs) == before
    assert {r.status for r in reports} == {Status.ACCEPTED, Status.REJECTED}


def test_a_file_still_being_written_is_left_for_the_next_run(tmp_path, ledger_target, make_workbook) -> None:
    inputs = tmp_path / "inputs"
    old = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}), received=date(2012, 4, 2))
    fresh = make_workbook(tmp_path, "loc-ninh", month(2012, 3), Filling(results={"P1.2": 5}))  # mtime: now
    with ledger.open_ledger(ledger_target) as conn:
        pending = intake.find_pending(inputs, conn, tmp_path / "archive", settle_seconds=60)
    assert [f.source for f in pending.new] == [old] and pending.settling == (fresh.name,)


def test_sqlite_and_postgresql_give_byte_identical_aggregates(tmp_path, programme, units, ingest) -> None:
    """The 2012 demo through both engines: the same figures and provenance, to the byte."""
    if not PG_URL:
        pytest.skip("KHUYENCONG_TEST_PG_URL is not set")
    from pipeline import demo
    from pipeline.aggregating import aggregate
    from pipeline.export import figures, provenance
    from pipeline.periods import year

    inputs = tmp_path / "inputs"
    demo.generate(inputs, programme, units, years=(2012,))
    out = []
    for target in (tmp_path / "ledger.sqlite", request_pg_schema(tmp_path)):
        ingest(inputs, target)
        subs, vals, probs = frames(target)
        report = aggregate(subs, vals, programme, units, year(2012), today=date(2013, 1, 15), problems=probs)
        prov = provenance(subs, vals, programme, report.period, report.cumulative_period)
        out.append(
            (
                figures(report).to_csv(index=False).encode(),
                prov.drop(columns=["received_at"]).to_csv(index=False).encode(),
            )
        )
    assert out[0] == out[1]


def test_text_with_nul_characters_is_stored_on_every_engine(
    tmp_path, ledger_target, make_workbook, programmes, units
) -> None:
    """calamine turns Excel's _x0000_ into NUL, which PostgreSQL text cannot hold: it is dropped, not fatal."""
    path = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}))
    report = _validated(path, programmes, units)
    report.notes = "Kinh phí\x00 chậm"
    with ledger.open_ledger(ledger_target) as conn:
        assert len(ledger.store(conn, [report])) == 1
        assert ledger.submissions_frame(conn)["notes"].tolist() == ["Kinh phí chậm"]


def test_frames_read_in_chunks_equal_a_plain_read(tmp_path, ledger_target, ingest, monkeypatch) -> None:
    import pandas as pd

    corpus = Path(__file__).parent / "data" / "corpus" / "files"
    inputs = tmp_path / "inputs"
    shutil.copytree(corpus, inputs)
    reports = ingest(inputs, ledger_target)
    assert any(r.status is Status.REJECTED for r in reports) and sum(len(r.values) for r in reports) > 100
    monkeypatch.setattr(ledger, "FRAME_CHUNK", 7)  # many chunks, each with repeated texts
    with ledger.open_ledger(ledger_target) as conn:
        plain_values = pd.read_sql_query(
            text("SELECT * FROM submission_values ORDER BY submission_id, kind, code, source"), conn
        )
        plain_problems = pd.read_sql_query(text("SELECT * FROM problems ORDER BY submission_id, seq"), conn)
        rejected = set(ledger.submissions_frame(conn).query("status == 'rejected'")["id"])
        values, problems = ledger.values_frame(conn), ledger.problems_frame(conn)
        only_rejected = ledger.problems_frame(conn, rejected_only=True)
    pd.testing.assert_frame_equal(values, plain_values)
    pd.testing.assert_frame_equal(problems, plain_problems)
    expected = plain_problems[plain_problems["submission_id"].isin(rejected)].reset_index(drop=True)
    pd.testing.assert_frame_equal(only_rejected, expected)
    assert len(only_rejected) < len(problems) and values["code"].nunique() > 10
