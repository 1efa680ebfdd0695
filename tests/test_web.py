"""The web portal through its test client (real configuration, ledger, intake and receipts), every access that
must be refused, the completeness matrix, and `khuyencong check` / `khuyencong users`."""

from __future__ import annotations

import io
import json
import os
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner
from web_portal import OFFICER, OTHER, PASSWORD, STAFF, World, make_world, run_intake, workbook

from pipeline import ledger
from pipeline.cli import app as cli
from pipeline.completeness import deadline
from pipeline.paths import packaged_config
from pipeline.periods import Kind, month
from pipeline.web import WebSettings, create_app
from pipeline.web import matrix as mx
from pipeline.web.accounts import load_accounts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path)


def client_for(world: World, **settings) -> TestClient:
    app = create_app(world.cfg, world.ws, world.ws.ledger, WebSettings(secret="test-secret", **settings))
    return TestClient(app, follow_redirects=False)


def csrf(client: TestClient, page: str = "/dang-nhap") -> str:
    html = client.get(page).text
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client: TestClient, user: str, password: str = PASSWORD):
    return client.post("/dang-nhap", data={"csrf": csrf(client), "username": user, "password": password})


def signed_in(world: World, user: str, **settings) -> TestClient:
    client = client_for(world, **settings)
    assert sign_in(client, user).status_code == 303
    return client


def upload(client: TestClient, path: Path, name: str | None = None, token: str | None = None):
    token = token or csrf(client, "/don-vi")
    files = {"file": (name or path.name, path.read_bytes(), XLSX)}
    return client.post("/kiem-tra", data={"csrf": token}, files=files)


def audit(world: World) -> list[dict]:
    path = world.ws.outputs / "web" / "audit.jsonl"
    return [json.loads(x) for x in path.read_text("utf-8").splitlines()]


# --- signing in ------------------------------------------------------------------------------------------------


def test_sign_in_sets_a_signed_httponly_cookie_and_sends_each_role_home(world):
    client = client_for(world)
    assert "Đăng nhập" in client.get("/dang-nhap").text
    answer = sign_in(client, OFFICER)
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert (
        answer.headers["x-frame-options"] == "DENY"
        and "default-src 'self'" in answer.headers["content-security-policy"]
    )
    assert client.get("/").headers["location"] == "/don-vi"
    staff = signed_in(world, STAFF)
    assert staff.get("/").headers["location"] == "/tong-hop"
    assert [e["event"] for e in audit(world)].count("sign-in") == 2


def test_a_wrong_password_is_refused_and_logged(world):
    client = client_for(world)
    answer = sign_in(client, OFFICER, "not-the-password")
    assert answer.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in answer.text
    assert sign_in(client, "nobody").status_code == 401
    assert client.get("/don-vi").headers["location"] == "/dang-nhap"
    assert [e["event"] for e in audit(world)] == ["sign-in-failed", "sign-in-failed"]


def test_sign_in_attempts_are_rate_limited(world):
    client = client_for(world)
    for _ in range(5):
        assert sign_in(client, OFFICER, "wrong-password").status_code == 401
    answer = sign_in(client, OFFICER)  # the right password, too late
    assert answer.status_code == 429
    assert "quá nhiều lần" in answer.text
    assert client.get("/don-vi").status_code == 303  # still signed out


def test_a_tampered_cookie_is_no_session(world):
    client = signed_in(world, OFFICER)
    value = client.cookies["khuyencong_session"]
    client.cookies.set("khuyencong_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    assert client.get("/don-vi").headers["location"] == "/dang-nhap"


def test_every_form_needs_its_csrf_token(world, tmp_path):
    client = client_for(world)
    csrf(client)
    refused = client.post("/dang-nhap", data={"username": OFFICER, "password": PASSWORD})
    assert refused.status_code == 403 and "Phiên làm việc không hợp lệ" in refused.text
    client = signed_in(world, OFFICER)
    good = workbook(world, tmp_path / "up", OFFICER, 5)
    assert upload(client, good, token="forged").status_code == 403
    assert client.post("/gui", data={"csrf": "forged"}).status_code == 403
    assert client.post("/dang-xuat", data={}).status_code == 403
    assert not list(world.ws.inputs.rglob("*.xlsx"))


# --- what each role may see ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/don-vi", "/lich-su", "/tong-hop", "/bao-cao", "/bao-cao/2012/0", "/mau?ky=2012-03", "/bien-nhan/x"]
)
def test_signed_out_pages_send_to_sign_in(world, path):
    answer = client_for(world).get(path)
    assert answer.status_code == 303 and answer.headers["location"] == "/dang-nhap"


