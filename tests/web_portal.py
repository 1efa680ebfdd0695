"""A portal's world for the web tests: a configuration folder (the packaged one, its programme moved to cover
the current year, every unit still existing, a deadline 40 days after a month's end so that a file sent now for
last month is on time), officers of Bù Đăng and Lộc Ninh and one staff account, folders and a ledger; the
intake run as `serve` runs it (receipts written)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline import intake, ledger
from pipeline.configuration import Configuration, load_configuration
from pipeline.formatting import today
from pipeline.paths import Workspace, packaged_config
from pipeline.periods import Kind, Period, last_completed
from pipeline.web.accounts import set_account
from pipeline.workbook import Filling, template_name, write_template

PASSWORD = "mat-khau-thu-nghiem"
OFFICER, OTHER, STAFF = "bu-dang", "loc-ninh", "so-cong-thuong"


@dataclass(frozen=True)
class World:
    ws: Workspace
    cfg: Configuration
    period: Period  # last month: open for an on-time report


def make_world(root: Path) -> World:
    now = today()
    config = root / "config"
    shutil.copytree(packaged_config(), config)
    prog = next((config / "programmes").glob("*.yaml"))
    text = prog.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^first_year: \d+", f"first_year: {now.year - 2}", text)
    text = re.sub(r"(?m)^last_year: \d+", f"last_year: {now.year + 2}", text)
    prog.write_text(text, encoding="utf-8")
    units = config / "units.yaml"
    units.write_text(re.sub(r"valid_to: \d{4}-\d\d-\d\d", "valid_to: null", units.read_text("utf-8")), "utf-8")
    rules = config / "reporting.yaml"
    rules.write_text(re.sub(r"(?m)^deadline_days: \d+", "deadline_days: 40", rules.read_text("utf-8")), "utf-8")
    cfg = load_configuration(config)
    ws = Workspace(inputs=root / "inputs", outputs=root / "outputs", ledger=root / "ledger.sqlite", config=config)
    ws.inputs.mkdir()
    set_account(config, cfg.units, OFFICER, PASSWORD, "officer", "Bù Đăng")
    set_account(config, cfg.units, OTHER, PASSWORD, "officer", "Lộc Ninh")
    set_account(config, cfg.units, STAFF, PASSWORD, "staff")
    return World(ws, cfg, last_completed(Kind.MONTH, now))


def workbook(
    world: World, folder: Path, unit: str, amount: object, name: str | None = None, period: Period | None = None
) -> Path:
    """A filled official workbook of `unit` for `period` (default: the world's), P1.2 = `amount`."""
    u, period = world.cfg.units.by_code[unit], period or world.period
    filling = Filling(results={"P1.2": amount}, report_date=period.end, preparer="Nguyễn Thị Lan")
    path = folder / (name or template_name(u, period))
    folder.mkdir(parents=True, exist_ok=True)
    return write_template(world.cfg.programmes[0], u, period, path, filling)


def run_intake(world: World) -> list[Path]:
    """One intake as the flow runs it: find, read, store, remember, write the receipts owed."""
    ws, cfg = world.ws, world.cfg
    with ledger.open_ledger(ws.ledger) as conn:
        pending = intake.find_pending(ws.inputs, conn, ws.archive)
        reports = intake.process(pending.new, cfg.programmes, cfg.units)
        intake.store(conn, reports, pending.copies, ws.receipts, cfg.rules.deadline_rule)
        intake.remember(conn, pending.known, pending.refused, ws.receipts, cfg.rules.deadline_rule)
        return intake.write_owed(conn, ws.receipts)
