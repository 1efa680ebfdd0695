"""Benchmark: the commands as a person uses them, on the demo data, each a real subprocess.

    .venv/bin/python benchmarks/commands.py [--skip-cold] [--skip-serve]

Measures in one run and prints with met / not met:
  (a) python-calamine reading every demo workbook (every sheet) and nothing else: the floor;
  (b) a warm `khuyencong run --period 2013` (second run, nothing new to read) against a running Prefect
      server: target <= 10x (a);
  (c) a cold `khuyencong run --period 2012` in a new folder (new Prefect home, no server) while two
      CPU-bound processes keep both cores busy: target: it completes;
  (d) `khuyencong serve` in a new folder: seconds to a healthy server, to deployments registered (target
      <= 15 s after the healthy server), a dropped file's receipt after the file stopped changing
      (target <= 10 s), and the stop after SIGTERM (target <= 10 s, no process left).
Timings are wall-clock on whatever else the machine is doing: run it on a quiet machine for the README.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from python_calamine import CalamineWorkbook

BIN = Path(sys.executable).parent
KHUYENCONG = str(BIN / "khuyencong")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}


def floor(inputs: Path) -> float:
    files = sorted(p for p in inputs.rglob("*") if p.is_file())
    start = time.perf_counter()
    for path in files:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
    return time.perf_counter() - start


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start


@contextmanager
def busy_cores(n: int = 2):
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_folder(root: Path) -> Path:
    root.mkdir(parents=True)
    subprocess.run([KHUYENCONG, "demo", "--inputs", str(root / "inputs")], check=True, capture_output=True)
    return root


def warm_run(root: Path) -> tuple[float, float]:
    """(first run, warm run) of `run --period 2013` against a Prefect server started for it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from pipeline import ops

    env = clean_env()
    env["PREFECT_HOME"] = str(root / ".prefect")
    os.environ.update(PREFECT_HOME=env["PREFECT_HOME"])
    with ops.local_server(free_port()) as url:
        env["PREFECT_API_URL"] = url
        first = timed([KHUYENCONG, "run", "--period", "2013"], root, env)
        warm = min(timed([KHUYENCONG, "run", "--period", "2013"], root, env) for _ in range(2))
    return first, warm


def serve_figures(root: Path) -> dict[str, float]:
    """Times of `khuyencong serve` in a new folder: server healthy, deployments ready, receipt, stop."""
    (root / "inputs").mkdir(parents=True)
    sample = root / "sample.xlsx"
    subprocess.run(
        [KHUYENCONG, "template", "--unit", "Bù Đăng", "--period", "2012-03", "--out", str(sample)],
        check=True,
        capture_output=True,
    )
    lines: list[tuple[float, str]] = []
    start = time.perf_counter()
    serve = subprocess.Popen(
        [KHUYENCONG, "serve", "--port", str(free_port())],
        cwd=root,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    threading.Thread(
        target=lambda: [lines.append((time.perf_counter(), line)) for line in serve.stdout], daemon=True
    ).start()

    def at(prefix: str) -> float:
        while True:
            for t, line in lines:
                if line.startswith(prefix):
                    return t - start
            if serve.poll() is not None:
                raise SystemExit("serve ended:\n" + "".join(line for _, line in lines))
            time.sleep(0.05)

    healthy, ready = at("Prefect API:"), at("Ready:")
    time.sleep(3)  # the loop is idle
    shutil.copyfile(sample, root / "inputs" / "drop.xlsx")  # the copy ends now
    dropped = time.perf_counter()
    receipt = root / "outputs" / "receipts" / "drop.xlsx.txt"
    while not receipt.exists():
        time.sleep(0.05)
    latency = time.perf_counter() - dropped
    time.sleep(2)
    stop = time.perf_counter()
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=120)
    stopped = time.perf_counter() - stop
    return {"healthy": healthy, "ready": ready, "receipt": latency, "stop": stopped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-serve", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm_root = demo_folder(tmp / "warm")
        a = min(floor(warm_root / "inputs") for _ in range(3))
        n = sum(1 for p in (warm_root / "inputs").rglob("*") if p.is_file())
        print(f"(a) calamine reads {n} demo workbooks: {a:.2f} s", flush=True)
        first, warm = warm_run(warm_root)
        print(
            f"(b) run --period 2013 with a running server: first {first:.1f} s, warm {warm:.1f} s = "
            f"{warm / a:.1f}x (a); target <= 10x: {verdict(warm <= 10 * a)}",
            flush=True,
        )
        if not args.skip_cold:
            cold_root = demo_folder(tmp / "cold")
            with busy_cores(2):
                cold = timed([KHUYENCONG, "run", "--period", "2012"], cold_root, clean_env())
            print(
                f"(c) cold run --period 2012 in a new folder, both cores busy: completed in {cold:.0f} s; "
                "target: completes: met",
                flush=True,
            )
        if not args.skip_serve:
            s = serve_figures(tmp / "serve")
            print(
                f"(d) serve in a new folder: server healthy after {s['healthy']:.1f} s, deployments ready "
                f"{s['ready'] - s['healthy']:.1f} s later (target <= 15 s: "
                f"{verdict(s['ready'] - s['healthy'] <= 15)}); receipt {s['receipt']:.1f} s after the drop "
                f"(target <= 10 s: {verdict(s['receipt'] <= 10)}); stopped {s['stop']:.1f} s after SIGTERM "
                f"(target <= 10 s: {verdict(s['stop'] <= 10)})",
                flush=True,
            )


if __name__ == "__main__":
    main()
