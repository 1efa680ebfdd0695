"""The intake under attack and accident: duplicate files, poison pills, a kill between the ledger and the
receipts, files swapped during the scan, receipt names that fold together, and the received-time rule.
Real files, real Prefect runs, real processes and signals; permissions checked as an unprivileged user."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import stamp
from sqlalchemy import text

import flows
from pipeline import intake, ledger
from pipeline import received as rule
from pipeline.aggregating import aggregate
from pipeline.history import history
from pipeline.periods import month, quarter
from pipeline.rollup import current_versions
from pipeline.workbook import Filling

Q2 = quarter(2012, 2)
PROJECT_ROOT = Path(__file__).resolve().parent.parent  # this worktree: what subprocesses must import


def _ingest(root: Path) -> intake.IngestSummary:
    return flows.ingest_inputs(
        inputs=str(root / "inputs"), outputs=str(root / "outputs"), ledger_file=str(root / "ledger.sqlite")
    )


def _subs(root: Path):
    with ledger.open_ledger(root / "ledger.sqlite") as conn:
        return ledger.submissions_frame(conn)


def _receipts(root: Path) -> dict[str, str]:
    """Receipt path (relative) -> text, for every receipt written."""
    folder = root / "outputs" / "receipts"
    return (
        {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.txt"))}
        if folder.exists()
        else {}
    )


def _receipt_of(root: Path, sha256: str, name: str) -> str:
    """The one receipt naming this file and these bytes."""
    found = [t for t in _receipts(root).values() if f"Tệp: {name}\n" in t and sha256 in t]
    assert len(found) == 1, (name, list(_receipts(root)))
    return found[0]


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _day(iso: str) -> date:
    from pipeline.formatting import local_day

    return local_day(iso)


# --- 1. duplicates: the earliest received copy is the submission -------------------------------------------


def test_byte_identical_files_in_one_ingest_the_earliest_received_counts(tmp_path, make_workbook, harness) -> None:
    """An attachment saved twice: received 08/07 (on time), the copy saved 15/07 (after the 10/07 deadline).
    Names that sort both ways: the copy " (1)" sorts before the original; "ln.xlsx" (a copy) sorts after."""
    original = make_workbook(
        tmp_path, "bu-dop", Q2, Filling(results={"P1.2": 8}), name="bdop-q2-2012.xlsx", received=date(2012, 7, 8)
    )
    copy = tmp_path / "inputs" / "bdop-q2-2012 (1).xlsx"
    shutil.copyfile(original, copy)
    os.utime(copy, (stamp(date(2012, 7, 15)),) * 2)
    ln_original = make_workbook(
        tmp_path, "loc-ninh", Q2, Filling(results={"P1.2": 5}), name="ln (1).xlsx", received=date(2012, 7, 8)
    )
    ln_copy = tmp_path / "inputs" / "ln.xlsx"
    shutil.copyfile(ln_original, ln_copy)
    os.utime(ln_copy, (stamp(date(2012, 7, 15)),) * 2)
    assert sorted(p.name for p in (original, copy)) == [copy.name, original.name]
    assert sorted(p.name for p in (ln_original, ln_copy)) == [ln_original.name, ln_copy.name]

    summary = _ingest(tmp_path)
    assert (summary.new, summary.accepted, summary.already_known) == (2, 2, 2)
    subs = _subs(tmp_path).set_index("unit_code")
    for unit, first, dup in (("bu-dop", original, copy), ("loc-ninh", ln_original, ln_copy)):
        assert subs.loc[unit, "file_name"] == first.name
        assert _day(subs.loc[unit, "received_at"]) == date(2012, 7, 8)
        sha = subs.loc[unit, "sha256"]
        assert "Kết quả: ĐÃ TIẾP NHẬN" in _receipt_of(tmp_path, sha, first.name)
        text = _receipt_of(tmp_path, sha, dup.name)
        assert "TRÙNG TỆP ĐÃ NHẬN" in text and f"«{first.name}» nhận ngày 08/07/2012 lúc 16:00, đã tiếp nhận" in text
    with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:
        seen = ledger.sightings_frame(conn)
    assert set(seen["path"]) == {original.name, copy.name, ln_original.name, ln_copy.name}


def test_a_copy_found_in_a_later_ingest_stays_a_copy(tmp_path, make_workbook, harness) -> None:
    """Across ingests, whatever the names' order and the copy's own date: the first received is the one."""
    (tmp_path / "inputs").mkdir()
    first = make_workbook(
        tmp_path, "bu-dop", Q2, Filling(results={"P1.2": 8}), name="x.xlsx", received=date(2012, 7, 8)
    )
    _ingest(tmp_path)
    for name in ("x (1).xlsx", "y.xlsx"):  # sorts before, and after, the first
        shutil.copyfile(first, tmp_path / "inputs" / name)
        os.utime(tmp_path / "inputs" / name, (stamp(date(2012, 7, 1)),) * 2)  # dated earlier still
    assert _ingest(tmp_path).already_known == 2
    [name] = _subs(tmp_path)["file_name"]
    assert name == "x.xlsx"
    for copy in ("x (1).xlsx", "y.xlsx"):
        assert "«x.xlsx» nhận ngày 08/07/2012 lúc 16:00," in _receipt_of(tmp_path, _sha(first), copy)


# --- 4. poison pills: a name that is not UTF-8, a file the service may not read -------------------------------


@pytest.fixture
def api_url(harness) -> str:
    """The test harness's Prefect API, for flows run in other processes (no temporary server each)."""
    from prefect.settings import get_current_settings

    return str(get_current_settings().api.url)


