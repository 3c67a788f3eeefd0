import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dagster as dg
import pytest
import yaml

from phenodag.definitions import build_definitions
from phenodag.defs.embed import EMBED_JOB
from phenodag.defs.shared.placement import (
    DASK_RESOURCES_TAG,
    K8S_CONFIG_TAG,
    TORCH_POD_RESOURCES,
    TORCH_POOL,
    executor_for,
    is_gpu,
    torch_step_tags,
)
from phenodag.defs.shared.settings import DagsterSettings


def _ops(defs: dg.Definitions) -> dict[str, dg.OpDefinition]:
    return {
        a.node_def.name: a.node_def
        for a in defs.get_repository_def().assets_defs_by_key.values()
        if isinstance(a.node_def, dg.OpDefinition)
    }


def test_every_step_that_takes_torch_is_in_the_torch_pool_and_no_other(settings: DagsterSettings) -> None:
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


def test_torch_device_reaches_the_ops_tags_and_the_resource(settings: DagsterSettings) -> None:
    from dataclasses import replace

    defs = build_definitions(replace(settings, torch_device="cuda"))
    assert json.loads(_ops(defs)["embeddings"].tags[DASK_RESOURCES_TAG]) == {"GPU": 1}
    assert defs.resources["torch"].device == "cuda"  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "expected"), [("multiprocess", "multiprocess"), ("in_process", "in_process")])
def test_executor_by_setting(settings: DagsterSettings, name: str, expected: str) -> None:
    from dataclasses import replace

    assert executor_for(replace(settings, executor=name)).name == expected


def test_dask_executor_is_the_jobs_executor(settings: DagsterSettings) -> None:
    pytest.importorskip("dagster_dask", reason="dagster-dask is not installed")
    from dataclasses import replace

    defs = build_definitions(replace(settings, executor="dask", dask_scheduler="tcp://127.0.0.1:8786"))
    job = defs.resolve_job_def(EMBED_JOB)
    assert job.executor_def.name == "dask"  # the scheduler address it is configured with: tests/e2e/test_dask.py


DEPLOY_DOC = Path(__file__).resolve().parents[3] / "docs" / "deploy.md"


def _doc_yaml(tag: str) -> dict[str, Any]:
    """The YAML block after ``<!-- deploy:<tag> -->`` in docs/deploy.md."""
    after = DEPLOY_DOC.read_text().split(f"<!-- deploy:{tag} -->", 1)[1]
    return dict(yaml.safe_load(after.split("```yaml\n", 1)[1].split("```", 1)[0]))


def test_the_pod_of_each_step_is_what_the_deploy_doc_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("dagster_k8s", reason="dagster-k8s (the k8s extra) is not installed")
    from dagster_k8s.container_context import K8sContainerContext
    from dagster_k8s.job import construct_dagster_k8s_job, get_user_defined_k8s_config

    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path))
    for var, value in _doc_yaml("phenodag-env")["data"].items():
        monkeypatch.setenv(var, str(value))
    defs = build_definitions(DagsterSettings.from_env())
    assert defs.resolve_job_def(EMBED_JOB).executor_def.name == "k8s"
    executor = _doc_yaml("executor")
    base = K8sContainerContext(
        env_config_maps=executor["env_config_maps"],
        env_secrets=executor["env_secrets"],
        namespace=executor["job_namespace"],
    )
    launcher = SimpleNamespace(  # what the chart's K8sRunLauncher contributes to a step Job
        job_image=None,
        dagster_home="/opt/dagster/dagster_home",
        instance_config_map="dagster-instance",
        postgres_password_secret="dagster-postgresql-secret",
    )
    gpu_steps = set()
    for name, op in _ops(defs).items():
        context = base.merge(K8sContainerContext(run_k8s_config=get_user_defined_k8s_config(op.tags)))
        job = construct_dagster_k8s_job(
            context.get_k8s_job_config(executor["job_image"], launcher),
            ["dagster", "api", "execute_step"],
            f"dagster-step-{name.replace('_', '-')}",
            user_defined_k8s_config=context.run_k8s_config,
            component="step_worker",
        )
        (container,) = job.spec.template.spec.containers
        assert container.image == "registry.lab/phenodag:0.1.0"
        sources = {(s.config_map_ref or s.secret_ref).name for s in container.env_from}
        assert sources == {"phenodag-env", "phenodag-s3"}, name  # settings and credentials, never in the image
        limits = (container.resources.limits or {}) if container.resources else {}
        if limits.get("nvidia.com/gpu") == "1":
            gpu_steps.add(name)
            assert container.resources.requests == TORCH_POD_RESOURCES["requests"]
    assert gpu_steps == {name for name, op in _ops(defs).items() if op.pool == TORCH_POOL}
    assert {"convae_model", "embeddings", "group_cv", "lens"} <= gpu_steps
