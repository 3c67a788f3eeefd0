"""Rebuild an asset around a changed op: the one place phenodag reaches past Dagster's public API.

Dagster has no public way to change an existing op's config defaults, tags or pool
after its decorator ran; ``stage_config`` (per-home config defaults) and ``placement``
(where torch steps run) both need it. The pinned Dagster version is covered by their
tests.
"""

from typing import Any

import dagster as dg


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
