"""Benchmark: the web portal's answers (issue 15).

    .venv/bin/python benchmarks/web.py

Measures and prints, with the target and the ratio target / measured (>= 1: met):
  (a) the check of one workbook (the demo's largest): `pipeline.check.dry_run` alone, and the whole POST
      /kiem-tra through the app (multipart, guards, reading, validation, the page): target <= 1 s;
  (b) the staff matrix for the province over five years (2011-2015, months: 60 periods x 12 units) on the demo
      data read by the real intake: `build_matrix` and the whole GET /tong-hop: target <= 0,5 s;
  (c) the matrix for 700 units (a synthetic registry, one accepted monthly report per unit and month): a year
      of months, target <= 2 s; and five years, for information.
Each figure is the median of several runs. Timings are wall-clock on whatever else the machine is doing.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import check, intake, ledger  # noqa: E402
from pipeline.configuration import load_configuration  # noqa: E402
from pipeline.demo import generate  # noqa: E402
from pipeline.paths import Workspace, packaged_config  # noqa: E402
from pipeline.periods import Kind  # noqa: E402
from pipeline.units import Title, Unit  # noqa: E402
from pipeline.web import WebSettings, create_app  # noqa: E402
from pipeline.web import matrix as mx  # noqa: E402
from pipeline.web.accounts import set_account  # noqa: E402

PASSWORD = "benchmark-password"


def median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def line(what: str, seconds: float, target: float) -> None:
    ratio = target / seconds
    verdict = "met" if ratio >= 1 else "NOT met"
    print(f"  {what:<58} {seconds * 1000:9.1f} ms  target {target:.1f} s  ratio {ratio:7.1f}  {verdict}")


def signed_in(app, user: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/dang-nhap").text).group(1)
    client.post("/dang-nhap", data={"csrf": token, "username": user, "password": PASSWORD})
    return client


def synthetic(n_units: int, first_year: int, last_year: int) -> tuple[list[Unit], pd.DataFrame]:
    units = [
        Unit(
            code=f"u{i:03d}",
            name=f"Đơn vị {i}",
            titles=(Title(since=date(2000, 1, 1), type="huyện"),),
            valid_from=date(2000, 1, 1),
        )
        for i in range(n_units)
    ]
    rows, n = [], 0
    for u in units:
        for y in range(first_year, last_year + 1):
            for m in range(1, 13):
                n += 1
                end = date(y, m, 28) + timedelta(days=4 + n % 12)  # some after the 10th of the next month: late
                at = datetime(end.year, end.month, end.day, 9, tzinfo=UTC).isoformat()
                rows.append(
                    {
                        "id": n,
                        "sha256": f"{n:064x}",
                        "file_name": f"{u.code}-{y}-{m:02d}.xlsx",
                        "status": "accepted",
                        "programme": "x",
                        "unit_code": u.code,
                        "period_code": f"{y}-{m:02d}",
                        "period_first": f"{y}-{m:02d}",
                        "period_last": f"{y}-{m:02d}",
                        "received_at": at,
                        "file_date": at,
                    }
                )
    return units, pd.DataFrame(rows)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cfg = load_configuration(packaged_config())
        config = root / "config"
        config.mkdir()
        for f in packaged_config().rglob("*.yaml"):
            target = config / f.relative_to(packaged_config())
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
        ws = Workspace(root / "inputs", root / "outputs", root / "ledger.sqlite", config)
        set_account(config, cfg.units, "bu-dang", PASSWORD, "officer", "Bù Đăng")
        set_account(config, cfg.units, "so-ct", PASSWORD, "staff")
        cfg = load_configuration(config)
        print("demo data: writing and reading the workbooks…", flush=True)
        generate(ws.inputs, cfg.programmes[0], cfg.units)
        with ledger.open_ledger(ws.ledger) as conn:
            pending = intake.find_pending(ws.inputs, conn, ws.archive)
            reports = intake.process_parallel(pending.new, cfg.programmes, cfg.units)
            intake.store(conn, reports, pending.copies, ws.receipts)
            intake.remember(conn, pending.known, pending.refused, ws.receipts)
            subs = ledger.submissions_frame(conn)
        intake.shutdown_workers()
        print(f"  {len(subs)} submissions in the ledger")
        app = create_app(cfg, ws, ws.ledger, WebSettings(secret="benchmark", today=date(2016, 3, 1)))

        print("(a) the check of one workbook")
        path = max(ws.inputs.rglob("*.xls*"), key=lambda f: f.stat().st_size)  # the demo's largest workbook
        print(f"  {path.name}: {path.stat().st_size // 1024} KiB")
        line("pipeline.check.dry_run", median(lambda: check.dry_run(path, cfg.programmes, cfg.units), 20), 1.0)
        officer = signed_in(app, "bu-dang")
        token = re.search(r'name="csrf" value="([^"]+)"', officer.get("/don-vi").text).group(1)
        data = path.read_bytes()

        def post() -> None:
            answer = officer.post(
                "/kiem-tra", data={"csrf": token}, files={"file": (path.name, data, "application/octet-stream")}
            )
            assert answer.status_code == 200 and "Kết quả kiểm tra" in answer.text, answer.text[:500]

        line("POST /kiem-tra (upload, check, page)", median(post, 20), 1.0)

        print("(b) the matrix for the province over five years (months 2011-2015)")
        periods = mx.periods_of(Kind.MONTH, 2011, 2015)
        units = [u for u in cfg.units.units if any(u.exists_during(q) for q in periods)]
        line(
            f"build_matrix ({len(units)} units x {len(periods)} periods)",
            median(lambda: mx.build_matrix(subs, units, periods, cfg.rules, date(2016, 3, 1)), 5),
            0.5,
        )
        staff = signed_in(app, "so-ct")
        line(
            "GET /tong-hop (ledger, matrix, page)",
            median(lambda: staff.get("/tong-hop?loai=thang&tu=2011&den=2015").raise_for_status(), 5),
            0.5,
        )
        line(
            "GET /tong-hop quarters 2011-2015",
            median(lambda: staff.get("/tong-hop?loai=quy&tu=2011&den=2015").raise_for_status(), 5),
            0.5,
        )

        print("(c) the matrix for 700 units")
        many, frame = synthetic(700, 2011, 2015)
        year = mx.periods_of(Kind.MONTH, 2015, 2015)
        line(
            f"build_matrix (700 units x {len(year)} months, {len(frame)} reports)",
            median(lambda: mx.build_matrix(frame, many, year, cfg.rules, date(2016, 3, 1)), 3),
            2.0,
        )
        five = mx.periods_of(Kind.MONTH, 2011, 2015)
        line(
            f"build_matrix (700 units x {len(five)} months) [information]",
            median(lambda: mx.build_matrix(frame, many, five, cfg.rules, date(2016, 3, 1)), 1),
            2.0,
        )


if __name__ == "__main__":
    main()
