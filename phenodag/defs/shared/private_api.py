"""The one module that reaches past Dagster's public API; each use has its own test.

1. :func:`with_op_properties` rebuilds an asset around a changed op
   (``OpDefinition.dagster_internal_init``, ``AssetsDefinition.dagster_internal_init``):
   Dagster has no public way to change an existing op's config defaults, tags or pool
   after its decorator ran, and ``stage_config`` (per-home config defaults) and
   ``placement`` (where torch steps run) both need it.
2. :class:`PlanOrchestrationContext` and :class:`ExecutionPlan` type the ``execute``
   method of the Dask executor that ``dask_compat`` overrides (an ``Executor`` subclass's
   signature; Dagster exports neither class).

``phenodag_tests/defs/shared/test_private_api.py`` pins each use against the pinned
Dagster release, so an upgrade that moves one fails there, by name.
"""

from typing import Any

import dagster as dg
from dagster._core.execution.context.system import PlanOrchestrationContext
from dagster._core.execution.plan.plan import ExecutionPlan

__all__ = ["ExecutionPlan", "PlanOrchestrationContext", "with_op_properties"]


def with_op_properties(asset: dg.AssetsDefinition, **changes: Any) -> dg.AssetsDefinition:
    """Return ``asset`` with its op rebuilt with ``changes`` (``config_schema``, ``tags``, ``pool``).

    Parameters
    ----------
    asset
        An asset whose node is one op.
    changes
        Keyword arguments of ``OpDefinition``'s constructor that replace the op's own.
    """
    op = asset.op
    props: dict[str, Any] = {
        "name": op.name,
        "ins": {d.name: dg.In.from_definition(d) for d in op.input_defs},
        "outs": {d.name: dg.Out.from_definition(d) for d in op.output_defs},
        "compute_fn": op.compute_fn,
        "config_schema": op.config_schema,
        "description": op.description,
        "tags": op.tags,
        "required_resource_keys": op.required_resource_keys,
        "code_version": op.version,
        "retry_policy": op.retry_policy,
        "version": None,
        "pool": op.pool,
    }
    new_op = dg.OpDefinition.dagster_internal_init(**{**props, **changes})
    return dg.AssetsDefinition.dagster_internal_init(**{**asset.get_attributes_dict(), "node_def": new_op})