def test_signed_out_posts_are_refused(world, tmp_path):
    client = client_for(world)
    token = csrf(client)
    good = workbook(world, tmp_path / "up", OFFICER, 5)
    assert upload(client, good, token=token).status_code == 303
    assert client.post("/gui", data={"csrf": token}).status_code == 303
    assert not list(world.ws.inputs.rglob("*.xlsx"))


@pytest.mark.parametrize("path", ["/tong-hop", "/bao-cao", "/bao-cao/2012/0", "/lich-su?don_vi=loc-ninh"])
def test_an_officer_cannot_open_staff_pages_or_another_unit(world, path):
    answer = signed_in(world, OFFICER).get(path)
    assert answer.status_code == 403
    assert "chỉ" in answer.text


def test_an_officer_downloads_only_their_own_template(world):
    client = signed_in(world, OFFICER)
    assert client.get(f"/mau?ky={world.period.code}&don_vi=loc-ninh").status_code == 403
    answer = client.get(f"/mau?ky={world.period.code}")
    assert answer.status_code == 200
    ws = load_workbook(io.BytesIO(answer.content))["BaoCao"]
    texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "Bù Đăng" in texts and "Lộc Ninh" not in texts
    assert client.get("/mau?ky=2012-99").status_code == 400


def test_staff_cannot_upload_or_submit(world, tmp_path):
    client = signed_in(world, STAFF)
    token = csrf(client, "/tong-hop")
    good = workbook(world, tmp_path / "up", OFFICER, 5)
    assert upload(client, good, token=token).status_code == 403
    assert client.post("/gui", data={"csrf": token}).status_code == 403


# --- check and submit ----------------------------------------------------------------------------------------


def test_a_negative_number_is_shown_with_its_cell_and_cannot_be_submitted(world, tmp_path):
    client = signed_in(world, OFFICER)
    bad = workbook(world, tmp_path / "up", OFFICER, -5)
    answer = upload(client, bad, name="báo cáo tháng.xlsx")
    assert answer.status_code == 200
    assert "Bị từ chối" in answer.text and "BaoCao!E17" in answer.text and "-5" in answer.text
    assert 'action="/gui"' not in answer.text
    assert client.post("/gui", data={"csrf": csrf(client, "/don-vi")}).status_code == 409
    assert not list(world.ws.inputs.rglob("*.xlsx"))
    events = audit(world)
    assert [e["event"] for e in events][-2:] == ["upload", "check"]
    assert events[-1]["user"] == OFFICER and events[-1]["status"] == "rejected"
    assert events[-1]["file"] == "báo cáo tháng.xlsx"


def test_another_units_workbook_is_refused_saying_why(world, tmp_path):
    client = signed_in(world, OFFICER)
    theirs = workbook(world, tmp_path / "up", OTHER, 5)
    answer = upload(client, theirs)
    assert "Tệp này là báo cáo của huyện Lộc Ninh" in answer.text
    assert 'action="/gui"' not in answer.text
    assert client.post("/gui", data={"csrf": csrf(client, "/don-vi")}).status_code == 409
    assert not list(world.ws.inputs.rglob("*.xlsx"))


