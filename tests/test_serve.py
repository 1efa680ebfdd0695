"""Running it as operations software: the served deployments' schedules, an intake that waits for files
being copied, two runs at once, and a run killed while rendering (real processes, real signals)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pypdf import PdfReader

import flows
from pipeline.completeness import load_rules
from pipeline.paths import packaged_config
from pipeline.periods import Kind, month
from pipeline.programme import load_programmes
from pipeline.schedules import next_runs, period_for, schedules
from pipeline.units import load_units
from pipeline.workbook import Filling, write_template

KHUYENCONG = str(Path(sys.executable).with_name("khuyencong"))
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_served_deployments_carry_the_schedules(tmp_path) -> None:
    served = {
        d.name if d.flow_name is None else d.flow_name: d
        for d in flows.deployments(str(tmp_path / "in"), str(tmp_path / "out"), str(tmp_path / "l.sqlite"))
    }
    rules = load_rules(packaged_config())
    for s in schedules(rules):
        [schedule] = served[s.flow].schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == (s.cron, "Asia/Ho_Chi_Minh")
        assert served[s.flow].parameters["outputs"] == str(tmp_path / "out")
    assert served["ingest_inputs"].schedules == []  # serve's intake loop starts it when files change
    # the next monthly runs after 20/03/2012, and the periods they report on
    monthly = next(s for s in schedules(rules) if s.kind is Kind.MONTH)
    runs = next_runs(monthly, datetime(2012, 3, 20, tzinfo=HCM), 3)
    assert [r.date() for r in runs] == [date(2012, 4, 15), date(2012, 5, 15), date(2012, 6, 15)]
    programmes = load_programmes(packaged_config())
    assert [period_for(Kind.MONTH, r.date(), programmes).code for r in runs] == ["2012-03", "2012-04", "2012-05"]


def _workbook(folder: Path, unit: str, period, value: int, name: str | None = None) -> Path:
    programme, units = load_programmes(packaged_config())[0], load_units(packaged_config())
    return write_template(
        programme,
        units.by_code[unit],
        period,
        folder / (name or f"{unit}-{period.code}.xlsx"),
        Filling(results={"P1.2": value}),
    )


def test_intake_reads_a_file_dropped_while_it_runs(tmp_path, harness) -> None:
    inputs, outputs = tmp_path / "inputs", tmp_path / "outputs"
    _workbook(inputs, "bu-dang", month(2012, 3), 3)  # just written: still "being copied" when the run starts

    def drop_later() -> None:
        time.sleep(1.5)
        _workbook(inputs, "loc-ninh", month(2012, 3), 4)

    dropper = threading.Thread(target=drop_later)
    dropper.start()
    summary = flows.ingest_inputs(inputs=str(inputs), outputs=str(outputs), ledger_file=str(tmp_path / "l.sqlite"))
    dropper.join()
    assert (summary.new, summary.accepted) == (2, 2)
    for name in ("bu-dang-2012-03.xlsx", "loc-ninh-2012-03.xlsx"):
        assert "ĐÃ TIẾP NHẬN" in (outputs / "receipts" / f"{name}.txt").read_text(encoding="utf-8")


def _workspace(tmp_path: Path) -> Path:
    inputs = tmp_path / "inputs"
    for unit in ("bu-dang", "loc-ninh", "dong-xoai"):
        for m in (7, 8, 9):
            _workbook(inputs, unit, month(2012, m), m)
    old = datetime(2012, 10, 2).timestamp()
    for p in inputs.iterdir():
        os.utime(p, (old, old))  # dropped long ago: nothing is settling
    return tmp_path


def _run(root: Path, home: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_HOME": str(root / home)}
    env.pop("PREFECT_API_URL", None)
    return subprocess.Popen(
        [
            KHUYENCONG,
            "run",
            "--period",
            "2012-Q3",
            "--inputs",
            str(root / "inputs"),
            "--outputs",
            str(root / "outputs"),
            "--ledger",
            str(root / "ledger.sqlite"),
            *args,
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # its own process group: killing the run kills its children


def _sound(root: Path) -> None:
    with sqlite3.connect(root / "ledger.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 9
    reports = root / "outputs" / "reports" / "2012-Q3"
    assert not list(reports.glob(".*tmp*")) and not list(reports.glob("*.tmp"))
    assert not list((root / "outputs" / "reports" / ".versions" / "2012-Q3").glob("*.partial"))  # cleaned up
    for pdf in reports.glob("*.pdf"):
        assert "quý III năm 2012" in PdfReader(pdf).pages[0].extract_text()


def test_two_runs_at_once_leave_sound_ledger_and_outputs(tmp_path) -> None:
    root = _workspace(tmp_path)
    first, second = _run(root, "p1"), _run(root, "p2")
    out1, out2 = first.communicate(timeout=240)[0], second.communicate(timeout=240)[0]
    assert first.returncode == 0, out1
    assert second.returncode == 0, out2
    _sound(root)


def test_a_run_killed_while_rendering_leaves_the_previous_reports_and_the_next_run_completes(tmp_path) -> None:
    root = _workspace(tmp_path)
    done = _run(root, "p1")
    assert done.wait(timeout=240) == 0
    reports = root / "outputs" / "reports" / "2012-Q3"
    before = {p.name: p.read_bytes() for p in reports.iterdir()}
    assert {
        "bao-cao-2012-Q3-ubnd-tinh.pdf",
        "bao-cao-2012-Q3-bo-cong-thuong.xlsx",
        "2012-Q3-so-lieu.csv",
        "manifest.json",
    } <= set(before)
    victim = _run(root, "p1", "--number", "7")
    deadline = time.monotonic() + 240
    staging = root / "outputs" / "reports" / ".versions" / "2012-Q3"
    while not list(staging.glob("*.partial/.*.tmp")):  # rendering has begun: a temporary output exists
        assert victim.poll() is None, victim.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(victim.pid, signal.SIGKILL)  # the run and its temporary Prefect server, as an operator's kill
    victim.wait()
    after = {p.name: p.read_bytes() for p in reports.iterdir() if not p.name.startswith(".")}
    assert after == before  # every previous report intact, nothing half-written under a report's name
    again = _run(root, "p1", "--number", "7")
    assert again.wait(timeout=240) == 0
    _sound(root)
    assert "Số: 07/BC-SCT" in PdfReader(reports / "bao-cao-2012-Q3-ubnd-tinh.pdf").pages[0].extract_text()


def test_a_notification_that_cannot_be_sent_does_not_fail_the_run(tmp_path, harness) -> None:
    """Notifications on, pointing at a port where nothing listens: the ingest still succeeds and says so."""
    import shutil

    config_dir = packaged_config()

    config = tmp_path / "config"
    shutil.copytree(config_dir, config)
    (config / "notifications.yaml").write_text(
        "enabled: true\nwebhook_url: http://127.0.0.1:9/nobody\ntimeout_seconds: 1\n", encoding="utf-8"
    )
    inputs = tmp_path / "inputs"
    bad = _workbook(inputs, "bu-dang", month(2012, 3), -1)  # rejected: a notification is due
    old = datetime(2012, 4, 2).timestamp()
    os.utime(bad, (old, old))
    summary = flows.ingest_inputs(str(inputs), str(tmp_path / "out"), str(tmp_path / "l.sqlite"), config=str(config))
    assert (summary.new, summary.rejected) == (1, 1)
    assert (tmp_path / "out" / "receipts" / f"{bad.name}.txt").exists()


# ------------------------------------------------------------------------------------- serve as a service


def test_intake_loop_runs_once_per_change_and_never_for_nothing(tmp_path) -> None:
    """Real files, a real ledger: the loop starts an intake only for a new or changed file that has stopped
    changing, whatever the number of polls and file events in between."""
    from pipeline import intake, ledger, ops

    inputs, db = tmp_path / "inputs", tmp_path / "l.sqlite"
    inputs.mkdir()
    programmes, units = load_programmes(packaged_config()), load_units(packaged_config())
    runs: list[list[str]] = []

    def changed():
        with ledger.open_ledger(db) as conn:
            return intake.unread(inputs, conn)

    def run():
        with ledger.open_ledger(db) as conn:
            pending = intake.find_pending(inputs, conn, tmp_path / "archive")
            intake.store(conn, intake.process(pending.new, programmes, units), pending.copies, tmp_path / "receipts")
            intake.remember(conn, pending.known, pending.refused, tmp_path / "receipts")
        runs.append(sorted(f.name for f in pending.new))

    loop = ops.IntakeLoop(inputs, changed, run, poll_seconds=0.1, settle_seconds=0.5).start(watch=True)
    try:
        time.sleep(1.5)  # many polls of an empty folder
        assert runs == []
        path = _workbook(inputs, "bu-dang", month(2012, 3), 3)
        _wait_for(lambda: len(runs) == 1)
        time.sleep(1.5)  # polls and events after the read: nothing new
        assert runs == [[path.name]]
        _workbook(inputs, "bu-dang", month(2012, 3), 5)  # the same file changed
        _wait_for(lambda: len(runs) == 2)
        time.sleep(1.5)
        assert runs == [[path.name], [path.name]]
    finally:
        loop.stop(wait=5)


def _wait_for(condition, limit: float = 300) -> None:
    deadline = time.monotonic() + limit  # a generous bound on a busy machine, not a timing assertion
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` (from /proc), at this moment."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _flow_runs(api: str, flow_name: str) -> list[dict]:
    import json
    import urllib.request

    body = json.dumps({"flows": {"name": {"any_": [flow_name]}}}).encode()
    request = urllib.request.Request(f"{api}/flow_runs/filter", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return [r for r in json.loads(response.read()) if r["state_type"] != "SCHEDULED"]  # runs made


def test_serve_receipts_a_dropped_file_shares_its_server_and_stops_on_sigterm(tmp_path) -> None:
    """`khuyencong serve` as staff start it, in an empty folder: it announces its server, a dropped file gets
    its receipt with one intake run (none for nothing), `khuyencong run` in the same folder uses that server
    instead of starting one, and SIGTERM stops everything it started, the Prefect server included."""
    (tmp_path / "inputs").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    serve = subprocess.Popen(
        [KHUYENCONG, "serve", "--port", str(_free_port())],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(serve.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        _wait_for(lambda: any(line.startswith("Ready:") for line in lines) or serve.poll() is not None, 600)
        assert serve.poll() is None, "".join(lines)
        api = next(line for line in lines if line.startswith("Prefect API:")).split()[2]
        dropped = _workbook(tmp_path / "inputs", "bu-dang", month(2012, 3), 7)
        receipt = tmp_path / "outputs" / "receipts" / f"{dropped.name}.txt"
        _wait_for(receipt.exists)
        assert "ĐÃ TIẾP NHẬN" in receipt.read_text(encoding="utf-8")
        _wait_for(lambda: any(r["state_type"] == "COMPLETED" for r in _flow_runs(api, "ingest_inputs")))
        done = subprocess.run(
            [KHUYENCONG, "run", "--period", "2012-03"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "using the server of `khuyencong serve`" in done.stderr
        assert "temporary server" not in done.stdout + done.stderr
        assert [r["name"] for r in _flow_runs(api, "monthly_report")] == ["monthly-2012-03"]
        assert len(_flow_runs(api, "ingest_inputs")) == 1  # the drop; the run's own ingest is inside its flow
        started = _descendants(serve.pid)
        assert started  # the Prefect server and the intake's workers
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=120)
        finally:
            serve.kill()
    reader.join(10)
    output = "".join(lines)
    assert serve.returncode == 0, output
    assert "Traceback" not in output
    assert "khuyencong serve stopped" in output
    _wait_for(lambda: not any(_alive(pid) for pid in started), 30)
    assert not (tmp_path / ".prefect" / "khuyencong-server.json").exists()


def test_a_cold_run_completes_while_every_core_is_busy(tmp_path) -> None:
    """A new folder (Prefect must create and migrate its database) on a machine whose cores are all taken:
    the temporary server gets the time it needs, and the console says it is starting."""
    _workbook(tmp_path / "inputs", "bu-dang", month(2012, 3), 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        done = subprocess.run(
            [KHUYENCONG, "run", "--period", "2012-03"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "starting a temporary server" in done.stderr
    assert (tmp_path / ".prefect" / "prefect.db").exists()
    assert (tmp_path / "outputs" / "reports" / "2012-03" / "bao-cao-2012-03-ubnd-tinh.pdf").exists()
