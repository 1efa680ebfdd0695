"""Operations helpers for `khuyencong serve`: a local Prefect server process when none is configured, and a
file-system watcher on the inputs folder (watchdog) that triggers the intake sooner than its polling."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.reading import SUFFIXES


@contextmanager
def local_server(port: int = 4200, timeout: float = 90) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1:`port`, wait until it is healthy, point PREFECT_API_URL at
    it, and stop it on exit. Yields the API URL."""
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect) if prefect.exists() else "prefect", "server", "start", "--host", "127.0.0.1",
               "--port", str(port)]
    process = subprocess.Popen(command, env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Prefect server did not start on port {port}") from None
                time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def watch_inputs(folder: Path, trigger: Callable[[], None], debounce: float = 5.0):
    """Call `trigger` a few seconds after workbooks appear or change under `folder` (one call per burst).
    Returns the running watchdog observer (call .stop()); polling by the intake schedule stays the fallback."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    pending: list[threading.Timer] = []

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            path = str(getattr(event, "dest_path", "") or event.src_path)
            if event.is_directory or not path.lower().endswith(SUFFIXES):
                return
            for timer in pending:
                timer.cancel()
            pending[:] = [threading.Timer(debounce, trigger)]
            pending[0].daemon = True
            pending[0].start()

    folder.mkdir(parents=True, exist_ok=True)
    observer = Observer()
    observer.schedule(Handler(), str(folder), recursive=True)
    observer.start()
    return observer