def test_a_file_that_is_not_a_workbook_or_too_large_is_refused(world, tmp_path):
    client = signed_in(world, OFFICER, max_upload=20_000)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    answer = upload(client, text)
    assert answer.status_code == 400 and "không phải tệp Excel" in answer.text
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"PK" + b"\0" * 200_000)
    answer = upload(client, big)
    assert answer.status_code == 413 and "Tệp quá lớn" in answer.text
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_bytes(b"this is not a zip file at all")
    answer = upload(client, renamed)  # through the guards: refused as the intake refuses it
    assert answer.status_code == 200 and "Bị từ chối" in answer.text


def test_submit_places_the_file_atomically_and_shows_its_receipt_when_the_intake_has_read_it(world, tmp_path):
    client = signed_in(world, OFFICER)
    good = workbook(world, tmp_path / "up", OFFICER, 5)
    checked = upload(client, good, name="../../etc/báo cáo.xlsx")
    assert "Đã tiếp nhận" in checked.text and 'action="/gui"' in checked.text
    assert not list(world.ws.inputs.rglob("*.xlsx"))  # a check stores nothing in inputs
    answer = client.post("/gui", data={"csrf": csrf(client, "/don-vi")})
    assert answer.status_code == 303
    receipt_url = answer.headers["location"]
    placed = next(p for p in world.ws.inputs.rglob("*.xlsx"))
    rel = placed.relative_to(world.ws.inputs).as_posix()
    assert re.fullmatch(rf"web/bu-dang/{world.period.code}-\d{{8}}T\d{{6}}Z-[0-9a-f]{{8}}\.xlsx", rel)
    assert placed.read_bytes() == good.read_bytes()
    assert not [p for p in placed.parent.iterdir() if p.name.startswith(".")]
    waiting = client.get(receipt_url)
    assert "Đang chờ hệ thống tiếp nhận" in waiting.text and 'http-equiv="refresh"' in waiting.text
    assert client.get(receipt_url + "/trang-thai").text == "pending"
    run_intake(world)
    ready = client.get(receipt_url)
    assert "BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG" in ready.text and "ĐÃ TIẾP NHẬN" in ready.text
    assert "báo cáo.xlsx" in ready.text  # the original name, kept as data
    assert client.get(receipt_url + "/trang-thai").text == "ready"
    submitted = audit(world)[-1]
    assert (
        submitted["event"] == "submit" and submitted["rel"] == rel and submitted["original"] == "../../etc/báo cáo.xlsx"
    )
    # the unit's history lists it; another unit sees neither the receipt nor the history
    assert placed.name in client.get("/lich-su").text
    other = signed_in(world, OTHER)
    assert other.get(receipt_url).status_code == 404
    assert other.get(receipt_url + "/trang-thai").status_code == 404
    assert placed.name not in other.get("/lich-su").text
    # staff see it, and the unit's cell of the period is on time
    staff = signed_in(world, STAFF)
    assert "ĐÃ TIẾP NHẬN" in staff.get(receipt_url).text
    page = staff.get(f"/tong-hop?loai=thang&tu={world.period.first[0]}&den={world.period.first[0]}").text
    row = re.search(r'<tr data-unit="bu-dang">(.*?)</tr>', page, re.S).group(1)
    assert re.search(rf'class="state on_time" data-period="{world.period.code}"', row)
    other_row = re.search(r'<tr data-unit="loc-ninh">(.*?)</tr>', page, re.S).group(1)
    assert f'data-period="{world.period.code}"' in other_row and "on_time" not in other_row
    assert placed.name in staff.get("/lich-su?don_vi=bu-dang").text


def test_a_submission_is_sent_once(world, tmp_path):
    client = signed_in(world, OFFICER)
    upload(client, workbook(world, tmp_path / "up", OFFICER, 5))
    token = csrf(client, "/don-vi")
    assert client.post("/gui", data={"csrf": token}).status_code == 303
    assert client.post("/gui", data={"csrf": token}).status_code == 409
    assert len(list(world.ws.inputs.rglob("*.xlsx"))) == 1