def _env(work: Path, api: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return env | {
        "PYTHONPATH": str(PROJECT_ROOT),
        "HOME": str(work),
        "PREFECT_HOME": str(work / ".prefect"),
        "PREFECT_API_URL": api,
    }


def _service_python() -> tuple[str, list[str]]:
    """An interpreter an unprivileged user may run, and the packages it needs: the virtual environment's own
    interpreter may live in a folder only root can enter (/root/.pyenv); then the system's, same version."""
    real = Path(os.path.realpath(sys.executable))
    if all(p.stat().st_mode & stat.S_IXOTH for p in real.parents):
        return sys.executable, []
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return shutil.which(version, path="/usr/bin:/usr/local/bin") or version, [sysconfig.get_paths()["purelib"]]


CLI = "from pipeline.cli import app; app()"
UNREAD = (
    "from pathlib import Path; from pipeline import intake, ledger\n"
    "with ledger.open_ledger('l.sqlite') as conn: print(sorted(intake.unread(Path('inputs'), conn)))"
)


def _as_service(work: Path, api: str, *args: str, code: str = CLI) -> subprocess.CompletedProcess:
    """`khuyencong <args>` (or other `code`) from this worktree as an unprivileged user (nobody, if the tests
    run as root)."""
    env = _env(work, api)
    python, packages = (sys.executable, []) if os.geteuid() else _service_python()
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), *packages])
    command = [python, "-c", code, *args]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)


