"""One run at a time per output folder: an exclusive lock (flock) that the OS releases if a run dies."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Busy(RuntimeError):
    """Another run holds the lock."""


@contextmanager
def run_lock(folder: Path, wait_seconds: float = 3600, on_wait=None) -> Iterator[None]:
    """Hold `<folder>/.khuyencong.lock` for the block. If another run holds it, wait up to `wait_seconds`
    (calling `on_wait()` once, to say so), then raise Busy. With `wait_seconds=0` Busy is raised at once, for
    callers that skip their run rather than wait."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".khuyencong.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline or wait_seconds <= 0:
                    raise Busy(f"another run holds {folder / '.khuyencong.lock'}") from None
                if not told and on_wait is not None:
                    on_wait()
                    told = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock (and the OS does it if the process is killed)