def test_staff_download_published_reports_by_listing_only(world):
    folder = world.ws.reports / "2012-Q1"
    folder.mkdir(parents=True)
    (folder / "bao-cao.pdf").write_bytes(b"%PDF-1.4 test")
    (world.ws.outputs / "secret.txt").write_text("not published")
    staff = signed_in(world, STAFF)
    assert "bao-cao.pdf" in staff.get("/bao-cao").text
    answer = staff.get("/bao-cao/2012-Q1/0")
    assert answer.status_code == 200 and answer.content == b"%PDF-1.4 test"
    assert staff.get("/bao-cao/2012-Q1/1").status_code == 404
    assert staff.get("/bao-cao/..%2Fsecret.txt/0").status_code == 404
    assert staff.get("/bao-cao/2012-Q2/0").status_code == 404


class Starts:
    """A `rerun` seam that records the periods it was asked to start."""

    def __init__(self, fail: bool = False) -> None:
        self.periods: list[str] = []
        self.fail = fail

    def __call__(self, period: str) -> str:
        self.periods.append(period)
        if self.fail:
            raise RuntimeError("Prefect không trả lời")
        return f"Đã bắt đầu lập lại báo cáo kỳ {period}."


def rerun_client(world: World, user: str, starts: Starts | None) -> TestClient:
    app = create_app(world.cfg, world.ws, world.ws.ledger, WebSettings(secret="test-secret"), rerun=starts)
    client = TestClient(app, follow_redirects=False)
    assert sign_in(client, user).status_code == 303
    return client


def test_staff_rerun_a_periods_report_through_the_given_starter(world):
    for period in ("2012-Q1", "2012"):
        (world.ws.reports / period).mkdir(parents=True)
        (world.ws.reports / period / "bao-cao.pdf").write_bytes(b"%PDF-1.4 test")
    starts = Starts()
    staff = rerun_client(world, STAFF, starts)
    listed = staff.get("/bao-cao").text
    assert 'action="/bao-cao/2012-Q1/chay-lai"' in listed and 'action="/bao-cao/2012/chay-lai"' in listed
    token = csrf(staff, "/bao-cao")
    answer = staff.post("/bao-cao/2012-Q1/chay-lai", data={"csrf": token})
    assert answer.status_code == 200 and "Đã bắt đầu lập lại báo cáo kỳ 2012-Q1." in answer.text
    assert starts.periods == ["2012-Q1"]
    event = audit(world)[-1]
    assert event["event"] == "rerun" and event["user"] == STAFF and event["period"] == "2012-Q1"
    # refused: a forged token, a period not published, an officer
    assert staff.post("/bao-cao/2012/chay-lai", data={"csrf": "forged"}).status_code == 403
    assert staff.post("/bao-cao/2013/chay-lai", data={"csrf": token}).status_code == 404
    officer = rerun_client(world, OFFICER, starts)
    assert officer.post("/bao-cao/2012/chay-lai", data={"csrf": csrf(officer, "/don-vi")}).status_code == 403
    assert starts.periods == ["2012-Q1"]
    # a starter that fails is said on the page
    failing = rerun_client(world, STAFF, Starts(fail=True))
    answer = failing.post("/bao-cao/2012/chay-lai", data={"csrf": csrf(failing, "/bao-cao")})
    assert answer.status_code == 502
    assert "Không khởi động được việc lập lại báo cáo kỳ 2012: Prefect không trả lời" in answer.text


def test_without_a_starter_there_is_no_rerun_button(world):
    (world.ws.reports / "2012-Q1").mkdir(parents=True)
    staff = rerun_client(world, STAFF, None)
    assert "chay-lai" not in staff.get("/bao-cao").text
    assert staff.post("/bao-cao/2012-Q1/chay-lai", data={"csrf": csrf(staff, "/bao-cao")}).status_code == 404


# --- the matrix -------------------------------------------------------------------------------------------------


