"""Notifications: a webhook (JSON POST) and/or a mail through a configured SMTP server. Off by default
(config/notifications.yaml). Messages are in Vietnamese; they are sent by the flows, never by the stages.
Receipts are also mailed, through the same SMTP settings, to the address of the unit whose file they are
(`mail_receipts`), once each: the ledger marks each receipt mailed."""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from pipeline import ledger
from pipeline.configfile import load_model, read_yaml
from pipeline.validating import Status

Event = Literal["report", "rejected"]


class Smtp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    host: str
    port: int = 25
    starttls: bool = False
    sender: str
    recipients: tuple[str, ...]
    username: str | None = None
    password_env: str | None = None


class Notifications(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    enabled: bool = False
    events: tuple[Event, ...] = ("report", "rejected")
    webhook_url: str | None = None
    smtp: Smtp | None = None
    timeout_seconds: float = 10


def load_notifications(config_dir: Path) -> Notifications:
    """The notification settings of a configuration folder (notifications.yaml; none: notifications off)."""
    path = config_dir / "notifications.yaml"
    return load_model(path, Notifications, (read_yaml(path) if path.exists() else None) or {})


def notify(settings: Notifications, event: Event, subject: str, body: str) -> list[str]:
    """Send the message on every configured channel; return the channels used (none when off)."""
    if not settings.enabled or event not in settings.events:
        return []
    sent = []
    if settings.webhook_url:
        data = json.dumps({"event": event, "subject": subject, "body": body}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            settings.webhook_url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as response:  # noqa: S310
            response.read()
        sent.append("webhook")
    if settings.smtp is not None:
        send_mail(settings.smtp, settings.smtp.recipients, subject, body, settings.timeout_seconds)
        sent.append("smtp")
    return sent


def send_mail(s: Smtp, to: tuple[str, ...], subject: str, body: str, timeout: float = 10) -> None:
    """One mail through the configured SMTP server (STARTTLS and login when configured)."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, s.sender, ", ".join(to)
    message.set_content(body)
    with smtplib.SMTP(s.host, s.port, timeout=timeout) as server:
        if s.starttls:
            server.starttls()
        if s.username and s.password_env:
            server.login(s.username, os.environ.get(s.password_env, ""))
        server.send_message(message)


@dataclass(frozen=True)
class Mailed:
    """What `mail_receipts` did: receipts mailed, set aside (no address, mail off), and why it stopped early."""

    sent: int
    skipped: int
    failed: str | None = None  # the error that stopped it; the rest are mailed at the next intake


def receipt_subject(name: str, status: str | None, text: str) -> str:
    """ "Biên nhận báo cáo khuyến công: bu-dang.xlsx – Đã tiếp nhận" (re-issued receipts say so)."""
    verdict = Status(status).label if status else "Không đọc được"
    again = "Biên nhận cấp lại" if text.startswith("BIÊN NHẬN CẤP LẠI") else "Biên nhận"
    return f"{again} báo cáo khuyến công: {name} – {verdict}"


def mail_receipts(
    conn: Connection, settings: Notifications, folder: Path, addresses: Mapping[str, tuple[str, ...]]
) -> Mailed:
    """Mail each receipt written to `folder` and not yet mailed to its unit's addresses (`addresses`: unit code
    -> e-mail addresses), subject with the file name and verdict, body the receipt text; each marked in the
    ledger as soon as it is sent, so a retried or repeated run never mails it twice. A receipt whose unit has no
    address, or with mail off (notifications disabled or no SMTP server), is set aside for good (as are the
    receipts of the ledger's first ingest, its backlog: pipeline.ledger.mark_backlog_loaded). The first
    error stops the round (the server is likely down): the receipts left are mailed at the next call."""
    on = settings.enabled and settings.smtp is not None
    sent = skipped = 0
    while rows := ledger.unmailed_receipts(conn, str(folder.resolve()), limit=200):
        aside = [r["id"] for r in rows if not on or not addresses.get(r["unit"] or "")]
        ledger.receipts_mailed(conn, aside, mailed=False)
        skipped += len(aside)
        for r in rows:
            if r["id"] in aside:
                continue
            try:
                subject = receipt_subject(r["name"], r["status"], r["text"])
                send_mail(settings.smtp, addresses[r["unit"]], subject, r["text"], settings.timeout_seconds)  # type: ignore[arg-type]
            except (OSError, smtplib.SMTPException) as exc:
                return Mailed(sent, skipped, f"{type(exc).__name__}: {exc}")
            ledger.receipts_mailed(conn, [r["id"]])
            sent += 1
    return Mailed(sent, skipped)
