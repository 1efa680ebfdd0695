"""A period's set of reports - every recipient's PDF, Excel and HTML and the CSV export - published as one unit
(pipeline.publish): a reader of outputs/reports/<period>/ sees the whole previous set or the whole new one.
Real renders from a real ledger, the stage killed with SIGKILL at every step in a process of its own, a write
refused by the kernel in the middle of a real `khuyencong run`, the manifest checked against the files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import frames
from docx import Document as read_docx
from openpyxl import load_workbook
from pypdf import PdfReader

from pipeline import publish
from pipeline.aggregating import aggregate
from pipeline.completeness import load_rules
from pipeline.export import period_problems, provenance
from pipeline.paths import packaged_config
from pipeline.periods import parse_period
from pipeline.programme import load_programmes, programme_for_year
from pipeline.recipients import load_recipients
from pipeline.reports import publish_reports
from pipeline.units import load_units
from pipeline.workbook import Filling

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # this worktree: what subprocesses must import
DRIVER = PROJECT_ROOT / "tests" / "stage_driver.py"
Q3 = "2012-Q3"
TRAINED = re.compile(r"Đào tạo mới ([\d.]+) lao động")  # section I's sentence on indicator P1.2


def _send(root: Path, make_workbook, ingest, value: int, n: int) -> None:
    """Bù Đăng sends version n of its 2012-Q3 report, P1.2 = value; it replaces the earlier ones."""
    make_workbook(
        root,
        "bu-dang",
        Q3,
        Filling(results={"P1.2": value}),
        name=f"bu-dang-q3-v{n}.xlsx",
        received=datetime(2012, 10, 2, 9, n),
    )
    ingest(root / "inputs", root / "ledger.sqlite")


# --- what a reader sees --------------------------------------------------------------------------------------


def _said(path: Path) -> int | None:
    """The P1.2 figure of the period as one file of the set states it (None: a file without it, the problems)."""
    if path.name.startswith("bao-cao-") and path.suffix == ".pdf":
        found = TRAINED.findall(" ".join(" ".join(p.extract_text().split()) for p in PdfReader(path).pages))
    elif path.name.startswith("bao-cao-") and path.suffix == ".html":
        found = TRAINED.findall(" ".join(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")).split()))
    elif path.name.startswith("bao-cao-") and path.suffix == ".docx":
        found = TRAINED.findall(" ".join(p.text for p in read_docx(str(path)).paragraphs))
    elif path.name.startswith("bao-cao-") and path.suffix == ".xlsx":
        found = [
            str(r[3])
            for r in load_workbook(path, read_only=True)["PhuLuc01"].iter_rows(values_only=True)
            if r[0] == "P1.2"
        ]
    elif "-so-lieu." in path.name:  # the export's figures, CSV and .xlsx
        figures = _export_table(path)
        found = figures.loc[figures["Mã chỉ tiêu"] == "P1.2", "Thực hiện trong kỳ"].tolist()
    elif "-gia-tri." in path.name:  # the values behind the figures: the counted version's P1.2
        values = _export_table(path)
        found = values.loc[(values["Mã chỉ tiêu"] == "P1.2") & (values["Tính trong kỳ"] == "có"), "Giá trị"].tolist()
    else:
        return None
    assert len(set(found)) == 1, (path.name, found)
    return int(Decimal(found[0].replace(".", "").replace(",", ".")))


def _export_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return pd.read_excel(path, dtype=str, keep_default_na=False)


def _read_set(link: Path) -> int:
    """Read the set as a reader would (the link resolved once); check it whole - the files are exactly those of
    its manifest, with their sizes and sha256 - and that every file states the same figure; return it."""
    assert link.is_symlink()
    folder = link.resolve()
    manifest = json.loads((folder / publish.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["period"] == Q3 and manifest["version"] == folder.name
    listed = {f["name"]: f for f in manifest["files"]}
    assert sorted(listed) == sorted(p.name for p in folder.iterdir() if p.name != publish.MANIFEST)
    for name, f in listed.items():
        data = (folder / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (f["bytes"], f["sha256"]), name
    assert {Path(n).suffix for n in listed} == {".pdf", ".xlsx", ".html", ".docx", ".csv"}
    said = {name: _said(folder / name) for name in listed}
    said = {name: value for name, value in said.items() if value is not None}
    assert len(said) >= 8 and len(set(said.values())) == 1, said  # never a new PDF beside an old Excel
    return next(iter(said.values()))


# --- the stage in processes of its own ------------------------------------------------------------------------


class _Stage:
    """tests/stage_driver.py: imports once, then runs the report stage in a forked process per run, paused
    just before a chosen step for the test to kill it."""

    def __init__(self, root: Path, config: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(DRIVER),
                str(root / "ledger.sqlite"),
                str(root / "outputs" / "reports"),
                Q3,
                str(config),
            ],
            env=env | {"PYTHONPATH": str(PROJECT_ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.said: list[str] = []

    def run(self, pause_at: int = 0) -> tuple[int, str]:
        """Start a run; return its pid and its word: "paused <n> <operation> <path>" or "done <steps>"."""
        self.proc.stdin.write(f"{pause_at}\n")
        self.proc.stdin.flush()
        pid = 0
        for line in self._lines():
            if line.startswith("run "):
                pid = int(line.split()[1])
            elif line.startswith(("paused ", "done ")):
                return pid, line
        raise AssertionError(f"the run ended without a word:\n{''.join(self.said)}")

    def ended(self) -> int:
        """The exit code of the run (-9: killed)."""
        for line in self._lines():
            if line.startswith("ended "):
                return int(line.split()[1])
        raise AssertionError("".join(self.said))

    def _lines(self):
        for line in self.proc.stdout:
            self.said.append(line)
            yield line.strip()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _one_recipient(root: Path) -> Path:
    """The packaged configuration with one recipient (Bộ Công Thương): a set of nine files - PDF, Excel, HTML
    and the export's three CSV and three .xlsx - so that a fresh run per step stays affordable; a second
    recipient adds three more files published the same way (both are in the sets of the other tests here)."""
    config = root / "config"
    shutil.copytree(packaged_config(), config)
    book = yaml.safe_load((config / "recipients.yaml").read_text(encoding="utf-8"))
    book["recipients"] = [r for r in book["recipients"] if r["code"] == "bo-cong-thuong"]
    (config / "recipients.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return config


def _leftovers(reports: Path) -> list[str]:
    """Staging folders and links of killed runs under reports/.versions/."""
    return sorted(
        p.name
        for p in (reports / publish.VERSIONS / Q3).iterdir()
        if p.name.endswith(publish.PARTIAL) or p.is_symlink()
    )


def test_the_stage_killed_at_every_step_leaves_one_whole_set_and_the_next_run_completes(
    tmp_path, make_workbook, ingest
) -> None:
    reports = tmp_path / "outputs" / "reports"
    _send(tmp_path, make_workbook, ingest, 100, 0)
    stage = _Stage(tmp_path, _one_recipient(tmp_path))
    try:
        _, word = stage.run()
        assert word.startswith("done ") and stage.ended() == 0, stage.said
        published = _read_set(reports / Q3)
        assert published == 100
        steps = int(word.split()[1])  # the files put in place, the seal, the new link, the switch (nothing to prune)
        killed_at: list[str] = []
        outcome: list[str] = []
        for n in range(1, steps + 2):  # every step, and the first removal once killed runs have left something
            _send(tmp_path, make_workbook, ingest, 100 + n, n)
            pid, word = stage.run(pause_at=n)
            assert word.startswith(f"paused {n} "), word
            os.kill(pid, signal.SIGKILL)  # as an operator's kill -9, or the machine losing power
            assert stage.ended() == -signal.SIGKILL
            killed_at.append(word.split(maxsplit=2)[2])
            seen = _read_set(reports / Q3)
            assert seen in (published, 100 + n), (word, seen, published)
            outcome.append("old" if seen == published else "new")
            published = seen
        # killed before the switch, the previous set stays published; after it (while cleaning up), the new one
        assert outcome == ["old"] * steps + ["new"], list(zip(killed_at, outcome, strict=True))
        operations = [w.split()[0] for w in killed_at]
        assert operations[:-1] == ["replace"] * (steps - 3) + ["rename", "symlink", "replace"]
        assert operations[-1] in ("unlink", "rmtree")
        assert _leftovers(reports)  # killed runs left staging folders behind

        _send(tmp_path, make_workbook, ingest, 999, 59)
        _, word = stage.run()
        assert word.startswith("done ") and stage.ended() == 0, stage.said
    finally:
        stage.close()
    assert _read_set(reports / Q3) == 999
    assert _leftovers(reports) == []
    kept = sorted((reports / publish.VERSIONS / Q3).iterdir())
    assert len(kept) == publish.KEEP + 1 and kept[-1] == (reports / Q3).resolve()
    for version in kept:  # the previous versions kept are whole sets too
        assert (version / publish.MANIFEST).is_file()


# --- a write refused in the middle of a real run ---------------------------------------------------------------


@pytest.fixture
def api_url(harness) -> str:
    """The test harness's Prefect API, for flows run in other processes (no temporary server each)."""
    from prefect.settings import get_current_settings

    return str(get_current_settings().api.url)