def test_matrix_states_from_the_ledger(world):
    p, ws = world.period, world.ws
    old = month(p.first[0] - 1, p.first[1])
    workbook(world, ws.inputs, OFFICER, 5)  # on time (dated now; the deadline is 40 days after the month)
    late = workbook(world, ws.inputs, "dong-phu", 5, period=old)
    stamp = datetime.combine(deadline(old, world.cfg.rules) + timedelta(days=5), time(9), UTC).timestamp()
    os.utime(late, (stamp, stamp))  # the backlog's first load: the file's own date is when it was received
    workbook(world, ws.inputs, OTHER, -5)  # rejected
    run_intake(world)
    with ledger.open_ledger(ws.ledger) as conn:
        subs = ledger.submissions_frame(conn)
    units = list(world.cfg.units.units)
    built = mx.build_matrix(subs, units, [old, p], world.cfg.rules, p.end)
    state = {r.unit.code: [c.state for c in r.cells] for r in built.rows}
    assert state[OFFICER] == ["missing", "on_time"]
    assert state["dong-phu"] == ["late", "not_due"]  # on the period's last day nothing is due yet
    assert state[OTHER] == ["missing", "rejected"]
    after = deadline(p, world.cfg.rules) + timedelta(days=1)
    later = mx.build_matrix(subs, units, [p], world.cfg.rules, after)
    assert {r.unit.code: r.cells[0].state for r in later.rows}["bu-dop"] == "missing"
    column = built.columns[1]
    assert column.expected == len(units) and column.received == 1 and column.on_time == 1
    assert built.columns[0].received == 1 and built.columns[0].on_time == 0
    rates = {r.unit.code: r.rate for r in built.rows}
    assert rates["dong-phu"] == 1 and rates[OTHER] == 0  # a period not yet due is left out of a unit's rate
    assert rates[OFFICER] == Decimal(1) / 2
    quarters = mx.periods_of(Kind.QUARTER, 2012, 2013)
    assert [q.code for q in quarters][:2] == ["2012-Q1", "2012-Q2"] and len(quarters) == 8


def test_no_period_outside_the_programme_is_owed_on_either_page(world):
    last = world.cfg.programmes[0].last_year
    after = datetime(last + 3, 6, 1).date()  # the programme has ended
    officer = signed_in(world, OFFICER, today=after).get("/don-vi").text
    staff = signed_in(world, STAFF, today=after).get("/tong-hop").text
    assert f"tháng 12 năm {last}" in officer and f"năm {last + 1}" not in officer  # (a deadline may fall after)
    assert f'data-period="{last}-12"' in staff and f'data-period="{last + 1}' not in staff
    asked = signed_in(world, STAFF, today=after).get(f"/tong-hop?tu={last}&den={last + 2}").text
    assert f'data-period="{last}-12"' in asked and f'data-period="{last + 1}' not in asked


# --- the command line -------------------------------------------------------------------------------------------

runner = CliRunner()


def test_check_command_prints_receipts_and_exits_by_the_worst(world, tmp_path):
    good = workbook(world, tmp_path / "a", OFFICER, 5)
    bad = workbook(world, tmp_path / "b", OFFICER, -5)
    config = ["--config", str(world.ws.config)]
    result = runner.invoke(cli, ["check", str(good), *config])
    assert result.exit_code == 0, result.output
    assert "KẾT QUẢ KIỂM TRA TRƯỚC KHI GỬI" in result.output and "ĐÃ TIẾP NHẬN" in result.output
    result = runner.invoke(cli, ["check", str(good), str(bad), *config])
    assert result.exit_code == 2
    assert "ô BaoCao!E17: có -5" in result.output
    warned = workbook(world, tmp_path / "c", OFFICER, 100_000)  # far above the 5-year target: a warning
    result = runner.invoke(cli, ["check", str(warned), *config])
    assert result.exit_code == 1, result.output
    assert "LƯU Ý" in result.output
    assert not (tmp_path / "khuyencong.sqlite").exists() and not list(world.ws.inputs.rglob("*"))


