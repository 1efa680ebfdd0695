"""The archive: a copy of every file ever seen, addressed by its sha256 (archive/ab/abcdef….xlsx).

Copies are made before a file is read, so even a file that no reader can open is kept. Same bytes,
same address: a file dropped twice is stored once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.files import atomic_output
from pipeline.reading import FileInfo


def archive_path(archive: Path, info: FileInfo) -> Path:
    suffix = info.path.suffix.lower() if len(info.path.suffix) <= 6 else ""
    return archive / info.sha256[:2] / f"{info.sha256}{suffix}"


def keep(archive: Path, info: FileInfo) -> Path:
    """Copy the file into the archive unless its bytes are already there; return the archive path."""
    target = archive_path(archive, info)
    if not target.exists():
        with atomic_output(target) as tmp:
            shutil.copyfile(info.path, tmp)
    return target