def test_a_bad_name_and_an_unreadable_file_are_refused_alone_run_after_run(make_workbook, api_url) -> None:
    work = Path(tempfile.mkdtemp(prefix="khuyencong-service-"))  # pytest's tmp_path is closed to other users
    try:
        good = make_workbook(work, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}), received=date(2012, 4, 2))
        windows = make_workbook(
            work, "loc-ninh", month(2012, 3), Filling(results={"P1.2": 4}), name="tmp.xlsx", received=date(2012, 4, 2)
        )
        bad_name = os.fsencode(work / "inputs") + b"/b\xe1o-c\xe1o.xlsx"  # as unzipping a Windows zip leaves it
        os.rename(os.fsencode(windows), bad_name)
        locked = make_workbook(
            work, "dong-xoai", month(2012, 3), Filling(results={"P1.2": 5}), name="khoa.xlsx", received=date(2012, 4, 2)
        )
        for path in [work, *work.rglob("*")]:
            os.lchown(path, 65534, 65534) if os.geteuid() == 0 else None
        locked.chmod(0)
        assert not os.access(locked, os.R_OK) or os.geteuid() == 0

        args = ("ingest", "--inputs", "inputs", "--outputs", "outputs", "--ledger", "l.sqlite")
        runs = [_as_service(work, api_url, *args) for _ in range(2)]
        for run in runs:
            assert run.returncode == 0, run.stdout + run.stderr
            assert "Traceback" not in run.stdout + run.stderr
        assert "3 new files: 1 accepted, 2 rejected" in runs[0].stdout
        assert "0 new files" in runs[1].stdout  # the same files are not refused again, nor do they stop the run
        receipts = _receipts(work)
        assert len(receipts) == 3
        assert "ĐÃ TIẾP NHẬN" in receipts[f"{good.name}.txt"]
        [shown] = [t for t in receipts.values() if "FILE_NAME_INVALID" in t or "b\\xe1o-c\\xe1o.xlsx" in t]
        assert "Tệp: b\\xe1o-c\\xe1o.xlsx" in shown and "BỊ TỪ CHỐI" in shown and "đổi tên tệp" in shown
        assert "quyền" in receipts["khoa.xlsx.txt"] and "BỊ TỪ CHỐI" in receipts["khoa.xlsx.txt"]
        with ledger.open_ledger(work / "l.sqlite") as conn:
            assert ledger.submissions_frame(conn)["file_name"].tolist() == [good.name]
            owed = conn.exec_driver_sql("SELECT name, kind, written_at FROM receipts ORDER BY id").fetchall()
            seen = ledger.seen_unchanged(conn)  # each refusal remembered by its code, not read again unchanged
        refused = sorted(sha.removeprefix("refused:") for _, _, sha in seen.values() if sha.startswith("refused:"))
        assert refused == ["FILE_NAME_INVALID", "PERMISSION_DENIED"]
        assert [(n, k) for n, k, _ in owed] == [
            (good.name, "submission"),
            ("b\\xe1o-c\\xe1o.xlsx", "refusal"),
            ("khoa.xlsx", "refusal"),
        ]
        assert all(w for _, _, w in owed)
        assert _as_service(work, api_url, code=UNREAD).stdout == "[]\n"  # the service's loop sees nothing to do
        locked.chmod(0o644)  # the administrator gives the service its right to read: the next run reads it
        unread = _as_service(work, api_url, code=UNREAD)
        assert unread.stdout == f"{[str(work.resolve() / 'inputs' / 'khoa.xlsx')]}\n", unread.stderr
        fixed = _as_service(work, api_url, *args)
        assert "1 new files: 1 accepted, 0 rejected" in fixed.stdout, fixed.stdout + fixed.stderr
        assert "ĐÃ TIẾP NHẬN" in _receipts(work)["khoa.xlsx.txt"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- 5. receipts are owed until written; the end of an ingest is one transaction ---------------------------------

_DIE_AT = """
import os, signal, sys
import pipeline.{module} as target
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
for name in {names}:
    if hasattr(target, name):
        setattr(target, name, die)
import pipeline.intake, pipeline.receipts
{also}
import flows
flows.ingest_inputs(inputs=sys.argv[1], outputs=sys.argv[2], ledger_file=sys.argv[3])
"""


def _killed_run(root: Path, api: str, module: str, names: list[str], also: str = "") -> int:
    """An ingest in its own process that SIGKILLs itself the first time pipeline.<module>.<name> is called."""
    env = _env(root, api)
    script = _DIE_AT.format(module=module, names=names, also=also)
    with (root / "killed-run.log").open("w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", script, str(root / "inputs"), str(root / "outputs"), str(root / "ledger.sqlite")],
            cwd=root,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            proc.wait(timeout=600)
        finally:  # its worker processes too (they would outlive it)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        log.seek(0)
        assert proc.returncode == -signal.SIGKILL, log.read()
    return proc.returncode


def _three_files(tmp_path: Path, make_workbook) -> list[Path]:
    files = [
        make_workbook(tmp_path, u, month(2012, 3), Filling(results={"P1.2": v}), received=date(2012, 4, 2))
        for u, v in (("bu-dang", 3), ("loc-ninh", 4))
    ]
    bad = make_workbook(tmp_path, "dong-xoai", month(2012, 3), Filling(results={"P1.2": -1}), received=date(2012, 4, 3))
    copy = tmp_path / "inputs" / "ban-sao.xlsx"
    shutil.copyfile(files[0], copy)
    # dated after the original and long enough ago that no scan waits for it to settle (a copy made just now may
    # still be written: whether a run takes it at once would depend on how long the run took to start)
    later = datetime(2012, 4, 5, 9, 0, tzinfo=UTC).timestamp()
    os.utime(copy, (later, later))
    return [*files, bad, copy]


def test_receipts_lost_to_a_kill_after_storing_are_written_by_the_next_run(tmp_path, make_workbook, api_url) -> None:
    files = _three_files(tmp_path, make_workbook)
    # killed at the first receipt it writes: after the batch is stored, before any receipt is on disk
    _killed_run(tmp_path, api_url, "intake", ["write_atomic"], also="pipeline.receipts.write_atomic = die")
    assert len(_subs(tmp_path)) == 3 and _receipts(tmp_path) == {}
    for _ in range(2):  # the next run writes them; the one after finds nothing owed
        summary = _ingest(tmp_path)
        receipts = _receipts(tmp_path)
        assert sorted(receipts) == sorted(f"{f.name}.txt" for f in files)
        assert (summary.new, summary.unchanged) == (0, 4)
    with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:  # recorded with the batch, in its transaction
        assert set(ledger.sightings_frame(conn)["path"]) == {f.name for f in files}
        assert ledger.count(conn, "seen_files") == 4
    assert "BỊ TỪ CHỐI" in receipts["bao-cao-dong-xoai-2012-03.xlsx.txt"]
    assert "TRÙNG TỆP ĐÃ NHẬN" in receipts["ban-sao.xlsx.txt"]


def test_a_kill_inside_the_ingest_transaction_leaves_nothing_half_recorded(tmp_path, make_workbook, api_url) -> None:
    """Killed while recording sightings: the submissions, seen marks and sightings go (or stay) together, so
    the next run reads the files again and records everything - history's "also received as" included."""
    files = _three_files(tmp_path, make_workbook)
    _killed_run(tmp_path, api_url, "ledger", ["record_sightings"])
    with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:
        stored, marks = ledger.count(conn, "submissions"), ledger.count(conn, "seen_files")
    assert (stored, marks) == (0, 0)
    summary = _ingest(tmp_path)
    assert summary.new == 3
    with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:
        assert set(ledger.sightings_frame(conn)["path"]) == {f.name for f in files}
        subs, seen, probs = ledger.submissions_frame(conn), ledger.sightings_frame(conn), ledger.problems_frame(conn)
    [version] = history(subs, seen, probs, "bu-dang", month(2012, 3))
    assert version.also_seen_as == ("ban-sao.xlsx",)
    assert len(_receipts(tmp_path)) == 4


# --- 6. a FIFO or a link renamed over a listed input -----------------------------------------------------------


def test_a_fifo_or_link_swapped_in_after_listing_is_refused_never_followed(
    tmp_path, make_workbook, monkeypatch
) -> None:
    inputs, archive = tmp_path / "inputs", tmp_path / "archive"
    good = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}), received=date(2012, 4, 2))
    for name in ("fifo.xlsx", "link.xlsx", "2012/thu-muc.xlsx"):
        make_workbook(
            tmp_path, "loc-ninh", month(2012, 3), Filling(results={"P1.2": 4}), name=name, received=date(2012, 4, 2)
        )
    outside = tmp_path / "outside"
    secret = make_workbook(outside, "dong-xoai", month(2012, 3), Filling(results={"P1.2": 99}), name="secret.xlsx")
    (outside / "inputs" / "thu-muc.xlsx").symlink_to(secret)
    listed = intake.list_inputs

    def list_then_swap(folder: Path) -> list[Path]:
        paths = listed(folder)
        os.mkfifo(tmp_path / "fifo")
        os.replace(tmp_path / "fifo", inputs / "fifo.xlsx")
        (tmp_path / "link").symlink_to(secret)
        os.replace(tmp_path / "link", inputs / "link.xlsx")
        os.rename(inputs / "2012", tmp_path / "2012-moved")
        (inputs / "2012").symlink_to(outside / "inputs")  # a folder swapped for a link to another folder
        return paths

    monkeypatch.setattr(intake, "list_inputs", list_then_swap)
    result: dict[str, object] = {}

    def scan() -> None:
        with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:
            result["pending"] = intake.find_pending(inputs, conn, archive)

    scanner = threading.Thread(target=scan, daemon=True)
    scanner.start()
    scanner.join(timeout=60)
    if scanner.is_alive():  # blocked opening the FIFO: give it a writer so the thread can end, then fail
        fd = os.open(inputs / "fifo.xlsx", os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        scanner.join(timeout=60)
        pytest.fail("the scan blocked on a FIFO")
    pending = result["pending"]
    assert [f.name for f in pending.new] == [good.name]
    archived = {p.name.split(".")[0] for p in archive.rglob("*.xlsx")}
    assert _sha(secret) not in archived and archived == {_sha(good)}
    assert sorted((r.file.name, r.problems[0].code) for r in pending.refused) == [
        ("2012/thu-muc.xlsx", "NOT_A_WORKBOOK"),
        ("fifo.xlsx", "NOT_A_WORKBOOK"),
        ("link.xlsx", "NOT_A_WORKBOOK"),
    ]
    with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:
        intake.remember(conn, pending.known, pending.refused, tmp_path / "receipts")
        written = intake.write_owed(conn, tmp_path / "receipts")
    assert len(written) == 3
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "BỊ TỪ CHỐI" in text and "không phải là một tệp thông thường" in text and _sha(secret) not in text


# --- 7. one input, one receipt --------------------------------------------------------------------------------


def test_names_that_fold_alike_keep_a_receipt_each(tmp_path, make_workbook, harness) -> None:
    nfc = "Hớn Quản.xlsx"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    cases = [("bao cao #1.xlsx", 3), ("bao cao %1.xlsx", -1), (nfc, 4), (nfd, -2), ("a#b/c.xlsx", 5), ("a%b/c.xlsx", 6)]
    units = ["bu-dang", "bu-dop", "hon-quan", "hon-quan", "loc-ninh", "dong-xoai"]
    paths = [
        make_workbook(
            tmp_path, unit, month(2012, 3), Filling(results={"P1.2": v}), name=name, received=date(2012, 4, 2)
        )
        for (name, v), unit in zip(cases, units, strict=True)
    ]
    assert len({p.name for p in (tmp_path / "inputs").iterdir() if p.is_file()}) == 4  # NFC and NFD: two files
    _ingest(tmp_path)
    receipts = _receipts(tmp_path)
    assert len(receipts) == len(paths)  # one input, one receipt
    for (name, value), path in zip(cases, paths, strict=True):
        text = _receipt_of(tmp_path, _sha(path), unicodedata.normalize("NFC", name))
        assert ("BỊ TỪ CHỐI" in text) == (value < 0)
    assert "bao cao #1.xlsx" not in receipts and "Hớn Quản.xlsx.txt" in receipts  # the NFC name is left as it is
    assert all(n.startswith(("bao cao _1.xlsx-", "Hớn Quản.xlsx", "a_b/c.xlsx-")) for n in receipts)


# --- 8. the received time ---------------------------------------------------------------------------------------

NOW = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
JUL8, JUN30, JUN29_LATE = (
    datetime(2012, 7, 8, 2, tzinfo=UTC),
    datetime(2012, 6, 30, 2, tzinfo=UTC),
    datetime(2012, 6, 29, 18, tzinfo=UTC),
)


@pytest.mark.parametrize(
    ("file_date", "backlog", "close", "expected"),
    [
        (JUL8, True, date(2012, 6, 30), (JUL8, "file_date", "")),
        (JUL8, False, date(2012, 6, 30), (NOW, "seen", "")),
        (NOW + timedelta(days=3), True, date(2012, 6, 30), (NOW, "seen", "future")),
        (NOW + timedelta(days=3), False, date(2012, 6, 30), (NOW, "seen", "")),
        (datetime(2012, 3, 1, tzinfo=UTC), True, date(2012, 6, 30), (NOW, "seen", "file_early")),
        (JUN30, True, date(2012, 6, 30), (JUN30, "file_date", "")),
        (JUN29_LATE, True, date(2012, 6, 30), (JUN29_LATE, "file_date", "")),
        (datetime(2025, 1, 1, tzinfo=UTC), False, date(2026, 1, 31), (NOW, "seen", "seen_early")),
        (datetime(2012, 3, 1, tzinfo=UTC), True, None, (datetime(2012, 3, 1, tzinfo=UTC), "file_date", "")),
    ],
)
def test_the_received_time_rule(file_date, backlog, close, expected) -> None:
    """The last day of the period (on the province's clock: 18:00 UTC on the 29th is the 30th there) is the
    first day a report can be sent; an unknown period has no bound; a date in the future is never used."""
    got = rule.received(NOW, file_date, backlog, close)
    assert (got.at, got.basis, got.flag) == expected


def _watched(tmp_path: Path) -> None:
    """The intake has run once (on an empty folder): from now on it watches, the backlog is loaded."""
    (tmp_path / "inputs").mkdir(exist_ok=True)
    _ingest(tmp_path)


def test_the_version_sent_last_counts_whatever_its_file_date(tmp_path, make_workbook, harness) -> None:
    _watched(tmp_path)
    v1 = make_workbook(
        tmp_path, "bu-dang", month(2012, 8), Filling(results={"P1.2": 4}), name="v1.xlsx", received=date(2012, 9, 5)
    )
    _ingest(tmp_path)
    v2 = make_workbook(
        tmp_path, "bu-dang", month(2012, 8), Filling(results={"P1.2": 6}), name="v2.xlsx", received=date(2012, 9, 3)
    )  # sent later, but saved earlier (an older copy re-sent)
    before = datetime.now(UTC).replace(microsecond=0)
    _ingest(tmp_path)
    subs = _subs(tmp_path).set_index("file_name")
    assert datetime.fromisoformat(subs.loc["v2.xlsx", "received_at"]) >= before
    assert subs.loc["v2.xlsx", "received_basis"] == "seen"
    assert _day(subs.loc["v2.xlsx", "file_date"]) == date(2012, 9, 3)
    with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:
        seen, probs = ledger.sightings_frame(conn), ledger.problems_frame(conn)
    versions = history(_subs(tmp_path), seen, probs, "bu-dang", month(2012, 8))
    assert [(v.file_name, v.counts) for v in versions] == [("v1.xlsx", False), ("v2.xlsx", True)]
    text = _receipt_of(tmp_path, _sha(v2), "v2.xlsx")
    assert "Bản được dùng cho kỳ này: CÓ" in text and "thay bản «v1.xlsx»" in text
    assert "lúc hệ thống tiếp nhận thấy tệp" in text and "Ngày lưu trên tệp: 03/09/2012" in text
    assert "Bản được dùng cho kỳ này: CÓ, là bản đầu tiên được tiếp nhận cho kỳ này." in _receipt_of(
        tmp_path, _sha(v1), "v1.xlsx"
    )


def test_versions_first_seen_together_are_settled_by_file_date_then_sha256(tmp_path, make_workbook, harness) -> None:
    _watched(tmp_path)
    older = make_workbook(
        tmp_path, "bu-dang", month(2012, 8), Filling(results={"P1.2": 4}), name="b.xlsx", received=date(2012, 9, 3)
    )
    newer = make_workbook(
        tmp_path, "bu-dang", month(2012, 8), Filling(results={"P1.2": 6}), name="a.xlsx", received=date(2012, 9, 5)
    )  # sorts first, dated later
    same = [
        make_workbook(
            tmp_path,
            "loc-ninh",
            month(2012, 8),
            Filling(results={"P1.2": v}),
            name=f"ln-{v}.xlsx",
            received=date(2012, 9, 5),
        )
        for v in (1, 2, 3)
    ]
    _ingest(tmp_path)
    subs = _subs(tmp_path)
    assert subs["received_at"].nunique() == 1  # one scan: one time first seen
    counted = current_versions(subs).set_index("unit_code")["file_name"]
    assert counted["bu-dang"] == "a.xlsx"
    assert counted["loc-ninh"] == max(same, key=_sha).name
    assert "CÓ, là bản mới nhất" in _receipt_of(tmp_path, _sha(newer), "a.xlsx")
    assert "KHÔNG, đơn vị đã gửi bản mới hơn «a.xlsx»" in _receipt_of(tmp_path, _sha(older), "b.xlsx")
    for p in same:
        assert ("CÓ" in _receipt_of(tmp_path, _sha(p), p.name).split("Bản được dùng cho kỳ này: ")[1][:3]) == (
            p.name == counted["loc-ninh"]
        )


def test_a_file_dated_in_the_future_is_read_at_once_and_flagged(tmp_path, make_workbook, harness) -> None:
    future = datetime.now(UTC) + timedelta(days=2)
    path = make_workbook(tmp_path, "bu-dang", month(2012, 8), Filling(results={"P1.2": 4}), received=future)
    before = datetime.now(UTC).replace(microsecond=0)
    summary = _ingest(tmp_path)  # the backlog: file dates count, but not this one
    assert (summary.new, summary.accepted) == (1, 1)
    [row] = _subs(tmp_path).itertuples()
    assert before <= datetime.fromisoformat(row.received_at) <= datetime.now(UTC)
    assert row.received_flag == "future"
    assert "ở tương lai" in _receipt_of(tmp_path, _sha(path), path.name)


def test_a_backlog_file_dated_before_its_period_ended_is_flagged_and_late(
    tmp_path, make_workbook, programme, units, harness
) -> None:
    june = make_workbook(tmp_path, "bu-dang", month(2012, 6), Filling(results={"P1.2": 4}), received=date(2012, 3, 2))
    may = make_workbook(tmp_path, "bu-dang", month(2012, 5), Filling(results={"P1.2": 2}), received=date(2012, 6, 5))
    _ingest(tmp_path)
    with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:
        vals = ledger.values_frame(conn)
    report = aggregate(_subs(tmp_path), vals, programme, units, quarter(2012, 2))
    row = next(r for r in report.completeness.rows if r.unit_code == "bu-dang")
    assert (row.months_covered, row.months_on_time) == (2, 1)  # June is not on time: it came when first seen
    subs = _subs(tmp_path).set_index("file_name")
    assert subs.loc[june.name, "received_flag"] == "file_early" and subs.loc[june.name, "received_basis"] == "seen"
    assert subs.loc[may.name, "received_basis"] == "file_date"
    assert _day(subs.loc[may.name, "received_at"]) == date(2012, 6, 5)
    assert "trước khi kỳ báo cáo kết thúc" in _receipt_of(tmp_path, _sha(june), june.name)
    assert "theo ngày lưu của tệp" in _receipt_of(tmp_path, _sha(may), may.name)


def test_a_ledger_from_before_the_rule_is_upgraded_in_place(tmp_path, ledger_target, make_workbook, ingest) -> None:
    """Its received_at was the file's date: kept, and kept as file_date; its backlog counts as loaded."""
    make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}), received=date(2012, 4, 2))
    ingest(tmp_path / "inputs", ledger_target)
    with ledger.open_ledger(ledger_target) as conn:  # back to the schema before received times had a rule
        for column in ("file_date", "first_seen", "received_basis", "received_flag"):
            conn.execute(text(f"ALTER TABLE submissions DROP COLUMN {column}"))
        conn.execute(text("DELETE FROM intake_state"))
        conn.commit()
    ledger._ENGINES.pop(ledger.url_of(ledger_target)).dispose()
    with ledger.open_ledger(ledger_target) as conn:
        [row] = ledger.submissions_frame(conn).itertuples()
        assert ledger.backlog_loaded(conn)
        assert not intake.find_pending(tmp_path / "inputs", conn, tmp_path / "archive").backlog
    assert _day(row.received_at) == date(2012, 4, 2) and row.file_date == row.received_at
    assert (row.received_basis, row.received_flag) == ("file_date", "")