def test_users_add_and_reset(world):
    config = ["--config", str(world.ws.config)]
    result = runner.invoke(
        cli,
        ["users", "add", "dong-phu", "--unit", "Đồng Phú", "--password-stdin", *config],
        input="mot-mat-khau-dai\n",
    )
    assert result.exit_code == 0, result.output
    account = load_accounts(world.ws.config).get("dong-phu")
    assert account.unit == "dong-phu" and account.password_hash.startswith("$argon2")
    assert "mot-mat-khau-dai" not in (world.ws.config / "users.yaml").read_text("utf-8")
    again = runner.invoke(cli, ["users", "add", "dong-phu", "--password-stdin", *config], input="x" * 12 + "\n")
    assert again.exit_code == 2 and "exists already" in again.output
    short = runner.invoke(cli, ["users", "reset", "dong-phu", "--password-stdin", *config], input="short\n")
    assert short.exit_code == 2 and "at least" in short.output
    result = runner.invoke(cli, ["users", "reset", "dong-phu", "--password-stdin", *config], input="mat-khau-moi-12\n")
    assert result.exit_code == 0, result.output
    client = client_for(world)
    assert sign_in(client, "dong-phu", "mot-mat-khau-dai").status_code == 401
    assert sign_in(client, "dong-phu", "mat-khau-moi-12").status_code == 303
    unknown = runner.invoke(
        cli, ["users", "add", "x1", "--unit", "Hà Nội", "--password-stdin", *config], input="a" * 12
    )
    assert unknown.exit_code == 2 and "unknown unit" in unknown.output


def test_users_are_never_written_into_the_packaged_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KHUYENCONG_CONFIG", raising=False)
    result = runner.invoke(cli, ["users", "add", "someone", "--role", "staff", "--password-stdin"], input="a" * 12)
    assert result.exit_code == 2 and "khuyencong init" in result.output
    assert not (packaged_config() / "users.yaml").exists()


# --- unmatched labels ---------------------------------------------------------------------------------------------

LOAN = "Hướng dẫn thủ tục vay vốn ưu đãi"  # no indicator's words: left unmatched


def free_layout(world: World, name: str, district: str, rows: list[list[object]]) -> Path:
    """A free-layout workbook (no template) of the world's year, as districts write them."""
    wb = Workbook()
    sheet = wb.active
    sheet.append([f"UBND HUYỆN {district}"])
    sheet.append([f"BÁO CÁO KẾT QUẢ CÔNG TÁC KHUYẾN CÔNG QUÝ I NĂM {world.period.first[0]}"])
    sheet.append(["STT", "Nội dung", "ĐVT", "Kế hoạch", "Thực hiện", "Ghi chú"])
    for row in rows:
        sheet.append(row)
    wb.save(world.ws.inputs / name)
    return world.ws.inputs / name


def decide(client: TestClient, label: str, action: str, indicator: str = "", token: str | None = None):
    token = token or csrf(client, "/nhan-chua-khop")
    return client.post(
        "/nhan-chua-khop", data={"csrf": token, "label": label, "action": action, "indicator": indicator}
    )


