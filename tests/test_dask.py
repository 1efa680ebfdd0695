"""The same inputs through the local runner and through a local Dask cluster of worker processes
(prefect-dask) give byte-identical aggregates."""

from __future__ import annotations

import pytest

import flows
from pipeline import demo, ledger
from pipeline.aggregating import aggregate
from pipeline.export import figures
from pipeline.paths import packaged_config
from pipeline.periods import year


@pytest.fixture(scope="module")
def demo_inputs(tmp_path_factory):
    from pipeline.programme import load_programmes
    from pipeline.units import load_units

    folder = tmp_path_factory.mktemp("dask") / "inputs"
    demo.generate(folder, load_programmes(packaged_config())[0], load_units(packaged_config()), years=(2012,))
    return folder


def _aggregate(db, programme, units) -> bytes:
    with ledger.open_ledger(db) as conn:
        subs, vals, probs = ledger.submissions_frame(conn), ledger.values_frame(conn), ledger.problems_frame(conn)
    report = aggregate(subs, vals, programme, units, year(2012), problems=probs)
    return figures(report).to_csv(index=False).encode()


def test_local_and_dask_runners_agree(harness, demo_inputs, tmp_path, programme, units) -> None:
    from dask.distributed import LocalCluster
    from prefect_dask import DaskTaskRunner

    local = flows.ingest_inputs(str(demo_inputs), str(tmp_path / "out-local"), str(tmp_path / "local.sqlite"))
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        on_dask = flows.ingest_inputs.with_options(task_runner=DaskTaskRunner(address=cluster.scheduler_address))
        remote = on_dask(str(demo_inputs), str(tmp_path / "out-dask"), str(tmp_path / "dask.sqlite"))
    assert local == remote and local.new > 100
    assert _aggregate(tmp_path / "local.sqlite", programme, units) == _aggregate(
        tmp_path / "dask.sqlite", programme, units
    )


def test_unknown_task_runner_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown task runner"):
        flows.with_task_runner(flows.annual_report, "spark")
    assert flows.with_task_runner(flows.annual_report, "local") is flows.annual_report