def test_two_runs_on_one_ledger_each_receipt_their_own_outputs(tmp_path, make_workbook, programmes, units) -> None:
    """Both scan before either stores: the second finds the bytes stored and still receipts the same file as
    that submission (a copy under another name as a duplicate), in its own outputs folder."""
    inputs, db = tmp_path / "inputs", tmp_path / "ledger.sqlite"
    good = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 3}), received=date(2012, 4, 2))
    with ledger.open_ledger(db) as a, ledger.open_ledger(db) as b:
        scans = [intake.find_pending(inputs, conn, tmp_path / "archive") for conn in (a, b)]
        for conn, pending, out in zip((a, b), scans, ("out-a", "out-b"), strict=True):
            stored = intake.store(conn, intake.process(pending.new, programmes, units), pending.copies, tmp_path / out)
            assert len(stored) == (1 if out == "out-a" else 0)
            intake.remember(conn, pending.known, pending.refused, tmp_path / out)
            intake.write_owed(conn, tmp_path / out)
    texts = [(tmp_path / out / f"{good.name}.txt").read_text(encoding="utf-8") for out in ("out-a", "out-b")]
    assert texts[0] == texts[1] and "ĐÃ TIẾP NHẬN" in texts[0] and "Ngày nhận: 02/04/2012" in texts[0]