def _run(root: Path, api: str) -> subprocess.Popen:
    """`khuyencong run --period 2012-Q3` from this worktree, in a process of its own, output through pipes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PYTHONPATH": str(PROJECT_ROOT), "PREFECT_HOME": str(root / ".prefect"), "PREFECT_API_URL": api}
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pipeline.cli import app; app()",
            "run",
            "--period",
            Q3,
            "--inputs",
            "inputs",
            "--outputs",
            "outputs",
            "--ledger",
            "ledger.sqlite",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_a_write_refused_while_rendering_leaves_the_published_set_and_says_so_in_one_line(
    tmp_path, make_workbook, api_url
) -> None:
    """The disk fills up in the middle of the report stage (here: the kernel refuses every write beyond 0 bytes,
    RLIMIT_FSIZE set on the running `khuyencong run` once its first new PDF is in place): the run ends with one
    line saying the published set is unchanged, which it is; the next run publishes."""
    reports = tmp_path / "outputs" / "reports"
    make_workbook(
        tmp_path, "bu-dang", Q3, Filling(results={"P1.2": 201}), name="v1.xlsx", received=datetime(2012, 10, 2, 9, 0)
    )
    done = _run(tmp_path, api_url)
    out, err = done.communicate(timeout=600)
    assert done.returncode == 0, out + err
    before = {p.name: p.read_bytes() for p in (reports / Q3).iterdir()}
    assert _read_set(reports / Q3) == 201

    make_workbook(
        tmp_path, "bu-dang", Q3, Filling(results={"P1.2": 202}), name="v2.xlsx", received=datetime(2012, 10, 2, 10, 0)
    )
    victim = _run(tmp_path, api_url)
    staging = reports / publish.VERSIONS / Q3
    deadline = time.monotonic() + 600
    while not list(staging.glob(f"*{publish.PARTIAL}/*.pdf")):  # the first new PDF is in the staging folder
        assert victim.poll() is None and time.monotonic() < deadline, victim.communicate()
        time.sleep(0.01)
    resource.prlimit(victim.pid, resource.RLIMIT_FSIZE, (0, 0))  # from now on its writes to files fail: EFBIG
    out, err = victim.communicate(timeout=600)
    assert victim.returncode == 2, out + err
    # the command's last word, in one line; above it, Prefect's log of the run (the failed task, in a line)
    line = [x for x in err.splitlines() if x.strip()][-1]
    assert line.startswith("cannot write the reports folder") and "File too large" in line
    assert (
        f"the reports for {Q3} were not replaced: {reports.relative_to(tmp_path) / Q3} still holds the set "
        "published before, unchanged" in line
    )
    assert "Retry 1/2" not in err  # a fault of the machine is not retried
    assert "Traceback" not in err  # Prefect's log of the failed task keeps its one line, not the traceback
    assert {p.name: p.read_bytes() for p in (reports / Q3).iterdir()} == before
    assert not list(staging.glob(f"*{publish.PARTIAL}"))  # the failed set is removed

    again = _run(tmp_path, api_url)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, out + err
    assert _read_set(reports / Q3) == 202


# --- the manifest, the first publish over a real folder, what is kept ------------------------------------------


@pytest.fixture
def stage(tmp_path, make_workbook, ingest):
    """publish_reports(…) of 2012-Q3 from a real ledger, as the flow's report task calls it."""
    _send(tmp_path, make_workbook, ingest, 300, 0)
    subs, vals, probs = frames(tmp_path / "ledger.sqlite")
    config = packaged_config()
    period = parse_period(Q3)
    programme = programme_for_year(load_programmes(config), 2012)
    report = aggregate(subs, vals, programme, load_units(config), period, load_rules(config), problems=probs)
    values = provenance(subs, vals, programme, period, report.cumulative_period)
    reports = tmp_path / "outputs" / "reports"
    return reports, lambda: publish_reports(
        report, load_recipients(config), reports, 5, values, period_problems(subs, probs, report), run_id="run-1"
    )


