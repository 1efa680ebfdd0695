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
    config = Configuration(
        folder,
        load_programmes(folder),
        load_units(folder),
        load_recipients(folder),
        load_rules(folder),
        load_notifications(folder),
    )
    _check_national(config)
    return config


def _check_national(config: Configuration) -> None:
    """A recipient that sets the national funds apart needs every programme to name its national source."""
    apart = next((r for r in config.recipients.recipients if r.kcqg_separate), None)
    unmarked = next((p for p in config.programmes if p.national_source is None), None)
    if apart is not None and unmarked is not None:
        raise ConfigError(
            config.folder / "recipients.yaml",
            f"recipient {apart.code} sets the national funds apart (kcqg_separate) but programme {unmarked.code} "
            "marks no source `national: true` (programmes/*.yaml)",
        )
