"""Publishing a period's set of outputs as one unit: a reader of `reports/<period>/` sees the whole previous
set or the whole new one, never a mix.

A run builds the set in a staging folder, `reports/.versions/<period>/<version>.partial/`, writes its manifest
(`manifest.json`: every file's name, size and sha256, the run id and the time), flushes it to disk, renames it
to `reports/.versions/<period>/<version>/`, and switches `reports/<period>` - a symbolic link to the version -
with one `os.replace` of a new link over the old one. A run killed before the switch leaves the previous set
published; after it, the new one. The previous KEEP versions stay (a reader who resolved the link keeps a whole
set while it reads); older ones, and staging folders of killed runs, are removed by the next publish or run.

A `reports/<period>` that is still a real folder (written before sets were versioned) is moved, on its first
publish, to `.versions/<period>/<its time>-before-versions/`, in one atomic exchange with the new link (Linux
renameat2); where the file system cannot exchange, two renames leave `reports/<period>` missing for an instant.

Call `publishing`, `prune` and `tidy` only while holding the run lock (pipeline.locking): they remove
what other publishers would be building.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline.faults import Fault, describe

VERSIONS = ".versions"
MANIFEST = "manifest.json"
PARTIAL = ".partial"  # a staging folder: never published, removed by the next publish or run
LEGACY = "-before-versions"  # a real folder found at reports/<period>, moved aside on its first publish
KEEP = 2  # versions kept besides the published one


@contextmanager
def publishing(reports: Path, period: str, run_id: str | None = None, keep: int = KEEP) -> Iterator[Path]:
    """Yield a new, empty staging folder; if the block succeeds, publish it as `reports/<period>` in one
    step. If the block fails on a fault of the machine (full disk, permissions), the staging folder is removed
    and a Fault says, in one line, that the published set is unchanged."""
    staging = None
    try:
        staging = _staging(reports / VERSIONS / period)
        yield staging
        version = seal(staging, period, run_id or secrets.token_hex(8))
    except BaseException as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        said = describe(exc, f"the reports folder {reports}") if isinstance(exc, Exception) else None
        if said is None:
            raise
        raise Fault(f"{said}; the reports for {period} were not replaced: {_unchanged(reports / period)}") from exc
    switch(reports / period, version)
    prune(reports, period, keep)


def _staging(versions: Path) -> Path:
    """A new folder `<UTC time>-<random>.partial` under `versions`; names sort in the order they were made."""
    versions.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(3)}{PARTIAL}"
    (versions / name).mkdir()
    return versions / name


def seal(staging: Path, period: str, run_id: str) -> Path:
    """Write the staging folder's manifest, flush every file and the folder to disk, and rename it to its
    version name (the ".partial" dropped); return the version folder."""
    files = sorted(p for p in staging.iterdir() if p.is_file())
    manifest = {
        "period": period,
        "version": staging.name.removesuffix(PARTIAL),
        "run_id": run_id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": [_entry(p) for p in files],
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for p in [*files, staging / MANIFEST, staging]:
        _fsync(p)
    version = staging.with_name(manifest["version"])
    os.rename(staging, version)
    _fsync(version.parent)
    return version


def _entry(path: Path) -> dict[str, object]:
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": digest}


def switch(link: Path, version: Path) -> None:
    """Make `link` a symbolic link to `version` in one step: a new link (relative, so the outputs folder can be
    moved) renamed over the old one. A real folder at `link` is moved into `version`'s folder first (`_migrate`)."""
    fresh = version.with_name(f".link-{secrets.token_hex(4)}")
    os.symlink(os.path.relpath(version, link.parent), fresh)
    if link.is_dir() and not link.is_symlink():
        _migrate(link, fresh, version.with_name(f"{_stamp(link)}{LEGACY}"))
    else:
        os.replace(fresh, link)
    _fsync(link.parent)


def _migrate(folder: Path, fresh: Path, legacy: Path, exchange: bool = True) -> None:
    """Put the link `fresh` where the real folder `folder` is, and the folder at `legacy`: one atomic exchange
    of the two where the system has it, else two renames (`folder` missing for an instant, never a mix)."""
    if exchange and _exchange(fresh, folder):
        os.rename(fresh, legacy)  # `fresh` now names the old folder
        return
    os.rename(folder, legacy)
    os.rename(fresh, folder)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 with RENAME_EXCHANGE); False where the system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd, rename_exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _stamp(folder: Path) -> str:
    return f"{datetime.fromtimestamp(folder.stat().st_mtime, UTC):%Y%m%dT%H%M%S.%fZ}"


def prune(reports: Path, period: str, keep: int = KEEP) -> list[Path]:
    """Remove the period's staging folders and stray links left by killed runs, and its versions but the
    published one and the `keep` latest others; return what was removed."""
    versions = reports / VERSIONS / period
    if not versions.is_dir():
        return []
    link = reports / period
    current = link.resolve() if link.is_symlink() else None
    entries = sorted(versions.iterdir())
    done = [p for p in entries if p.is_dir() and not p.is_symlink() and not p.name.endswith(PARTIAL)]
    kept = [p for p in done if p.resolve() != current][-keep:] if keep > 0 else []
    gone = [p for p in entries if p not in kept and (p.is_symlink() or p.resolve() != current)]
    for p in gone:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)
    return gone


def tidy(reports: Path, keep: int = KEEP) -> list[Path]:
    """`prune` every period (what killed runs left, whichever period they were publishing)."""
    versions = reports / VERSIONS
    if not versions.is_dir():
        return []
    return [p for folder in sorted(versions.iterdir()) if folder.is_dir() for p in prune(reports, folder.name, keep)]


def _unchanged(link: Path) -> str:
    if link.is_symlink() or link.is_dir():
        return f"{link} still holds the set published before, unchanged"
    return f"no set was published in {link} yet"


def _fsync(path: Path) -> None:
    """Flush a file or a folder (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