def test_the_manifest_lists_every_file_of_the_set_with_size_and_sha256(stage) -> None:
    reports, publish_now = stage
    paths = publish_now()
    folder = (reports / Q3).resolve()
    assert folder.parent == reports / publish.VERSIONS / Q3
    assert os.readlink(reports / Q3) == f"{publish.VERSIONS}/{Q3}/{folder.name}"  # relative: the folder can move
    assert [p.parent for p in paths] == [reports / Q3] * len(paths)  # the published names, through the link
    manifest = json.loads((folder / publish.MANIFEST).read_text(encoding="utf-8"))
    assert sorted(f["name"] for f in manifest["files"]) == sorted(p.name for p in paths)
    assert sorted(p.name for p in paths) == sorted(p.name for p in folder.iterdir() if p.name != publish.MANIFEST)
    for f in manifest["files"]:
        data = (folder / f["name"]).read_bytes()
        assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
    assert (manifest["period"], manifest["version"], manifest["run_id"]) == (Q3, folder.name, "run-1")
    assert datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    assert {f"{Q3}-{stem}.{ext}" for stem in ("gia-tri", "so-lieu", "van-de") for ext in ("csv", "xlsx")} <= {
        p.name for p in paths
    }  # the export belongs to the set
    assert _read_set(reports / Q3) == 300


