"""A province's configuration folder, every file loaded and checked at once: a command refuses a broken
folder before it starts any work (pipeline.configfile.ConfigError: file, line, what is wrong)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.completeness import ReportingRules, load_rules
from pipeline.configfile import ConfigError
from pipeline.notify import Notifications, load_notifications
from pipeline.programme import Programme, load_programmes
from pipeline.recipients import RecipientBook, load_recipients
from pipeline.units import UnitRegistry, load_units

FILES = ("programmes/*.yaml", "units.yaml", "recipients.yaml", "reporting.yaml", "notifications.yaml")


@dataclass(frozen=True)
class Configuration:
    folder: Path
    programmes: list[Programme]
    units: UnitRegistry
    recipients: RecipientBook
    rules: ReportingRules
    notifications: Notifications


def load_configuration(folder: Path) -> Configuration:
    """Every file of the folder (FILES; notifications.yaml may be absent), or the first ConfigError."""
    if not folder.is_dir():
        raise ConfigError(folder, "configuration folder not found (--config, KHUYENCONG_CONFIG or ./config)")
    return Configuration(
        folder,
        load_programmes(folder),
        load_units(folder),
        load_recipients(folder),
        load_rules(folder),
        load_notifications(folder),
    )
