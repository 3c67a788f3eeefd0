import pickle

import pytest

pytest.importorskip("dagster_dask", reason="dagster-dask is not installed")

import dagster as dg
from dagster._core.storage.dagster_run import RunOpConcurrency
from dask._task_spec import parse_input

from phenodag.defs.embed import EMBED_JOB
from phenodag.defs.shared.dask_compat import Sealed


def test_dask_walks_a_pooled_run_in_task_arguments_but_not_a_sealed_one() -> None:
    run = dg.DagsterRun(
        job_name=EMBED_JOB,
        run_id="r1",
        run_config={},
        run_op_concurrency=RunOpConcurrency(root_key_counts={"torch": 1}, has_unconstrained_root_nodes=False),
    )
    with pytest.raises(Exception, match="Iteration is not allowed"):
        parse_input(([], run))  # dagster-dask's own way of passing a step's arguments
    sealed = Sealed(run, ["step"])
    assert parse_input(([], sealed)) == ([], sealed)
    assert pickle.loads(pickle.dumps(sealed)).args == (run, ["step"])  # what the worker receives
