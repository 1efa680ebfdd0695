"""Serving the portal with uvicorn: in the foreground (`khuyencong web`) or in a thread beside the other
components of `khuyencong serve` (`running`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from pipeline.configuration import Configuration
from pipeline.ops import ServeError
from pipeline.paths import Workspace
from pipeline.web.app import WebSettings, create_app, session_secret


def _server(
    config: Configuration,
    ws: Workspace,
    host: str,
    port: int,
    prefect_ui: str | None = None,
    rerun: Callable[[str], str] | None = None,
) -> uvicorn.Server:
    settings = WebSettings(secret=session_secret(ws), prefect_ui=prefect_ui)
    app = create_app(config, ws, ws.ledger, settings, rerun=rerun)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=False))


def run(config: Configuration, ws: Workspace, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve until Ctrl-C."""
    _server(config, ws, host, port).run()


@contextmanager
def running(
    config: Configuration,
    ws: Workspace,
    host: str = "127.0.0.1",
    port: int = 8080,
    prefect_ui: str | None = None,
    timeout: float = 30,
    rerun: Callable[[str], str] | None = None,
) -> Iterator[str]:
    """The portal served from a thread while the block runs; yields its URL. `rerun` starts a period's report
    (flows.start_report). Raises ServeError (pipeline.ops) if it cannot start (the port taken)."""
    server = _server(config, ws, host, port, prefect_ui, rerun)
    thread = threading.Thread(target=server.run, name="khuyencong-web", daemon=True)  # no signal handlers there
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise ServeError(f"the web portal could not start on {host}:{port} (port in use? --web-port)")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
