"""Operations helpers for the `khuyencong` command and `khuyencong serve` (no Prefect imports here):

- Prefect settings for a working folder, and finding the Prefect server a running `serve` announced, so that
  every command uses it instead of starting a temporary one;
- a local Prefect server process, in its own process group (Ctrl-C reaches it only through us, after the
  runner has stopped), stopped within seconds;
- the intake loop: file-system events (watchdog) and a slow poll wake it; it starts an intake only when a
  workbook is new or changed and has stopped changing, so no empty intake runs are made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pipeline.reading import SUFFIXES

SERVER_FILE = "khuyencong-server.json"  # in PREFECT_HOME: where `serve` announces its server
STARTUP_TIMEOUT = 600  # seconds Prefect's temporary server may take to start (a first start on a busy machine
#                        migrates its database: 56-84 s measured; Prefect's default is 20 s)


class ServeError(RuntimeError):
    """`serve` cannot start (said in one line to the user)."""


def prefect_settings(workdir: Path) -> Path:
    """Point Prefect at the working folder's `.prefect/` (unless PREFECT_HOME is set) and give a temporary
    server the time a slow machine needs. Returns PREFECT_HOME."""
    os.environ.setdefault("PREFECT_HOME", str((workdir / ".prefect").resolve()))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(STARTUP_TIMEOUT))
    return Path(os.environ["PREFECT_HOME"])


def healthy(url: str, timeout: float = 2) -> bool:
    """Whether the Prefect API at `url` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as response:  # noqa: S310
            return response.status == 200
    except (OSError, ValueError):
        return False


def announced_server(home: Path) -> str | None:
    """The API URL a running `serve` announced in `home`, if that server answers; else None."""
    try:
        url = json.loads((home / SERVER_FILE).read_text(encoding="utf-8"))["api_url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if isinstance(url, str) and healthy(url) else None


@contextmanager
def announce_server(home: Path, url: str) -> Iterator[None]:
    """Leave `url` where the other commands look (`home`/khuyencong-server.json) while the block runs."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / SERVER_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"api_url": url, "pid": os.getpid()}), encoding="utf-8")
    os.replace(tmp, path)
    try:
        yield
    finally:
        with suppress(OSError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()


@contextmanager
def local_server(port: int = 4200, timeout: float = STARTUP_TIMEOUT) -> Iterator[str]:
    """Start `prefect server start` on 127.0.0.1:`port` in its own process group, wait until it is healthy,
    point PREFECT_API_URL at it, and stop it (the whole group) on exit. Yields the API URL."""
    prefect = Path(sys.executable).with_name("prefect")
    command = [
        str(prefect) if prefect.exists() else "prefect",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}/api"
    if healthy(url):
        raise ServeError(
            f"port {port} already has a Prefect server: set PREFECT_API_URL={url} to use it, or choose another --port"
        )
    log = Path(os.environ.get("PREFECT_HOME", ".")) / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command,
            env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServeError(f"the Prefect server did not start on port {port} (see {log})")
            time.sleep(0.3)
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen, grace: float = 5) -> None:
    """SIGTERM the process's group, SIGKILL it after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM (systemd's stop, `kill`) behaves as Ctrl-C: KeyboardInterrupt in the main thread."""
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class IntakeLoop:
    """Starts the intake when workbooks under `folder` are new or changed and have stopped changing.

    `changed()` maps each file not yet read as it is now to its (size, mtime_ns) - cheap: a stat per file, no
    hashing; `run()` runs one intake. File-system events wake the loop at once; without events it looks every
    `poll_seconds`. A file is left alone until the loop has seen it unchanged for `settle_seconds` (by the
    loop's own clock, so a file dated in the future does not wait forever). After a run that left changes
    (another run held the outputs), it tries again after a growing pause, up to `poll_seconds`."""

    def __init__(
        self,
        folder: Path,
        changed: Callable[[], dict[str, tuple[int, int]]],
        run: Callable[[], object],
        poll_seconds: float = 30,
        settle_seconds: float = 5,
    ) -> None:
        self.folder, self.changed, self.run = folder, changed, run
        self.poll_seconds, self.settle_seconds = poll_seconds, settle_seconds
        self.wake, self.stopping = threading.Event(), threading.Event()
        self.runs = 0
        self._thread = threading.Thread(target=self._loop, name="intake-loop", daemon=True)
        self._observer = None

    def start(self, watch: bool = True) -> IntakeLoop:
        if watch:
            self._observer = _observer(self.folder, self.wake.set)
        self._thread.start()
        return self

    def stop(self, wait: float = 0) -> None:
        """Stop looking; give a run under way up to `wait` seconds to finish."""
        self.stopping.set()
        self.wake.set()
        if self._observer is not None:
            self._observer.stop()
        if wait and self._thread.is_alive():
            self._thread.join(wait)

    def _loop(self) -> None:
        since: dict[str, tuple[tuple[int, int], float]] = {}  # path -> (signature, when first seen like this)
        backoff = 0.0
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                now, current = time.monotonic(), self.changed()
            except Exception as exc:  # noqa: BLE001 - a transient error (folder gone, ledger busy): look again later
                print(f"intake: cannot list {self.folder}: {exc}", file=sys.stderr)
                now, current = time.monotonic(), {}
            since = {p: since[p] if p in since and since[p][0] == sig else (sig, now) for p, sig in current.items()}
            if not since:
                backoff = 0.0
                self.wake.wait(self.poll_seconds)
                continue
            still = now - max(t for _, t in since.values())
            if still < self.settle_seconds:
                self.wake.wait(self.settle_seconds - still)  # an event restarts the wait with a fresh look
                continue
            if backoff and self.wake.wait(backoff):
                continue  # something changed meanwhile: look again
            try:
                self.run()
            except Exception as exc:  # noqa: BLE001 - the run's own failure is in its logs; keep serving
                print(f"intake run failed: {exc}", file=sys.stderr)
            self.runs += 1
            backoff = min(self.poll_seconds, max(2.0, backoff * 2))


def _observer(folder: Path, wake: Callable[[], None]):
    """A watchdog observer calling `wake()` whenever a workbook under `folder` appears or changes."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            path = str(getattr(event, "dest_path", "") or event.src_path)
            if not event.is_directory and path.lower().endswith(SUFFIXES):
                wake()

    folder.mkdir(parents=True, exist_ok=True)
    observer = Observer()
    observer.daemon = True
    observer.schedule(Handler(), str(folder), recursive=True)
    observer.start()
    return observer
