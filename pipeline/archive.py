"""The archive: a copy of every file ever seen, addressed by its sha256 (archive/ab/abcdef….xlsx).

A file is copied into the archive and hashed in the same pass, before anything reads it; the pipeline then
reads the archived copy, so the bytes parsed are exactly the bytes whose sha256 the ledger records, even if
the officer's file changes meanwhile. Same bytes, same address: a file dropped twice is stored once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pipeline.reading import FileInfo
from pipeline.text import nfc


def take(path: Path, inputs: Path, archive: Path) -> FileInfo:
    """Copy `path` into the archive, hashing it as it is copied; the FileInfo points at the archived copy."""
    st = path.stat()
    digest = hashlib.sha256()
    archive.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower() if len(path.suffix) <= 6 else ""
    fd, tmp_name = tempfile.mkstemp(dir=archive, prefix=".incoming-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as dst, path.open("rb") as src:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
        sha = digest.hexdigest()
        target = archive / sha[:2] / f"{sha}{suffix}"
        if not target.exists():  # same bytes, same address: kept once
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    try:
        name = nfc(path.relative_to(inputs).as_posix())
    except ValueError:
        name = nfc(path.name)
    return FileInfo(path=target, name=name, sha256=sha, size=st.st_size,
                    modified=datetime.fromtimestamp(st.st_mtime, UTC), source=path, mtime_ns=st.st_mtime_ns)
