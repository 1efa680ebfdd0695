"""Operations pieces: schedules and the periods they report, the run lock, notifications (against a local
HTTP server and a local SMTP server started by the test)."""

from __future__ import annotations

import json
import multiprocessing
import socket
import threading
import time
from datetime import date, datetime
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest

from pipeline.completeness import ReportingRules
from pipeline.locking import Busy, run_lock
from pipeline.notify import Notifications, Smtp, notify
from pipeline.periods import Kind
from pipeline.schedules import next_runs, period_for, schedules

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_default_schedules_follow_the_deadline_rule() -> None:
    by_kind = {s.kind: s for s in schedules(ReportingRules(deadline_days=10))}
    assert by_kind[Kind.MONTH].cron == "0 7 15 * *" and by_kind[Kind.MONTH].timezone == "Asia/Ho_Chi_Minh"
    assert next_runs(by_kind[Kind.MONTH], datetime(2012, 3, 20, tzinfo=HCM), 2) == [
        datetime(2012, 4, 15, 7, tzinfo=HCM),
        datetime(2012, 5, 15, 7, tzinfo=HCM),
    ]
    assert next_runs(by_kind[Kind.QUARTER], datetime(2012, 3, 20, tzinfo=HCM), 2) == [
        datetime(2012, 4, 15, 8, tzinfo=HCM),
        datetime(2012, 7, 15, 8, tzinfo=HCM),
    ]
    assert next_runs(by_kind[Kind.YEAR], datetime(2012, 3, 20, tzinfo=HCM), 1) == [datetime(2013, 1, 20, 9, tzinfo=HCM)]
    nd09 = {s.kind: s for s in schedules(ReportingRules(deadline_rule="cutoff_14th", deadline_days=1))}
    assert nd09[Kind.MONTH].cron == "0 7 18 * *"
    custom = {s.kind: s for s in schedules(ReportingRules(schedules={"monthly": "30 6 20 * *"}))}
    assert custom[Kind.MONTH].cron == "30 6 20 * *" and custom[Kind.QUARTER].cron == "0 8 15 1,4,7,10 *"


@pytest.mark.parametrize(
    ("kind", "scheduled", "expected"),
    [
        (Kind.MONTH, date(2012, 4, 15), "2012-03"),
        (Kind.QUARTER, date(2012, 4, 15), "2012-Q1"),
        (Kind.QUARTER, date(2013, 1, 15), "2012-Q4"),
        (Kind.YEAR, date(2013, 1, 20), "2012"),
        (Kind.SPAN, date(2013, 1, 25), "2011-2015"),
        (Kind.MONTH, date(2026, 12, 15), "2015-12"),  # after the programme: its last month
    ],
)
def test_each_run_reports_the_period_its_date_implies(programmes, kind, scheduled, expected) -> None:
    assert period_for(kind, scheduled, programmes).code == expected


def _hold(folder, seconds: float, started) -> None:
    with run_lock(folder):
        started.set()
        time.sleep(seconds)


def test_lock_makes_the_second_run_wait_and_is_released_when_a_run_dies(tmp_path) -> None:
    started = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(tmp_path, 30, started))
    holder.start()
    assert started.wait(10)
    said = []
    with pytest.raises(Busy), run_lock(tmp_path, wait_seconds=0.5, on_wait=lambda: said.append("waiting")):
        pass
    assert said == ["waiting"]
    holder.kill()  # a real process killed with a real signal: the OS releases its lock
    holder.join()
    with run_lock(tmp_path, wait_seconds=5):
        pass


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_and_smtp_notifications() -> None:
    from aiosmtpd.controller import Controller

    class Inbox:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            Inbox.messages.append(envelope)
            return "250 OK"

    http = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    with socket.socket() as probe:  # a free port for the local SMTP server
        probe.bind(("127.0.0.1", 0))
        smtp_port = probe.getsockname()[1]
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        settings = Notifications(
            enabled=True,
            webhook_url=f"http://127.0.0.1:{http.server_port}/hook",
            smtp=Smtp(
                host="127.0.0.1", port=smtp_port, sender="khuyencong@example.vn", recipients=("qlcn@example.vn",)
            ),
        )
        assert notify(settings, "rejected", "Tệp bị từ chối", "bu-dang.xlsx: ô BaoCao!E17 có số âm") == [
            "webhook",
            "smtp",
        ]
        assert _Hook.received[-1] == {
            "event": "rejected",
            "subject": "Tệp bị từ chối",
            "body": "bu-dang.xlsx: ô BaoCao!E17 có số âm",
        }
        mail = message_from_bytes(Inbox.messages[-1].content, policy=default)
        assert mail["Subject"] == "Tệp bị từ chối" and "BaoCao!E17" in mail.get_content()
        assert notify(Notifications(), "report", "x", "y") == []  # off by default
        assert notify(settings.model_copy(update={"events": ("report",)}), "rejected", "x", "y") == []
    finally:
        http.shutdown()
        smtp.stop()


def test_a_scheduled_run_outside_every_programme_reports_nothing(programmes) -> None:
    assert period_for(Kind.MONTH, date(2019, 7, 15), programmes, clamp=False) is None
    assert period_for(Kind.QUARTER, date(2011, 1, 15), programmes, clamp=False) is None  # 2010-Q4
    assert period_for(Kind.MONTH, date(2015, 12, 15), programmes, clamp=False).code == "2015-11"
    assert period_for(Kind.MONTH, date(2019, 7, 15), programmes).code == "2015-12"  # by hand: the nearest end


def test_days_are_the_provinces_not_utc() -> None:
    from pipeline.completeness import deadline
    from pipeline.formatting import local_day
    from pipeline.periods import month

    arrived = "2012-10-10T17:30:00+00:00"  # 00:30 on 11/10/2012 in Bình Phước
    assert local_day(arrived) == date(2012, 10, 11)
    assert local_day(arrived) > deadline(month(2012, 9), ReportingRules(deadline_days=10))  # late, not on time


def test_outputs_are_readable_like_any_file(tmp_path) -> None:
    import os
    import stat

    from pipeline.files import atomic_output

    with atomic_output(tmp_path / "bao-cao.pdf") as tmp:
        tmp.write_bytes(b"%PDF")
    mode = stat.S_IMODE((tmp_path / "bao-cao.pdf").stat().st_mode)
    mask = os.umask(0)
    os.umask(mask)
    assert mode == 0o666 & ~mask
