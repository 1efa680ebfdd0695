"""Notifications: a webhook (JSON POST) and/or a mail through a configured SMTP server. Off by default
(config/notifications.yaml). Messages are in Vietnamese; they are sent by the flows, never by the stages."""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipeline.configfile import load_model, read_yaml

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
        s = settings.smtp
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, s.sender, ", ".join(s.recipients)
        message.set_content(body)
        with smtplib.SMTP(s.host, s.port, timeout=settings.timeout_seconds) as server:
            if s.starttls:
                server.starttls()
            if s.username and s.password_env:
                server.login(s.username, os.environ.get(s.password_env, ""))
            server.send_message(message)
        sent.append("smtp")
    return sent
