import json

import dagster as dg
import pytest

from phenodag.core.shared.settings import Settings
from phenodag.definitions import build_definitions
from phenodag.defs.shared.placement import (
    DASK_RESOURCES_TAG,
    K8S_CONFIG_TAG,
    TORCH_POOL,
    executor_for,
    is_gpu,
    torch_step_tags,
)


def _ops(defs: dg.Definitions) -> dict[str, dg.OpDefinition]:
    return {
        a.node_def.name: a.node_def
        for a in defs.get_repository_def().assets_defs_by_key.values()
        if isinstance(a.node_def, dg.OpDefinition)
    }


def test_every_step_that_takes_torch_is_in_the_torch_pool_and_no_other(settings: Settings) -> None:
    ops = _ops(build_definitions(settings))
    pooled = {name for name, op in ops.items() if op.pool == TORCH_POOL}
    needs_torch = {name for name, op in ops.items() if "torch" in op.required_resource_keys}
    assert pooled == needs_torch
    assert {"convae_model", "embeddings", "group_cv", "lens_classifier"} <= pooled
    assert "ingest_plate" not in pooled and "temporal_trajectories" not in pooled


def test_cuda_asks_dask_and_kubernetes_for_a_gpu_cpu_does_not() -> None:
    cpu, gpu = torch_step_tags("cpu"), torch_step_tags("cuda:1")
    assert DASK_RESOURCES_TAG not in cpu
    assert "nvidia.com/gpu" not in json.loads(cpu[K8S_CONFIG_TAG])["container_config"]["resources"]["limits"]
    assert json.loads(gpu[DASK_RESOURCES_TAG]) == {"GPU": 1}
    assert json.loads(gpu[K8S_CONFIG_TAG])["container_config"]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert is_gpu("cuda") and not is_gpu("cpu") and not is_gpu("cudax")


def test_torch_device_reaches_the_ops_tags_and_the_resource(settings: Settings) -> None:
    from dataclasses import replace

    defs = build_definitions(replace(settings, torch_device="cuda"))
    assert json.loads(_ops(defs)["embeddings"].tags[DASK_RESOURCES_TAG]) == {"GPU": 1}
    assert defs.resources["torch"].device == "cuda"  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "expected"), [("multiprocess", "multiprocess"), ("in_process", "in_process")])
def test_executor_by_setting(settings: Settings, name: str, expected: str) -> None:
    from dataclasses import replace

    assert executor_for(replace(settings, executor=name)).name == expected


def test_dask_executor_is_the_jobs_executor(settings: Settings) -> None:
    pytest.importorskip("dagster_dask", reason="dagster-dask is not installed")
    from dataclasses import replace

    defs = build_definitions(replace(settings, executor="dask", dask_scheduler="tcp://127.0.0.1:8786"))
    job = defs.resolve_job_def("embed_job")
    assert job.executor_def.name == "dask"  # the scheduler address it is configured with: tests/e2e/test_dask.py
