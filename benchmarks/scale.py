"""Scale benchmark: one command, a table of figures and ratios at three corpus sizes.

    .venv/bin/python benchmarks/scale.py                 # 660, 6 600 and 20 000 workbooks
    .venv/bin/python benchmarks/scale.py --sizes 660 6600 42000 --openpyxl-sample 1000

Each size is a synthetic corpus of real .xlsx workbooks in the officers' template (one per unit and month,
units invented as needed: a province has 11, the country about 700), written fast by substituting the unit,
period and values into one template's XML. Measured in the same run, per size:
  (a) the floor: python-calamine reading every file and nothing else
  (b) what a user would write: pandas.read_excel(engine="openpyxl") on every file (or a sample, scaled)
  (c) our full ingest: archive copy + sha256, guards, reading, layout, validation, ledger writes, receipts
      (the worker processes are started before, as in a running `serve`; their start-up is printed apart)
  (d) a second run with nothing changed      (e) a run after one file changed
  (f) aggregation and rendering of one annual report for both recipients (PDF and Excel)
  (g) the ingest through the Prefect flow against the direct call (largest size; a running server)
  (h) peak memory of the whole process
Targets are printed as met or not. No assertion: CI runs `--sizes 24` as a smoke test.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import resource
import shutil
import socket
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from pipeline import aggregating, intake, ledger, ops, reading  # noqa: E402
from pipeline.completeness import load_rules  # noqa: E402
from pipeline.paths import packaged_config  # noqa: E402
from pipeline.periods import month, year  # noqa: E402
from pipeline.programme import load_programmes  # noqa: E402
from pipeline.recipients import load_recipients  # noqa: E402
from pipeline.report import build, excel, html  # noqa: E402
from pipeline.units import UnitRegistry, load_units  # noqa: E402
from pipeline.workbook import Filling, build_workbook  # noqa: E402

MONTHS = [(y, m) for y in range(2011, 2016) for m in range(1, 13)]


def synthetic_units(n: int) -> UnitRegistry:
    units = [
        {
            "code": f"u{i:04d}",
            "name": f"Số {i:04d}",
            "titles": [{"from": "2000-01-01", "type": "huyện"}],
            "valid_from": "2000-01-01",
            "valid_to": None,
            "priority": i % 3 == 0,
        }
        for i in range(1, n + 1)
    ]
    return UnitRegistry.model_validate({"province": "Bình Phước", "units": units})


class Corpus:
    """Writes workbooks by substituting unit, period and values into one template's XML parts."""

    def __init__(self, programme):
        base = build_workbook(
            programme,
            synthetic_units(1).units[0],
            month(2011, 1),
            Filling(
                results={c: 11111 for c in programme.targeted},
                spending={sp.code: {s: 22222 for s in programme.source_codes} for sp in programme.subprogrammes},
            ),
        )
        buffer = io.BytesIO()
        base.save(buffer)
        with zipfile.ZipFile(buffer) as z:
            self.parts = {n: z.read(n) for n in z.namelist()}

    def write(self, path: Path, unit: int, ym: tuple[int, int], seed: int) -> None:
        y, m = ym
        sheet = self.parts["xl/worksheets/sheet1.xml"].decode()  # openpyxl writes its strings inline
        sheet = sheet.replace("SỐ 0001", f"SỐ {unit:04d}").replace("Số 0001", f"Số {unit:04d}")
        sheet = sheet.replace("háng 1 năm 2011", f"háng {m} năm {y}")
        counter = iter(range(10**6))
        sheet = re.sub(r"<v>11111</v>", lambda _: f"<v>{(seed * 7 + next(counter)) % 5}</v>", sheet)
        sheet = re.sub(r"<v>22222</v>", lambda _: f"<v>{((seed * 13 + next(counter)) % 50) / 10}</v>", sheet)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.parts.items():
                z.writestr(name, sheet.encode() if name == "xl/worksheets/sheet1.xml" else data)


