"""The portal in a real browser: Debian's Chromium driven by Playwright (PyPI), against the portal served by
uvicorn over a real configuration, ledger and intake. Never `playwright install`: the browser is the system's.

Scenario (issue 15): an officer signs in, uploads a workbook with a negative number and sees the cell named,
uploads a good one, submits it, sees its receipt once the intake has read it; staff see the unit's cell of the
period turn "on time"; another unit's officer cannot see the receipt. Screenshots are taken every run (into
the test's folder); KHUYENCONG_WEB_SCREENSHOTS=1 writes them into docs/ for the README."""

from __future__ import annotations

import os
import random
import socket
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from web_portal import OFFICER, OTHER, PASSWORD, STAFF, World, make_world, run_intake, workbook

from pipeline.completeness import deadline
from pipeline.periods import month
from pipeline.web import server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parent.parent / "docs"
SHOTS_ENV = "KHUYENCONG_WEB_SCREENSHOTS"  # set to 1 to write the README's screenshots into docs/

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: scripts/setup.sh installs Debian's chromium package"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def earlier_reports(world: World, folder: Path) -> None:
    """Some units' reports for the months before the world's period: most on time, some late, one rejected."""
    rng = random.Random(15)
    p = world.period
    for back in range(1, 6):
        y, m = p.first
        m -= back
        if m < 1:
            y, m = y - 1, m + 12
        period = month(y, m)
        for unit in ("dong-xoai", "binh-long", "bu-dop", "chon-thanh", "dong-phu", "hon-quan", "phu-rieng", OFFICER):
            if rng.random() < 0.2:
                continue
            path = workbook(world, folder, unit, -1 if rng.random() < 0.05 else rng.randint(1, 9), period=period)
            due = deadline(period, world.cfg.rules)
            day = due - timedelta(days=rng.randint(1, 20)) if rng.random() < 0.8 else due + timedelta(days=3)
            stamp = datetime.combine(min(day, datetime.now(UTC).date()), time(9), UTC).timestamp()
            os.utime(path, (stamp, stamp))


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = make_world(tmp_path)
    earlier_reports(world, world.ws.inputs / "shared")
    run_intake(world)  # the backlog: files dated as they were sent
    return world


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[*ARGS, "--lang=vi"])
        yield b
        b.close()


def sign_in(page, url: str, user: str) -> None:
    page.goto(f"{url}/dang-nhap")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")


def test_officer_checks_submits_and_sees_the_receipt_staff_see_it_on_time_another_unit_does_not(
    world: World, browser, tmp_path: Path
):
    shots = DOCS if os.environ.get(SHOTS_ENV) == "1" else tmp_path
    bad = workbook(world, tmp_path / "up", OFFICER, -5, name="bao-cao-sai.xlsx")
    good = workbook(world, tmp_path / "up", OFFICER, 5, name="bao-cao-dung.xlsx")
    p = world.period
    with server.running(world.cfg, world.ws, port=free_port()) as url:
        officer = browser.new_page(viewport={"width": 412, "height": 915}, locale="vi-VN")  # a phone's screen
        sign_in(officer, url, OFFICER)
        officer.wait_for_url(f"{url}/don-vi")
        officer.screenshot(path=str(shots / "web-officer-upload.png"), full_page=True)
        officer.set_input_files("input[name=file]", str(bad))
        officer.click("text=Kiểm tra tệp")
        officer.wait_for_url(f"{url}/kiem-tra")
        problems = officer.locator("ol.problems").inner_text()
        assert "BaoCao!E17" in problems and "-5" in problems
        assert officer.locator("form[action='/gui']").count() == 0
        officer.screenshot(path=str(shots / "web-officer-check.png"), full_page=True)

        officer.goto(f"{url}/don-vi")
        officer.set_input_files("input[name=file]", str(good))
        officer.click("text=Kiểm tra tệp")
        assert "Đã tiếp nhận" in officer.locator(".status").inner_text()
        officer.click("form[action='/gui'] button")
        officer.wait_for_url(f"{url}/bien-nhan/*")
        receipt_url = officer.url
        assert "Đang chờ" in officer.locator("#waiting").inner_text()
        run_intake(world)  # what serve's intake loop does when the file appears
        officer.wait_for_selector("#receipt", timeout=15_000)  # the page reloads itself until the receipt is there
        receipt = officer.locator("#receipt").inner_text()
        assert "ĐÃ TIẾP NHẬN" in receipt and "huyện Bù Đăng" in receipt

        staff = browser.new_page(viewport={"width": 1400, "height": 900}, locale="vi-VN")
        sign_in(staff, url, STAFF)
        staff.wait_for_url(f"{url}/tong-hop")
        staff.goto(f"{url}/tong-hop?loai=thang&tu={p.first[0]}&den={p.first[0]}")
        cell = staff.locator(f"tr[data-unit='{OFFICER}'] td[data-period='{p.code}']")
        assert cell.inner_text() == "Đúng hạn" and "on_time" in cell.get_attribute("class")
        staff.screenshot(path=str(shots / "web-staff-matrix.png"), full_page=True)

        other = browser.new_context().new_page()
        sign_in(other, url, OTHER)
        other.wait_for_url(f"{url}/don-vi")
        answer = other.goto(receipt_url)
        assert answer.status == 404 and "ĐÃ TIẾP NHẬN" not in other.content()
        other.goto(f"{url}/lich-su")
        assert "bu-dang" not in other.content()
        assert other.goto(f"{url}/tong-hop").status == 403
