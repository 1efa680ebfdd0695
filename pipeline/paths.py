"""Where things are: the configuration and templates shipped with the package, the working folders, the
configuration folder a command uses, and whether a ledger is a file or a database server.

The top-level `config/` and `templates/` folders of the source tree are installed as `pipeline/config` and
`pipeline/templates` (pyproject.toml); both are found through importlib.resources, installed, editable or
run from the source tree. A command's configuration folder is, in this order: `--config`, the environment
variable KHUYENCONG_CONFIG, `./config` when the working folder has one (`khuyencong init` writes it), and
else the packaged defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

CONFIG_ENV = "KHUYENCONG_CONFIG"


def _shipped(name: str) -> Path:
    """A folder shipped with the package: `pipeline/<name>` when installed from a wheel, else the top-level
    folder beside the package (an editable install, or a source tree on sys.path)."""
    package = files("pipeline")
    if not isinstance(package, Path):  # pragma: no cover - a zipped install: the files must be on disk
        raise RuntimeError("khuyencong must be installed as files on disk, not in a zip archive")
    for folder in (package / name, package.parent / name):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(f"the package's {name}/ folder is missing (looked in {package} and {package.parent})")


def packaged_config() -> Path:
    """The configuration shipped with the package (the defaults `khuyencong init` copies)."""
    return _shipped("config")


TEMPLATES_DIR = _shipped("templates")


def config_folder(option: Path | str | None = None, cwd: Path | None = None) -> Path:
    """The configuration folder to use: `option` (--config), else $KHUYENCONG_CONFIG, else ./config if the
    working folder has one, else the packaged defaults."""
    if option:
        return Path(option)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = (cwd or Path.cwd()) / "config"
    return local if local.is_dir() else packaged_config()


def ledger_target(value: Path | str) -> Path | str:
    """A ledger is a SQLite file (a path) or a database server (a URL: postgresql+psycopg://…)."""
    text = str(value)
    return text if "://" in text else Path(text)


@dataclass(frozen=True)
class Workspace:
    """The folders a run reads and writes, and the configuration it uses; every command can point them
    elsewhere."""

    inputs: Path
    outputs: Path
    ledger: Path | str  # a SQLite file, or a database URL (postgresql+psycopg://…)
    config: Path
    archive_dir: Path | None = None  # default: "archive" beside the ledger
    assessments_dir: Path | None = None  # default: "assessments" beside the inputs folder

    @classmethod
    def resolve(
        cls,
        inputs: Path | str | None = None,
        outputs: Path | str | None = None,
        ledger: Path | str | None = None,
        config: Path | str | None = None,
        root: Path | None = None,
    ) -> Workspace:
        """What is given, the rest by default: ./inputs, ./outputs, ./khuyencong.sqlite under `root` (the
        working folder), and the configuration folder as `config_folder` finds it."""
        root = root or Path.cwd()
        return cls(
            inputs=Path(inputs) if inputs else root / "inputs",
            outputs=Path(outputs) if outputs else root / "outputs",
            ledger=ledger_target(ledger) if ledger else root / "khuyencong.sqlite",
            config=config_folder(config, root),
        )

    @property
    def archive(self) -> Path:
        """Beside a SQLite ledger; beside the outputs folder for a database server."""
        if self.archive_dir:
            return self.archive_dir
        return self.ledger.parent / "archive" if isinstance(self.ledger, Path) else self.outputs.parent / "archive"

    @property
    def assessments(self) -> Path:
        """The office's own text per period (pipeline.assessment): `assessments/<period>.md` beside inputs/."""
        return self.assessments_dir or self.inputs.parent / "assessments"

    @property
    def reports(self) -> Path:
        return self.outputs / "reports"

    @property
    def receipts(self) -> Path:
        return self.outputs / "receipts"
