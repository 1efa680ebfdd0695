"""The report stage of one period in processes of their own, for tests that kill it at a chosen step.

    python tests/stage_driver.py LEDGER REPORTS PERIOD CONFIG

Imports everything once, then for each line read from standard input - a step number n, 0 for none - forks a
process that runs the report stage as the flow's report task does: aggregate PERIOD from the LEDGER and publish
its set under REPORTS (pipeline.reports.publish_reports), with the configuration folder CONFIG. A step is an
operation that changes what is on disk under a name: a rename or replace (a file written into place, a staging
folder sealed, the link switched), a new link, a removal. The process prints "run <pid>", then either stops just
before its n-th step, prints "paused <n> <operation> <path>" and waits there (for the test to kill it), or
completes and prints "done <steps>". When it has ended, this process prints "ended <exit code>" (-9: killed).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import traceback
from pathlib import Path

from pipeline import ledger
from pipeline.aggregating import aggregate
from pipeline.completeness import load_rules
from pipeline.export import period_problems, provenance
from pipeline.periods import parse_period
from pipeline.programme import load_programmes, programme_for_year
from pipeline.recipients import load_recipients
from pipeline.reports import publish_reports
from pipeline.units import load_units

pause_at = steps = 0


def _step(name: str, operation):
    def wrapped(path, *args, **kwargs):
        global steps
        if name != "unlink" or os.path.lexists(path):  # removing what is not there changes nothing
            steps += 1
            if steps == pause_at:
                print(f"paused {steps} {name} {path}", flush=True)
                while True:
                    time.sleep(60)
        return operation(path, *args, **kwargs)

    return wrapped


for _name in ("replace", "rename", "symlink", "unlink"):
    setattr(os, _name, _step(_name, getattr(os, _name)))
shutil.rmtree = _step("rmtree", shutil.rmtree)


def stage(ledger_path: Path, reports: Path, period_code: str, config: Path) -> None:
    period = parse_period(period_code)
    with ledger.open_ledger(ledger_path) as conn:
        subs, vals = ledger.submissions_frame(conn), ledger.values_frame(conn)
        rejected, probs = ledger.problems_frame(conn, rejected_only=True), ledger.problems_frame(conn)
    programme = programme_for_year(load_programmes(config), period.last[0])
    report = aggregate(subs, vals, programme, load_units(config), period, load_rules(config), problems=rejected)
    values = provenance(subs, vals, programme, period, report.cumulative_period)
    publish_reports(
        report,
        load_recipients(config),
        reports,
        None,
        values,
        period_problems(subs, probs, report),
        run_id=f"driver-{os.getpid()}",
    )


def main() -> None:
    global pause_at
    ledger_path, reports, period_code, config = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    for line in sys.stdin:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            pause_at = int(line)
            print(f"run {os.getpid()}", flush=True)
            try:
                stage(ledger_path, reports, period_code, config)
                print(f"done {steps}", flush=True)
                os._exit(0)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        print(f"ended {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
