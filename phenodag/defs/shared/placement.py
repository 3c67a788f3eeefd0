"""Where each step runs: one executor by settings, and the torch steps' pool and cluster resources.

**Executor** (``PHENODAG_EXECUTOR``): ``in_process`` (the default: every step in the
run's process), ``multiprocess`` (Dagster's default, one process per step), ``dask``
(``dagster-dask``'s executor on the scheduler at ``PHENODAG_DASK_SCHEDULER``, whose
workers import this code location with the same environment) or ``k8s``
(``dagster-k8s``'s ``k8s_job_executor``: one Kubernetes Job per step, configured by the
Helm chart's run launcher; ``docs/deploy.md``). Parallelism across plates comes from
runs (a backfill is one run per partition, started as the run queue allows); the
executor spreads one run's steps.

**Torch steps** are the assets that take the ``torch`` resource. They share the
Dagster pool :data:`TORCH_POOL`, whose limit the home's ``dagster.yaml`` sets to one
(:data:`phenodag.runner.INSTANCE_CONFIG`): on one machine two torch steps never run at
once, across runs too; on a cluster, raise it to the number of GPUs
(``dagster instance concurrency set torch N``). When ``PHENODAG_TORCH_DEVICE`` is a
CUDA device they also ask the cluster for a GPU: the Dask resource ``GPU: 1`` (start
GPU workers with ``--resources GPU=1``) and a ``nvidia.com/gpu`` limit in their
``dagster-k8s/config`` pod spec (``k8s_job_executor``; see ``docs/deploy.md``).
"""

import importlib
import json
from typing import Any

import dagster as dg

from phenodag.defs.shared.private_api import with_op_properties
from phenodag.defs.shared.settings import DagsterSettings

TORCH_POOL = "torch"
TORCH_RESOURCE = "torch"
DASK_RESOURCES_TAG = "dagster-dask/resource_requirements"
K8S_CONFIG_TAG = "dagster-k8s/config"
TORCH_POD_RESOURCES: dict[str, dict[str, str]] = {
    "requests": {"cpu": "2", "memory": "4Gi"},
    "limits": {"memory": "8Gi"},
}
"""Pod resources of a torch step: peak RSS of embedding 8,512 images was 1.5 GB and of temporal 2.2 GB
(``benchmarks/scaling.py``); training holds one batch of crops more. GPU steps add ``nvidia.com/gpu: 1``."""


def is_gpu(device: str) -> bool:
    """Tell whether a torch device string names a CUDA device (``cuda``, ``cuda:1``)."""
    return device.split(":")[0] == "cuda"


def torch_step_tags(device: str) -> dict[str, str]:
    """Op tags of a torch step for ``device``: pod resources always, a GPU request on CUDA.

    Returns
    -------
    dict
        ``dagster-k8s/config`` (JSON: container resources) and, for CUDA,
        ``dagster-dask/resource_requirements`` (JSON: ``{"GPU": 1}``).
    """
    resources: dict[str, Any] = {k: dict(v) for k, v in TORCH_POD_RESOURCES.items()}
    tags = {}
    if is_gpu(device):
        resources["limits"]["nvidia.com/gpu"] = "1"
        tags[DASK_RESOURCES_TAG] = json.dumps({"GPU": 1})
    tags[K8S_CONFIG_TAG] = json.dumps({"container_config": {"resources": resources}})
    return tags


def place_torch_steps(assets: list[dg.AssetsDefinition], device: str) -> list[dg.AssetsDefinition]:
    """Return ``assets`` with each op that takes the ``torch`` resource in :data:`TORCH_POOL`, tagged for ``device``."""
    tags = torch_step_tags(device)
    return [
        with_op_properties(a, pool=TORCH_POOL, tags={**a.op.tags, **tags})
        if isinstance(a.node_def, dg.OpDefinition) and TORCH_RESOURCE in a.required_resource_keys
        else a
        for a in assets
    ]


INTEGRATIONS: dict[str, tuple[str, str, str]] = {
    "dask": ("phenodag.defs.shared.dask_compat", "dask_executor", "dagster-dask"),
    "k8s": ("dagster_k8s", "k8s_job_executor", "dagster-k8s"),
}
"""Executor name → (module, attribute, the integration library it needs)."""


def executor_for(settings: DagsterSettings) -> dg.ExecutorDefinition:
    """The executor ``settings.executor`` names, configured (the Dask scheduler's address).

    Raises
    ------
    ImportError
        For ``dask`` or ``k8s`` when its integration library is not installed, saying what to install.
    """
    if settings.executor == "in_process":
        return dg.in_process_executor
    if settings.executor not in INTEGRATIONS:
        return dg.multiprocess_executor
    module, attribute, library = INTEGRATIONS[settings.executor]
    try:
        executor: dg.ExecutorDefinition = getattr(importlib.import_module(module), attribute)
    except ImportError as exc:
        raise ImportError(
            f"PHENODAG_EXECUTOR={settings.executor} needs {library}, released in pairs with dagster: install it "
            f"from requirements.lock, which pins it (for dagster-k8s, the extra phenodag[k8s])"
        ) from exc
    if settings.executor == "dask":
        return executor.configured({"address": settings.dask_scheduler})
    return executor  # k8s: configured by the Helm chart's run launcher (docs/deploy.md)