def test_a_real_folder_from_before_is_replaced_in_one_exchange_and_kept_aside(stage) -> None:
    reports, publish_now = stage
    old = reports / Q3
    old.mkdir(parents=True)
    (old / "bao-cao-2012-Q3-ubnd-tinh.pdf").write_bytes(b"%PDF- old")
    publish_now()
    assert old.is_symlink() and _read_set(old) == 300
    [legacy] = (reports / publish.VERSIONS / Q3).glob(f"*{publish.LEGACY}")
    assert (legacy / "bao-cao-2012-Q3-ubnd-tinh.pdf").read_bytes() == b"%PDF- old"


def test_without_an_exchange_the_real_folder_is_moved_then_linked(tmp_path) -> None:
    """Where the file system cannot exchange two names: two renames, the folder absent for an instant."""
    reports = tmp_path / "reports"
    version = reports / publish.VERSIONS / Q3 / "v1"
    version.mkdir(parents=True)
    (reports / Q3).mkdir()
    (reports / Q3 / "a.pdf").write_bytes(b"old")
    fresh = version.with_name(".link-test")
    os.symlink(os.path.relpath(version, reports), fresh)
    publish._migrate(reports / Q3, fresh, version.with_name("v0-before-versions"), exchange=False)
    assert (reports / Q3).resolve() == version.resolve()
    assert (version.with_name("v0-before-versions") / "a.pdf").read_bytes() == b"old"
    assert not fresh.exists() and not fresh.is_symlink()


def test_two_previous_versions_are_kept_and_a_killed_runs_leftovers_removed(stage) -> None:
    reports, publish_now = stage
    publish_now()
    versions = reports / publish.VERSIONS / Q3
    older = [versions / f"2000010{d}T000000.000000Z-0ld00{d}" for d in (1, 2, 3)]  # earlier publishes
    for folder in older:
        folder.mkdir()
    abandoned = versions / f"20000104T000000.000000Z-dead00{publish.PARTIAL}"  # a killed run's staging folder
    abandoned.mkdir()
    (abandoned / ".bao-cao.pdf.1234.tmp").write_bytes(b"half")
    os.symlink("nowhere", versions / ".link-dead")  # a killed run's new link, never switched
    assert publish.tidy(reports) == [versions / ".link-dead", older[0], abandoned]
    assert sorted(versions.iterdir()) == [*older[1:], (reports / Q3).resolve()]
    assert publish.tidy(reports) == []


def test_a_failure_that_is_not_the_machines_propagates_and_leaves_no_staging_folder(tmp_path) -> None:
    reports = tmp_path / "reports"
    with pytest.raises(ZeroDivisionError), publish.publishing(reports, Q3) as staging:
        (staging / "a.pdf").write_bytes(b"new")
        1 / 0  # noqa: B018
    assert list((reports / publish.VERSIONS / Q3).iterdir()) == []
    assert not (reports / Q3).exists()