def test_staff_map_an_unmatched_label_and_the_files_are_read_again(world):
    free_layout(
        world,
        "bu-dang.xlsx",
        "BÙ ĐĂNG",
        [
            [1, "Đào tạo mới cho lao động", "người", "", 20],
            [2, LOAN, "cơ sở", "", 4],
            [3, "Tham gia Hội chợ hàng Việt Nam chất lượng cao", "hội chợ", "", 2],
        ],
    )
    free_layout(world, "dong-phu.xlsx", "ĐỒNG PHÚ", [[1, "1. " + LOAN.upper(), "cơ sở", "", 7]])
    run_intake(world)
    staff = signed_in(world, STAFF)
    listed = staff.get("/nhan-chua-khop")
    assert listed.status_code == 200
    row = re.search(
        r'<tr data-label="[^"]*">\s*<td class="label">' + re.escape(LOAN) + r"</td>(.*?)</tr>", listed.text, re.S
    )
    assert row and "Số tệp: </span>2</td>" in row.group(1) and "cơ sở" in row.group(1)
    assert 'value="P5.1"' in row.group(1)  # any indicator can be chosen
    fair = re.search(
        r'<td class="label">Tham gia Hội chợ hàng Việt Nam chất lượng cao</td>(.*?)</tr>', listed.text, re.S
    ).group(1)
    assert re.search(r"Gán vào P4\.2 \(điểm \d+(,\d+)?\)", fair) and "Gán vào P4.1" in fair  # the suggestions

    answer = decide(staff, LOAN, "map", "P5.1")
    assert answer.status_code == 200
    assert f"Đã ghi quyết định «{LOAN}» → P5.1" in answer.text
    assert "<strong>dong-phu.xlsx</strong>: P5.1: (chưa có) → 7" in answer.text
    assert LOAN not in re.sub(r'<div class="alert ok".*?</div>', "", answer.text, flags=re.S)  # off the queue
    reissued = (world.ws.receipts / "dong-phu.xlsx.txt").read_text("utf-8")
    assert reissued.startswith("BIÊN NHẬN CẤP LẠI") and "- P5.1: (chưa có) → 7" in reissued
    saved = yaml.safe_load((world.ws.config / "label-decisions.yaml").read_text("utf-8"))["decisions"]
    assert [(d["label"], d["indicator"], d["by"]) for d in saved] == [(LOAN, "P5.1", STAFF)]
    event = audit(world)[-1]
    assert event["event"] == "label-decision" and event["user"] == STAFF and event["indicator"] == "P5.1"
    assert event["files"] == ["bu-dang.xlsx", "dong-phu.xlsx"]


def test_ignoring_a_label_takes_it_off_the_queue(world):
    free_layout(world, "dong-phu.xlsx", "ĐỒNG PHÚ", [[1, LOAN, "cơ sở", "", 7]])
    run_intake(world)
    staff = signed_in(world, STAFF)
    answer = decide(staff, LOAN, "ignore")
    assert answer.status_code == 200 and "không phải chỉ tiêu (bỏ qua)" in answer.text
    assert "Không có nhãn nào chưa khớp" in answer.text
    assert audit(world)[-1]["indicator"] is None


def test_a_mapping_putting_two_rows_on_one_indicator_is_refused_naming_the_rows(world):
    rows = [[1, "Số cơ sở được tư vấn", "cơ sở", "", 5], [2, LOAN, "cơ sở", "", 4]]
    free_layout(world, "bu-dang.xlsx", "BÙ ĐĂNG", rows)
    run_intake(world)
    before = (world.ws.receipts / "bu-dang.xlsx.txt").read_text("utf-8")
    staff = signed_in(world, STAFF)
    answer = decide(staff, LOAN, "map", "P5.1")
    assert answer.status_code == 409
    assert f"Không ghi được quyết định về nhãn «{LOAN}»" in answer.text
    assert "bu-dang.xlsx" in answer.text and "Sheet!E4" in answer.text and "Sheet!E5" in answer.text
    assert LOAN in answer.text  # still in the queue
    assert not (world.ws.config / "label-decisions.yaml").exists()
    assert (world.ws.receipts / "bu-dang.xlsx.txt").read_text("utf-8") == before
    assert audit(world)[-1]["event"] == "label-refused"


def test_the_labels_queue_is_for_staff_only_and_needs_the_csrf_token(world):
    free_layout(world, "dong-phu.xlsx", "ĐỒNG PHÚ", [[1, LOAN, "cơ sở", "", 7]])
    run_intake(world)
    assert client_for(world).get("/nhan-chua-khop").headers["location"] == "/dang-nhap"
    officer = signed_in(world, OFFICER)
    assert officer.get("/nhan-chua-khop").status_code == 403
    assert decide(officer, LOAN, "ignore", token=csrf(officer, "/don-vi")).status_code == 403
    staff = signed_in(world, STAFF)
    assert decide(staff, LOAN, "ignore", token="forged").status_code == 403
    assert decide(staff, LOAN, "map", "P9.9").status_code == 400  # an indicator outside the list
    assert not (world.ws.config / "label-decisions.yaml").exists()
    assert LOAN in staff.get("/nhan-chua-khop").text