def make_corpus(folder: Path, n: int, programme) -> tuple[list[Path], int]:
    units = max(11, -(-n // len(MONTHS)))
    corpus = Corpus(programme)
    paths = []
    for i in range(n):
        unit, ym = i // len(MONTHS) + 1, MONTHS[i % len(MONTHS)]
        path = folder / f"u{unit:04d}" / f"bc-{ym[0]}-{ym[1]:02d}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        corpus.write(path, unit, ym, i)
        paths.append(path)
    return paths, units


def each(paths: list[Path], read) -> None:
    """Read every file, keeping nothing (a list of every result would weigh more than the pipeline)."""
    for p in paths:
        read(p)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def ingest(inputs: Path, db: Path, programmes, units):
    """The stage functions called directly, wired as the flow wires them: parse in worker processes, store and
    receipt each chunk while the next is parsed, then mark the files seen."""
    statuses = []
    folder = db.parent / "receipts"
    with ledger.open_ledger(db) as conn:
        pending = intake.find_pending(inputs, conn, db.parent / "archive")
        for reports in intake.process_stream(pending.new, programmes, units):
            intake.store(
                conn,
                reports,
                {r.file.sha256: pending.copies[r.file.sha256] for r in reports if r.file.sha256 in pending.copies},
                folder,
            )
            intake.write_owed(conn, folder)
            statuses += [r.status.value for r in reports]
        intake.remember(conn, pending.known, pending.refused, folder)
        intake.write_owed(conn, folder)
    return pending, statuses


def one_size(n: int, sample: int, work: Path, with_prefect: bool) -> dict[str, float]:
    programmes = load_programmes(packaged_config())
    programme = programmes[0]
    folder = work / f"n{n}"
    inputs = folder / "inputs"
    t_make, (paths, n_units) = timed(lambda: make_corpus(inputs, n, programme))
    units = synthetic_units(n_units)
    floor, _ = timed(
        lambda: each(paths, lambda p: CalamineWorkbook.from_path(str(p)).get_sheet_by_name("BaoCao").to_python())
    )
    subset = paths[:sample]
    naive, _ = timed(lambda: each(subset, lambda p: pd.read_excel(p, engine="openpyxl", header=None)))
    naive *= len(paths) / len(subset)
    db = folder / "ledger.sqlite"
    start_workers, _ = timed(
        lambda: list(
            intake.process_stream(  # as in a running `serve`: started once
                [reading.file_info(p, inputs) for p in paths[: intake.PARALLEL_FROM]], programmes, units
            )
        )
    )
    full, (_, statuses) = timed(lambda: ingest(inputs, db, programmes, units))
    assert sum(s != "rejected" for s in statuses) == n, "the synthetic corpus must be accepted"
    again, (pending, _) = timed(lambda: ingest(inputs, db, programmes, units))
    assert not pending.new
    one = paths[len(paths) // 2]
    Corpus(programme).write(one, int(one.parent.name[1:]), tuple(int(x) for x in one.stem[3:].split("-")), 99991)
    one_read, _ = timed(lambda: CalamineWorkbook.from_path(str(one)).get_sheet_by_name("BaoCao").to_python())
    changed, _ = timed(lambda: ingest(inputs, db, programmes, units))

    def report():
        with ledger.open_ledger(db) as conn:
            subs, vals = ledger.submissions_frame(conn), ledger.values_frame(conn)
            probs = ledger.problems_frame(conn, rejected_only=True)
        c = aggregating.aggregate(
            subs, vals, programme, units, year(2013), load_rules(packaged_config()), problems=probs
        )
        book = load_recipients(packaged_config())
        for r in book.recipients:
            html.render_pdf(build.build_document(c, r, book.issuer, book.titles), folder / "out" / f"{r.code}.pdf")
            excel.write_workbook(
                build.build_document(c, r, book.issuer, book.titles), folder / "out" / f"{r.code}.xlsx"
            )

    render, _ = timed(report)
    result = {
        "n": n,
        "make": t_make,
        "floor": floor,
        "naive": naive,
        "full": full,
        "again": again,
        "start_workers": start_workers,
        "changed": changed,
        "one_read": one_read,
        "render": render,
    }
    if with_prefect:
        result |= prefect_overhead(inputs, folder, units)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shutil.rmtree(folder)
    return result


def prefect_overhead(inputs: Path, folder: Path, units) -> dict[str, float]:
    """The same ingest through the flow against the direct call of the stage functions, on fresh ledgers, with
    a running Prefect server (PREFECT_API_URL, else one started here) and the worker processes already started
    for both."""
    config = folder / "config"
    shutil.copytree(packaged_config(), config)
    (config / "units.yaml").write_text(
        yaml.safe_dump(
            {"province": "Bình Phước", "units": [u.model_dump(mode="json") for u in units.units]}, allow_unicode=True
        ),
        encoding="utf-8",
    )
    programmes, units = load_programmes(config), load_units(config)  # exactly what the flow's tasks load
    warm = sorted(inputs.rglob("*.xlsx"))[: intake.PARALLEL_FROM]
    list(intake.process_stream([reading.file_info(p, inputs) for p in warm], programmes, units))
    with running_server(folder):
        import flows

        flows.ingest_inputs(str(folder / "warm"), str(folder / "warm-out"), str(folder / "warm.sqlite"))
        direct, _ = timed(lambda: ingest(inputs, folder / "direct" / "ledger.sqlite", programmes, units))
        via, summary = timed(
            lambda: flows.ingest_inputs(
                str(inputs), str(folder / "flow-out"), str(folder / "flow.sqlite"), config=str(config)
            )
        )
    return {"direct": direct, "flow": via, "flow_new": summary.new}


@contextmanager
def running_server(folder: Path):
    """The Prefect server at PREFECT_API_URL, else `prefect server start` on a free port (its own home)."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    os.environ["PREFECT_HOME"] = str(folder / "prefect-home")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with ops.local_server(port) as url:
        try:
            yield url
        finally:
            from prefect.logging.handlers import APILogHandler

            with suppress(Exception):  # only log delivery: the figures are measured
                APILogHandler().flush()  # the run's last logs reach the server before it stops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[660, 6600, 20000])
    parser.add_argument("--openpyxl-sample", type=int, default=600, help="files read with openpyxl, scaled up")
    parser.add_argument("--no-prefect", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.processor() or '?'}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores"
    )
    print(
        f"{'files':>7} {'floor s':>8} {'openpyxl s':>10} {'ingest s':>9} {'ingest/floor':>12} "
        f"{'openpyxl/ingest':>15} {'rerun %':>8} {'1 change s':>10} {'report s':>9} {'peak MiB':>9}",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, n in enumerate(args.sizes):  # each row printed as soon as it is measured
            last = i == len(args.sizes) - 1
            r = one_size(n, min(n, args.openpyxl_sample), Path(tmp), not args.no_prefect and last)
            rows.append(r)
            print(
                f"{r['n']:>7} {r['floor']:>8.2f} {r['naive']:>10.2f} {r['full']:>9.2f} "
                f"{r['full'] / r['floor']:>12.1f} {r['naive'] / r['full']:>15.1f} "
                f"{100 * r['again'] / r['full']:>8.1f} {r['changed']:>10.2f} {r['render']:>9.2f} "
                f"{r['peak_mib']:>9.0f}",
                flush=True,
            )
    last = rows[-1]
    slope = [(b["full"] - a["full"]) / (b["n"] - a["n"]) * 1000 for a, b in zip(rows, rows[1:], strict=False)]
    targets = [
        (
            "full ingest within 2x the floor (a)",
            last["full"] <= 2 * last["floor"],
            f"{last['full'] / last['floor']:.1f}x",
        ),
        (
            "at least 8x faster than openpyxl (b)",
            last["naive"] >= 8 * last["full"],
            f"{last['naive'] / last['full']:.1f}x",
        ),
        (
            "no-change re-run within 5 % of a full ingest",
            last["again"] <= 0.05 * last["full"],
            f"{100 * last['again'] / last['full']:.1f} %",
        ),
        (
            "one-file change within 2x (reading that file + rendering)",
            last["changed"] <= 2 * (last["one_read"] + last["render"]),
            f"{last['changed']:.2f} s",
        ),
        ("peak memory under 1 GiB", last["peak_mib"] < 1024, f"{last['peak_mib']:.0f} MiB"),
    ]
    if len(slope) >= 2:
        targets.append(
            (
                "cost grows linearly (last slope within 25 % of the first)",
                slope[-1] <= 1.25 * slope[0],
                " → ".join(f"{x:.2f}" for x in slope) + " ms per file",
            )
        )
    if "flow" in last:
        over = last["flow"] / last["direct"] - 1
        targets.append(
            (
                "Prefect overhead within 15 % (largest size, running server)",
                over <= 0.15,
                f"{100 * over:.0f} % ({last['flow']:.1f} s through the flow, {last['direct']:.1f} s direct)",
            )
        )
    print("slope of ingest cost (ms per file) between sizes: " + ", ".join(f"{s:.2f}" for s in slope))
    print(
        f"worker processes started before (c), once per process: {max(r['start_workers'] for r in rows):.1f} s "
        f"(with {intake.PARALLEL_FROM} files parsed)"
    )
    for name, met, figure in targets:
        print(f"  [{'met' if met else 'NOT met'}] {name}: {figure}")


if __name__ == "__main__":
    main()
