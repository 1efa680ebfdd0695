"""Atomic file output: write to a temporary file beside the target, then rename it into place."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(out_path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `out_path`; move it into place only if the block succeeds."""
    fd, tmp = _create_temporary(out_path)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(out_path: Path, data: bytes) -> None:
    """Write `data` to `out_path` through a temporary file beside it (one open, one write, one rename)."""
    fd, tmp = _create_temporary(out_path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


def _create_temporary(out_path: Path) -> tuple[int, Path]:
    """A new, empty file beside `out_path` (".name.<random>.tmp"), never over an existing one, with the
    permissions a plain open() gives (0666 less the umask: readable like any output, unlike mkstemp's 0600)."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = out_path.with_name(f".{out_path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def remove_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files a killed run left behind (call only while holding the run lock)."""
    if not folder.exists():
        return []
    stale = [
        p
        for p in folder.rglob(".*")
        if p.is_file() and (p.name.endswith(".tmp") or p.name.startswith((".tmp-", ".incoming-")))
    ]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale
