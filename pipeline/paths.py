"""Where things are: project root, config, templates, and the default working folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
TEMPLATES_DIR = PROJECT_ROOT / "templates"


@dataclass(frozen=True)
class Workspace:
    """The folders a run reads and writes; every command can point them elsewhere."""

    inputs: Path
    outputs: Path
    ledger: Path | str  # a SQLite file, or a database URL (postgresql+psycopg://…)
    config: Path = CONFIG_DIR
    archive_dir: Path | None = None  # default: "archive" beside the ledger

    @classmethod
    def default(cls, root: Path | None = None) -> Workspace:
        root = root or Path.cwd()
        return cls(inputs=root / "inputs", outputs=root / "outputs", ledger=root / "khuyencong.sqlite")

    @property
    def archive(self) -> Path:
        """Beside a SQLite ledger; beside the outputs folder for a database server."""
        if self.archive_dir:
            return self.archive_dir
        return self.ledger.parent / "archive" if isinstance(self.ledger, Path) else self.outputs.parent / "archive"

    @property
    def reports(self) -> Path:
        return self.outputs / "reports"

    @property
    def receipts(self) -> Path:
        return self.outputs / "receipts"
