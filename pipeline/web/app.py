"""The web portal (`khuyencong web`): officers check a workbook before sending it, submit it into the inputs
folder and see its receipt and their unit's history; staff see the completeness matrix, any unit's history, the
unmatched row labels (map or ignore each: pipeline.labels) and the published reports (with a "chạy lại" button
when `serve` gives the portal a way to start a report). FastAPI with Jinja2 templates (templates/web/),
Vietnamese throughout, no outside assets.

Security: sessions in signed, HttpOnly cookies (Starlette's SessionMiddleware); a CSRF token in every form;
the request body bounded (`BodyLimit`) and every upload through pipeline.guards before anything reads it; no
user input ever becomes a path (uploads and submissions get generated names, downloads are chosen from
listings); failed sign-ins limited per name and per address; an officer sees and submits for their own unit
only; staff pages refuse officers; every sign-in, upload, check, submission, label decision and re-run is
appended to the audit log (pipeline.web.audit).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import text
from starlette.datastructures import UploadFile
from starlette.middleware.sessions import SessionMiddleware

from pipeline import check, history, ledger, receipts
from pipeline import labels as vocab
from pipeline.configuration import Configuration
from pipeline.files import write_atomic
from pipeline.formatting import day_and_time, number, percent, short_date
from pipeline.formatting import today as local_today
from pipeline.guards.limits import MAX_FILE_BYTES, mb
from pipeline.locking import Busy, run_lock
from pipeline.paths import TEMPLATES_DIR, Workspace
from pipeline.periods import Kind, Period, PeriodError, parse_period, span
from pipeline.programme import ProgrammeError, programme_for_year
from pipeline.reading import SUFFIXES
from pipeline.text import nfc, printable
from pipeline.units import Unit
from pipeline.validating import Status, ValidationReport
from pipeline.web import matrix as mx
from pipeline.web.accounts import OFFICER, STAFF, Account, Accounts, RateLimit, authenticate, load_accounts
from pipeline.web.audit import AuditLog
from pipeline.workbook import build_workbook, template_name

WEB_TEMPLATES = TEMPLATES_DIR / "web"
SECRET_ENV = "KHUYENCONG_WEB_SECRET"
STAGED_SECONDS = 3600  # a checked upload waits this long for its submission, then is removed
FORM_ROOM = 64 * 1024  # the multipart form around the file
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class WebSettings:
    """What the portal needs besides the configuration and the folders."""

    secret: str  # signs the session cookies
    https_only: bool = False  # cookies only over HTTPS (set when served behind HTTPS)
    prefect_ui: str | None = None  # a link to Prefect's UI for staff
    max_upload: int = MAX_FILE_BYTES
    today: date | None = None  # fixed in tests; None: the province's today


class TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes is answered 413 without being read any further."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(send)
        total, started = 0, False

        async def limited():
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > self.limit:
                    raise TooLarge
            return message

        async def tracking(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send) -> None:
        body = f"Tệp quá lớn: tối đa {mb(self.limit)}.".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def session_secret(ws: Workspace) -> str:
    """$KHUYENCONG_WEB_SECRET, else a key kept in <outputs>/web/session.key (made once, readable by its owner)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = ws.outputs / "web" / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Portal:
    """The portal's state: configuration, folders, accounts (re-read when users.yaml changes), audit log."""

    def __init__(self, config: Configuration, paths: Workspace, ledger_target: Path | str, settings: WebSettings):
        self.config, self.paths, self.ledger, self.settings = config, paths, ledger_target, settings
        self.folder = paths.outputs / "web"
        self.staging = self.folder / "staging"
        self.audit = AuditLog(self.folder / "audit.jsonl")
        self.submissions_log = self.folder / "submissions.jsonl"
        self.limiter = RateLimit()
        self._accounts: tuple[float, Accounts] | None = None
        self._lock = threading.Lock()

    def accounts(self) -> Accounts:
        path = self.config.folder / "users.yaml"
        stamp = path.stat().st_mtime_ns if path.exists() else 0.0
        if self._accounts is None or self._accounts[0] != stamp:
            self._accounts = (stamp, load_accounts(self.config.folder))
        return self._accounts[1]

    def today(self) -> date:
        return self.settings.today or local_today()

    def unit(self, code: str | None) -> Unit | None:
        return self.config.units.by_code.get(code or "")

    # --- submissions made through the portal --------------------------------------------------------------

    def record_submission(self, entry: dict) -> None:
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self.submissions_log.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def submissions(self) -> list[dict]:
        if not self.submissions_log.exists():
            return []
        lines = self.submissions_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(x) for x in lines if x.strip()]

    def submission(self, sid: str) -> dict | None:
        return next((s for s in self.submissions() if secrets.compare_digest(s["id"], sid)), None)

    def receipt_of(self, entry: dict) -> str | None:
        """The receipt the intake wrote for a submitted file, once it has."""
        target = self.paths.receipts / receipts.receipt_relpath(entry["rel"])
        return target.read_text(encoding="utf-8") if target.exists() else None

    def stage(self, upload: UploadFile, suffix: str) -> Path:
        """The upload's bytes in a generated file of the staging folder (older staged files removed)."""
        self.staging.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for old in self.staging.iterdir():
            with suppress(FileNotFoundError):  # removed meanwhile by another request
                if now - old.stat().st_mtime > STAGED_SECONDS:
                    old.unlink()
        target = self.staging / f"{secrets.token_hex(16)}{suffix}"
        upload.file.seek(0)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        return target

    def staged(self, token: str) -> Path | None:
        """A staged upload by its token, looked up in the folder's listing (the token is never a path)."""
        if not self.staging.is_dir():
            return None
        return next((p for p in self.staging.iterdir() if secrets.compare_digest(p.name, token)), None)

    def submit(self, staged: Path, unit: Unit, period: Period) -> str:
        """Place a staged upload in inputs/web/<unit>/ under a generated name, atomically (a hidden temporary
        beside it, then one rename: the intake never sees half a file). Returns its path relative to inputs/."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        rel = f"web/{unit.code}/{period.code}-{stamp}-{secrets.token_hex(4)}{staged.suffix}"
        write_atomic(self.paths.inputs / rel, staged.read_bytes())
        staged.unlink(missing_ok=True)
        return rel

    # --- the ledger ----------------------------------------------------------------------------------------

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        if isinstance(self.ledger, Path) and not self.ledger.exists():
            empty = ledger.metadata.tables
            return (
                pd.DataFrame(columns=[c.name for c in empty["submissions"].columns]),
                pd.DataFrame(columns=[c.name for c in empty["sightings"].columns]),
                pd.DataFrame(columns=[c.name for c in empty["problems"].columns]),
            )
        with ledger.open_ledger(self.ledger) as conn:
            return ledger.submissions_frame(conn), ledger.sightings_frame(conn), ledger.problems_frame(conn)

    def submissions_frame(self) -> pd.DataFrame:
        """The ledger's submissions (what the matrix and the deadlines need)."""
        if isinstance(self.ledger, Path) and not self.ledger.exists():
            return pd.DataFrame(columns=[c.name for c in ledger.metadata.tables["submissions"].columns])
        with ledger.open_ledger(self.ledger) as conn:
            return ledger.submissions_frame(conn)

    def ledger_receipts(self, shas: list[str]) -> dict[str, str]:
        """The latest submission receipt of each sha256, from the ledger."""
        if not shas or (isinstance(self.ledger, Path) and not self.ledger.exists()):
            return {}
        out: dict[str, str] = {}
        with ledger.open_ledger(self.ledger) as conn:
            for sha in shas:
                row = conn.execute(
                    text("SELECT text FROM receipts WHERE sha256 = :s AND kind = 'submission' ORDER BY id DESC"),
                    {"s": sha},
                ).first()
                if row:
                    out[sha] = row[0]
        return out


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def create_app(
    config: Configuration,
    paths: Workspace,
    ledger_target: Path | str,
    settings: WebSettings | None = None,
    rerun: Callable[[str], str] | None = None,
) -> FastAPI:
    """The portal for one province's configuration, folders and ledger. `rerun` starts the report deployment
    for a period code and says what it did (Vietnamese); given by `serve` (flows.start_report), None without
    a Prefect server: then the reports page has no "chạy lại" button."""
    settings = settings or WebSettings(secret=session_secret(paths))
    portal = Portal(config, paths, ledger_target, settings)
    env = Environment(
        loader=FileSystemLoader(WEB_TEMPLATES), autoescape=select_autoescape(["html", "j2"], default=True)
    )
    env.globals.update(
        number=number,
        percent=percent,
        period_label=period_label,
        short_date=short_date,
        day_and_time=day_and_time,
        states=mx.STATES,
    )
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret,
        session_cookie="khuyencong_session",
        max_age=8 * 3600,
        same_site="strict",
        https_only=settings.https_only,
    )
    app.add_middleware(BodyLimit, limit=settings.max_upload + FORM_ROOM)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        account = current(request)
        body = env.get_template(name).render(
            user=account, csrf=csrf_token(request), unit=portal.unit(account.unit) if account else None, **context
        )
        return HTMLResponse(nfc(body), status_code=status, headers={"Cache-Control": "no-store"})

    def refused(request: Request, status: int, message: str) -> HTMLResponse:
        return page(request, "error.html.j2", status=status, message=message)

    def current(request: Request) -> Account | None:
        name = request.session.get("user")
        return portal.accounts().get(name) if isinstance(name, str) else None

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    async def form_of(request: Request, files: int = 0):
        """The posted form, once its CSRF token is checked (403 otherwise)."""
        form = await request.form(max_files=files, max_fields=20)
        sent = form.get("csrf")
        expected = request.session.get("csrf")
        if not (isinstance(sent, str) and isinstance(expected, str) and secrets.compare_digest(sent, expected)):
            raise HTTPException(403, "Phiên làm việc không hợp lệ hoặc đã hết hạn: hãy tải lại trang và thử lại.")
        return form

    def need(request: Request, role: str | None = None) -> Account:
        account = current(request)
        if account is None:
            raise HTTPException(401, "Hãy đăng nhập.")
        if role is not None and account.role != role:
            raise HTTPException(403, "Trang này chỉ dành cho cán bộ Sở Công Thương.")
        return account

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if exc.status_code == 401:
            return RedirectResponse("/dang-nhap", status_code=303)
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else "Không tìm thấy trang."
        return refused(request, exc.status_code, message)

    @app.get("/static/portal.css")
    def stylesheet() -> FileResponse:
        return FileResponse(
            WEB_TEMPLATES / "portal.css", media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    @app.get("/")
    def home(request: Request):
        account = current(request)
        if account is None:
            return RedirectResponse("/dang-nhap", status_code=303)
        return RedirectResponse("/don-vi" if account.role == OFFICER else "/tong-hop", status_code=303)

    # --- signing in -------------------------------------------------------------------------------------------

    @app.get("/dang-nhap")
    def login_page(request: Request):
        return page(request, "login.html.j2")

    @app.post("/dang-nhap")
    async def login(request: Request):
        form = await form_of(request)
        name = str(form.get("username", "")).strip().lower()[:60]
        password = str(form.get("password", ""))[:200]
        client = client_of(request)
        keys = (f"user:{name}", f"client:{client}")
        if portal.limiter.blocked(*keys):
            portal.audit.record("sign-in-blocked", name, client)
            return page(
                request, "login.html.j2", status=429, error="Đăng nhập sai quá nhiều lần. Hãy thử lại sau 5 phút."
            )
        account = authenticate(portal.accounts(), name, password)
        if account is None:
            portal.limiter.failed(*keys)
            portal.audit.record("sign-in-failed", name, client)
            return page(request, "login.html.j2", status=401, error="Tên đăng nhập hoặc mật khẩu không đúng.")
        request.session.clear()
        request.session.update({"user": account.username, "csrf": secrets.token_urlsafe(32)})
        portal.audit.record("sign-in", account.username, client, role=account.role, unit=account.unit)
        return RedirectResponse("/", status_code=303)

    @app.post("/dang-xuat")
    async def logout(request: Request):
        await form_of(request)
        account = current(request)
        request.session.clear()
        if account:
            portal.audit.record("sign-out", account.username, client_of(request))
        return RedirectResponse("/dang-nhap", status_code=303)

    # --- officers -----------------------------------------------------------------------------------------------

    programme_years = {y for p in config.programmes for y in range(p.first_year, p.last_year + 1)}

    def owed(period: Period) -> bool:
        """A period some programme covers: outside every programme no report is owed."""
        return period.first[0] in programme_years and period.last[0] in programme_years

    def due_list(unit: Unit) -> list[mx.MatrixCell]:
        """The unit's last 12 months of a programme (up to today) with their deadlines and states, newest first."""
        today = portal.today()
        end = min(today.year, max(programme_years))
        periods = [p for p in mx.periods_of(Kind.MONTH, end - 1, end, today) if owed(p) and unit.exists_during(p)]
        subs = portal.submissions_frame()
        built = mx.build_matrix(subs, [unit], periods[-12:], config.rules, today)
        return list(reversed(built.rows[0].cells)) if built.rows else []

    @app.get("/don-vi")
    def officer_home(request: Request):
        account = need(request, OFFICER)
        unit = portal.unit(account.unit)
        if unit is None:
            raise HTTPException(403, "Tài khoản chưa gắn với đơn vị nào trong danh mục.")
        return page(request, "officer.html.j2", due=due_list(unit), max_upload=mb(settings.max_upload))

    @app.get("/mau")
    def template_download(request: Request, ky: str = "", don_vi: str = ""):
        account = need(request)
        unit = portal.unit(account.unit if account.role == OFFICER else don_vi)
        if account.role == OFFICER and don_vi and don_vi != account.unit:
            raise HTTPException(403, "Cán bộ đơn vị chỉ tải được mẫu của đơn vị mình.")
        if unit is None:
            raise HTTPException(400, "Hãy chọn đơn vị.")
        try:
            period = parse_period(ky.strip())
            programme = programme_for_year(config.programmes, period.first[0])
        except (PeriodError, ProgrammeError):
            said = f"Kỳ báo cáo «{printable(ky, 40)}» không hợp lệ: ví dụ 2012-03, 2012-Q3, 2012."
            raise HTTPException(400, said) from None
        if not unit.exists_during(period):
            raise HTTPException(400, f"{unit.full_name(unit.valid_from)} không tồn tại trong {period.title}.")
        buffer = io.BytesIO()
        build_workbook(programme, unit, period).save(buffer)
        name = template_name(unit, period)
        return Response(
            buffer.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.post("/kiem-tra")
    async def upload_and_check(request: Request):
        account = need(request, OFFICER)
        unit = portal.unit(account.unit)
        form = await form_of(request, files=1)
        upload = form.get("file")
        client = client_of(request)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise HTTPException(400, "Hãy chọn một tệp Excel (.xlsx, .xlsm, .xls hoặc .ods).")
        original = printable(nfc(upload.filename), 200)
        suffix = next((s for s in SUFFIXES if original.lower().endswith(s)), None)
        size = upload.size or 0
        portal.audit.record("upload", account.username, client, unit=account.unit, file=original, size=size)
        if suffix is None:
            raise HTTPException(400, f"Tệp «{original}» không phải tệp Excel (.xlsx, .xlsm, .xls hoặc .ods).")
        if size > settings.max_upload:
            raise HTTPException(413, f"Tệp quá lớn: tối đa {mb(settings.max_upload)}.")
        staged = portal.stage(upload, suffix)
        started = time.monotonic()
        report = check.dry_run(staged, config.programmes, config.units, name=original)
        refusal = mismatch(report, unit)
        portal.audit.record(
            "check",
            account.username,
            client,
            unit=account.unit,
            file=original,
            sha256=report.file.sha256,
            status=report.status.value,
            period=report.period.code if report.period else None,
            refused=refusal,
            seconds=round(time.monotonic() - started, 3),
        )
        if refusal or report.status is Status.REJECTED:
            staged.unlink(missing_ok=True)
            request.session.pop("pending", None)
        else:
            request.session["pending"] = {
                "token": staged.name,
                "name": original,
                "sha256": report.file.sha256,
                "period": report.period.code,  # type: ignore[union-attr]
            }
        return page(
            request,
            "checked.html.j2",
            report=report,
            receipt=check.check_text(report),
            refusal=refusal,
            can_submit=not refusal and report.status is not Status.REJECTED,
            errors=report.errors,
            warnings=[p for p in report.problems if p not in report.errors],
        )

    def mismatch(report: ValidationReport, unit: Unit | None) -> str | None:
        """Why a checked workbook may not be submitted by this unit (Vietnamese), or None."""
        if unit is None or report.unit is None or report.period is None:
            return None  # rejected anyway: the receipt says why
        if report.unit.code != unit.code:
            found = report.unit.full_name(report.period.end)
            return (
                f"Tệp này là báo cáo của {found}, không phải của {unit.full_name(report.period.end)} "
                "(đơn vị bạn đăng nhập). Mỗi đơn vị chỉ gửi báo cáo của mình."
            )
        if not unit.exists_during(report.period):
            return f"{unit.full_name(unit.valid_from)} không tồn tại trong {report.period.title}."
        return None

    @app.post("/gui")
    async def submit(request: Request):
        account = need(request, OFFICER)
        await form_of(request)
        pending = request.session.get("pending")
        staged = portal.staged(pending["token"]) if isinstance(pending, dict) else None
        if staged is None:
            raise HTTPException(409, "Không còn tệp đã kiểm tra để gửi: hãy tải tệp lên và kiểm tra lại.")
        unit = portal.unit(account.unit)
        period = parse_period(pending["period"])
        if unit is None or not unit.exists_during(period):
            raise HTTPException(403, "Đơn vị của tài khoản không gửi được báo cáo cho kỳ này.")
        rel = portal.submit(staged, unit, period)
        request.session.pop("pending", None)
        sid = secrets.token_urlsafe(16)
        entry = {
            "id": sid,
            "user": account.username,
            "unit": unit.code,
            "period": period.code,
            "rel": rel,
            "original": pending["name"],
            "sha256": pending["sha256"],
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        portal.record_submission(entry)
        portal.audit.record(
            "submit", account.username, client_of(request), **{k: entry[k] for k in entry if k != "user"}
        )
        return RedirectResponse(f"/bien-nhan/{sid}", status_code=303)

    @app.get("/bien-nhan/{sid}")
    def receipt_page(request: Request, sid: str):
        account = need(request)
        entry = portal.submission(sid)
        if entry is None or (account.role == OFFICER and entry["unit"] != account.unit):
            raise HTTPException(404)
        return page(request, "receipt.html.j2", entry=entry, receipt=portal.receipt_of(entry))

    @app.get("/bien-nhan/{sid}/trang-thai")
    def receipt_state(request: Request, sid: str) -> PlainTextResponse:
        account = need(request)
        entry = portal.submission(sid)
        if entry is None or (account.role == OFFICER and entry["unit"] != account.unit):
            raise HTTPException(404)
        return PlainTextResponse("ready" if portal.receipt_of(entry) else "pending")

    @app.get("/lich-su")
    def unit_history(request: Request, don_vi: str = ""):
        account = need(request)
        if account.role == OFFICER and don_vi and don_vi != account.unit:
            raise HTTPException(403, "Cán bộ đơn vị chỉ xem được lịch sử của đơn vị mình.")
        unit = portal.unit(account.unit if account.role == OFFICER else don_vi)
        if unit is None:
            raise HTTPException(404)
        subs, seen, probs = portal.frames()
        mine = subs[subs["unit_code"] == unit.code]
        versions = []
        if len(mine):
            years = [int(c[:4]) for c in mine["period_first"].dropna()] or [portal.today().year]
            versions = list(reversed(history.history(subs, seen, probs, unit.code, span(min(years), max(years)))))
        texts = portal.ledger_receipts([v.sha256 for v in versions])
        stored = {v.sha256 for v in versions}
        waiting = [s for s in portal.submissions() if s["unit"] == unit.code and s["sha256"] not in stored]
        return page(
            request, "history.html.j2", shown=unit, versions=versions, texts=texts, waiting=list(reversed(waiting))
        )

    # --- staff ------------------------------------------------------------------------------------------------------

    @app.get("/tong-hop")
    def staff_matrix(request: Request, loai: str = "thang", tu: int | None = None, den: int | None = None):
        need(request, STAFF)
        kind = mx.KINDS.get(loai, Kind.MONTH)
        today = portal.today()
        subs = portal.submissions_frame()
        latest = max((int(c[:4]) for c in subs["period_last"].dropna()), default=today.year)
        den = den if den and 1990 <= den <= today.year + 1 else min(latest, max(programme_years))
        tu = tu if tu and 1990 <= tu <= den else (den if kind is Kind.MONTH else max(den - 4, 1990))
        periods = [p for p in mx.periods_of(kind, tu, den, today) if owed(p)]
        units = [u for u in config.units.units if any(u.exists_during(p) for p in periods)]
        built = mx.build_matrix(subs, units, periods, config.rules, today)
        return page(
            request,
            "matrix.html.j2",
            matrix=built,
            loai=loai if loai in mx.KINDS else "thang",
            tu=tu,
            den=den,
            prefect_ui=settings.prefect_ui,
        )

    def published() -> list[tuple[str, list[Path]]]:
        """(period, its files) of every published report set, newest period first."""
        folder = paths.reports
        if not folder.is_dir():
            return []
        out = []
        for entry in sorted(folder.iterdir(), key=lambda p: p.name, reverse=True):
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            files = sorted(p for p in entry.resolve().rglob("*") if p.is_file() and p.name != "manifest.json")
            out.append((entry.name, files))
        return out

    @app.get("/bao-cao")
    def reports_page(request: Request):
        need(request, STAFF)
        return page(request, "reports.html.j2", sets=published(), prefect_ui=settings.prefect_ui, rerun=rerun)

    @app.post("/bao-cao/{period}/chay-lai")
    async def rerun_report(request: Request, period: str):
        account = need(request, STAFF)
        await form_of(request)
        if rerun is None or period not in dict(published()):
            raise HTTPException(404)
        try:
            said = rerun(parse_period(period).code)
            failed = None
        except Exception as exc:  # noqa: BLE001 - a server down or a deployment missing: said on the page
            said, failed = None, printable(str(exc), 300)
        portal.audit.record("rerun", account.username, client_of(request), period=period, said=said, failed=failed)
        notice = said or f"Không khởi động được việc lập lại báo cáo kỳ {period}: {failed}"
        return page(
            request,
            "reports.html.j2",
            status=200 if said else 502,
            sets=published(),
            prefect_ui=settings.prefect_ui,
            rerun=rerun,
            notice=notice,
            failed=failed is not None,
        )

    @app.get("/bao-cao/{period}/{n}")
    def report_file(request: Request, period: str, n: int):
        need(request, STAFF)
        found = dict(published()).get(period)
        if found is None or not 0 <= n < len(found):
            raise HTTPException(404)
        return FileResponse(found[n], filename=found[n].name)

    # --- unmatched labels (pipeline.labels) -------------------------------------------------------------------

    indicators = {code: i.name for p in config.programmes for code, i in p.indicators.items()}

    def labels_page(request: Request, status: int = 200, **context) -> HTMLResponse:
        if isinstance(ledger_target, Path) and not ledger_target.exists():
            pending: list[vocab.Pending] = []
        else:
            with ledger.open_ledger(ledger_target) as conn:
                pending = vocab.unmatched(conn)
        return page(request, "labels.html.j2", status=status, pending=pending, indicators=indicators, **context)

    @app.get("/nhan-chua-khop")
    def unmatched_labels(request: Request):
        need(request, STAFF)
        return labels_page(request)

    @app.post("/nhan-chua-khop")
    async def decide_label(request: Request):
        account = need(request, STAFF)
        form = await form_of(request)
        label = printable(nfc(str(form.get("label", ""))), 500).strip()
        action = form.get("action")
        indicator = str(form.get("indicator", "")) if action == "map" else None
        if not label or action not in ("map", "ignore") or (action == "map" and indicator not in indicators):
            raise HTTPException(400, "Yêu cầu không hợp lệ: hãy chọn một nhãn và một chỉ tiêu trong danh sách.")
        client = client_of(request)
        try:
            with run_lock(paths.outputs, wait_seconds=15), ledger.open_ledger(ledger_target) as conn:
                outcome = vocab.decide(
                    conn,
                    config.folder,
                    paths.archive,
                    paths.receipts,
                    config.programmes,
                    config.units,
                    label,
                    indicator,
                    by=account.username,
                )
        except vocab.DecisionRefused as exc:
            portal.audit.record(
                "label-refused", account.username, client, label=label, indicator=indicator, why=str(exc)
            )
            return labels_page(request, status=409, refused=f"Không ghi được quyết định về nhãn «{label}»: {exc}")
        except Busy:
            said = "Hệ thống đang tiếp nhận tệp hoặc lập báo cáo: hãy thử lại sau ít phút."
            return labels_page(request, status=503, refused=said)
        portal.audit.record(
            "label-decision",
            account.username,
            client,
            label=label,
            indicator=indicator,
            decision=outcome.decision,
            files=sorted(outcome.changed),
        )
        return labels_page(request, outcome=outcome)

    return app


def period_label(p: Period) -> str:
    """A column heading: "03/2012", "Q3/2012", "2012"."""
    y, m = p.first
    return {Kind.MONTH: f"{m:02d}/{y}", Kind.QUARTER: f"Q{(m - 1) // 3 + 1}/{y}"}.get(p.kind, p.code)
