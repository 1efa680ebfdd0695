"""Receipts mailed to a unit's address (users.yaml `email` of its officers), through the notification
settings, by the real intake flow and a real SMTP exchange (aiosmtpd on 127.0.0.1): once per receipt, whether
the file was dropped in inputs/ or submitted through the portal; none for a unit without an address, none for
the ledger's first ingest (its backlog); a mail server down fails nothing and the receipt is mailed at the next
intake."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import text
from web_portal import OFFICER, OTHER, PASSWORD, World, make_world, run_intake, workbook

import flows
from pipeline import ledger
from pipeline.periods import month
from pipeline.web import WebSettings, create_app
from pipeline.web.accounts import set_account

BU_DANG_MAIL = "khuyencong@budang.example.vn"
STAFF_MAIL = "qlcn@sct.example.vn"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 OK"

    def to(self, address: str) -> list:
        """The messages sent to `address`, parsed."""
        return [message_from_bytes(e.content, policy=default) for e in self.messages if address in e.rcpt_tos]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = make_world(tmp_path)
    set_account(world.ws.config, world.cfg.units, "bu-dang-2", PASSWORD, "officer", "Bù Đăng", email=BU_DANG_MAIL)
    with (world.ws.config / "reporting.yaml").open("a", encoding="utf-8") as fh:
        fh.write("settle_seconds: 0\n")  # files are complete when the test runs the intake
    return world


def mail_to(world: World, port: int) -> None:
    settings = {
        "enabled": True,
        "events": ["report", "rejected"],
        "smtp": {"host": "127.0.0.1", "port": port, "sender": "khuyencong@sct.example.vn", "recipients": [STAFF_MAIL]},
        "timeout_seconds": 5,
    }
    (world.ws.config / "notifications.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")


def intake(world: World) -> None:
    ws = world.ws
    flows.ingest_inputs(str(ws.inputs), str(ws.outputs), str(ws.ledger), str(ws.config))


def submit_through_the_portal(world: World, path: Path) -> None:
    app = create_app(world.cfg, world.ws, world.ws.ledger, WebSettings(secret="test-secret"))
    client = TestClient(app, follow_redirects=False)
    token = lambda page: re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)  # noqa: E731
    client.post("/dang-nhap", data={"csrf": token("/dang-nhap"), "username": OFFICER, "password": PASSWORD})
    files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    assert "Đã tiếp nhận" in client.post("/kiem-tra", data={"csrf": token("/don-vi")}, files=files).text
    assert client.post("/gui", data={"csrf": token("/don-vi")}).status_code == 303


def test_each_receipt_is_mailed_once_to_its_units_address(world, harness, tmp_path, caplog):
    port = free_port()
    mail_to(world, port)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        workbook(world, world.ws.inputs, OFFICER, 3, name="cu.xlsx", period=_before(world))
        intake(world)  # the ledger's first ingest: its backlog, history, is not mailed
        assert (world.ws.receipts / "cu.xlsx.txt").exists() and inbox.messages == []

        submit_through_the_portal(world, workbook(world, tmp_path / "up", OFFICER, 5))
        workbook(world, world.ws.inputs, OTHER, 5)  # Lộc Ninh: no address
        intake(world)
        [mail] = inbox.to(BU_DANG_MAIL)
        [receipt] = list((world.ws.receipts / "web" / OFFICER).glob("*.txt"))
        name = receipt.relative_to(world.ws.receipts).as_posix().removesuffix(".txt")  # as the receipt names it
        assert mail["Subject"] == f"Biên nhận báo cáo khuyến công: {name} – Đã tiếp nhận"
        assert mail["To"] == BU_DANG_MAIL and mail["From"] == "khuyencong@sct.example.vn"
        assert mail.get_content().strip() == receipt.read_text(encoding="utf-8").strip()
        assert "BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG" in mail.get_content()
        assert len(inbox.messages) == 1  # Lộc Ninh's receipt is mailed to no one (staff: only on rejections)

        intake(world)  # nothing new: nothing mailed again
        assert len(inbox.messages) == 1
    finally:
        smtp.stop()

    # a second file while the mail server is down: the intake completes, its receipt is written
    workbook(world, world.ws.inputs, OFFICER, 7, name="bu-dang-lan-2.xlsx")  # a second version
    workbook(world, world.ws.inputs, OFFICER, 8, name="bu-dang-thang-truoc.xlsx", period=_before(world))  # v2
    intake(world)
    assert (world.ws.receipts / "bu-dang-thang-truoc.xlsx.txt").exists()
    assert "receipts could not all be mailed (the rest at the next intake): ConnectionRefusedError" in caplog.text
    with ledger.open_ledger(world.ws.ledger) as conn:
        unsent = conn.execute(text("SELECT name FROM receipts WHERE mailed_at IS NULL ORDER BY id")).scalars().all()
    assert unsent == ["bu-dang-lan-2.xlsx", "bu-dang-thang-truoc.xlsx"]

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        intake(world)  # mailed now, once each
        intake(world)
        subjects = sorted(m["Subject"] for m in inbox.to(BU_DANG_MAIL))
    finally:
        smtp.stop()
    assert subjects == [
        "Biên nhận báo cáo khuyến công: bu-dang-lan-2.xlsx – Đã tiếp nhận",
        "Biên nhận báo cáo khuyến công: bu-dang-thang-truoc.xlsx – Đã tiếp nhận",
    ]
    assert len(inbox.messages) == 2


def _before(world: World):
    y, m = world.period.first
    return month(y - 1, 12) if m == 1 else month(y, m - 1)


def test_a_ledger_from_before_receipts_were_mailed_does_not_mail_its_history(world):
    workbook(world, world.ws.inputs, OFFICER, 5)
    run_intake(world)
    target = world.ws.ledger
    with ledger.open_ledger(target) as conn:  # back to the schema before receipts were mailed
        conn.execute(text("ALTER TABLE receipts DROP COLUMN mailed_at"))
        conn.commit()
    ledger._ENGINES.pop(ledger.url_of(target)).dispose()
    with ledger.open_ledger(target) as conn:
        assert conn.execute(text("SELECT mailed_at FROM receipts")).scalars().all() == [""]
        assert ledger.unmailed_receipts(conn, str(world.ws.receipts.resolve())) == []
