"""Atomic file output: write to a temporary file beside the target, then rename it into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(out_path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `out_path`; move it into place only if the block succeeds."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # as a plain open() would have made it, not mkstemp's 0600
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files a killed run left behind (call only while holding the run lock)."""
    if not folder.exists():
        return []
    stale = [p for p in folder.rglob(".*") if p.is_file() and (p.name.endswith(".tmp") or
                                                                p.name.startswith((".tmp-", ".incoming-")))]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
