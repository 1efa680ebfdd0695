"""The portal's audit log: one JSON line per sign-in, upload, check, submission, label decision and report re-run
(who, when, what), appended to <outputs>/web/audit.jsonl. A log file rather than a ledger table: the ledger
holds what the intake read; this holds who did what on the portal, and it is read with `tail` or `jq`."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

_LOCK = threading.Lock()


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, event: str, who: str, client: str, **details: object) -> None:
        """Append one event (UTC time, event, user, client address, details)."""
        line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "event": event, "user": who, "client": client}
        line.update(details)
        text = json.dumps(line, ensure_ascii=False, default=str) + "\n"
        with _LOCK:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(text)

    def events(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(x) for x in self.path.read_text(encoding="utf-8").splitlines() if x.strip()]
