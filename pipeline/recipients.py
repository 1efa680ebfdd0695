"""Recipients of the consolidated report and the issuing body, as data."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from pipeline.paths import CONFIG_DIR
from pipeline.text import nfc


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Issuer(_Model):
    parent: str
    name: str
    place: str


class Recipient(_Model):
    code: str
    name: str
    salutation: str
    unit_detail: bool = True


class RecipientBook(_Model):
    issuer: Issuer
    recipients: tuple[Recipient, ...]


def load_recipients(config_dir: Path = CONFIG_DIR) -> RecipientBook:
    data = yaml.safe_load(nfc((config_dir / "recipients.yaml").read_text(encoding="utf-8")))
    return RecipientBook.model_validate(data)
