"""Per-home defaults of the stages' run config (``stage_config.yaml``).

Declarative automation launches runs without run config, so an automated run uses
each op's config defaults. A home can change those defaults without touching code:
``$PHENODAG_HOME/stage_config.yaml`` (or the file ``PHENODAG_STAGE_CONFIG`` names) is
written like the launchpad's run config, and its ``ops:`` values replace the code's
defaults of those fields::

    ops:
      group_cv:
        config: {features: "embeddings:convae", epochs: 2}
      lens_classifier:
        config: {classifier_epochs: 50}

The new defaults hold everywhere the op runs: automated runs, jobs, the CLI's runs and
the launchpad's scaffold; a run's own config still wins. Unknown ops or fields, and
values of the wrong type, fail the code location's load with the file's name.

Dagster has no public hook for an op's config defaults, so this rebuilds the op with
a new schema (:func:`~phenodag.defs.shared.private_api.with_op_properties`) and the asset around
it; the pinned Dagster version is tested in ``phenodag_tests/defs/shared/test_stage_config.py``.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from phenodag.defs.shared.private_api import with_op_properties


def read_stage_config(path: Path | None) -> dict[str, dict[str, Any]]:
    """Return ``{op name: {field: default}}`` from a run-config YAML; empty when ``path`` is None or absent.

    Raises
    ------
    ValueError
        Naming the file when it is not ``ops: {<op>: {config: {...}}}``.
    """
    if path is None or not path.exists():
        return {}
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not YAML ({exc})") from exc
    ops = doc.get("ops", {}) if isinstance(doc, dict) else None
    if not isinstance(ops, dict) or set(doc) - {"ops"}:
        raise ValueError(f"{path}: expected only `ops: {{<op>: {{config: {{...}}}}}}`")
    out: dict[str, dict[str, Any]] = {}
    for op, body in ops.items():
        config = body.get("config") if isinstance(body, dict) else None
        if not isinstance(config, dict) or set(body) - {"config"}:
            raise ValueError(f"{path}: ops.{op} must hold only `config: {{field: value}}`")
        out[str(op)] = config
    return out


def with_config_defaults(
    assets: list[dg.AssetsDefinition], defaults: Mapping[str, Mapping[str, Any]], source: str
) -> list[dg.AssetsDefinition]:
    """Return ``assets`` whose ops named in ``defaults`` have those config defaults.

    Raises
    ------
    ValueError
        Naming ``source`` and the op or field that does not exist or the value that does not fit.
    """
    ops = {a.node_def.name for a in assets if isinstance(a.node_def, dg.OpDefinition)}
    unknown = sorted(set(defaults) - ops)
    if unknown:
        raise ValueError(f"{source}: no op named {', '.join(unknown)}; ops: {', '.join(sorted(ops))}")
    return [
        _with_defaults(a, defaults[a.node_def.name], f"{source}: ops.{a.node_def.name}")
        if isinstance(a.node_def, dg.OpDefinition) and a.node_def.name in defaults
        else a
        for a in assets
    ]


def _with_defaults(asset: dg.AssetsDefinition, values: Mapping[str, Any], where: str) -> dg.AssetsDefinition:
    """One asset whose op's top-level config fields default to ``values``."""
    op = asset.op
    schema = op.config_schema.as_field() if op.config_schema else None
    shape = schema.config_type if schema else None
    if schema is None or not isinstance(shape, dg.Shape):
        raise ValueError(f"{where}: the op takes no config")
    fields = dict(shape.fields)
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{where}: no field {', '.join(unknown)}; fields: {', '.join(sorted(fields))}")
    for name, value in values.items():
        old = fields[name]
        try:
            fields[name] = dg.Field(old.config_type, default_value=value, description=old.description)
        except (dg.DagsterInvalidConfigError, dg.DagsterInvalidDefinitionError) as exc:
            raise ValueError(f"{where}.config.{name}={value!r}: {exc}") from exc
    new_schema = dg.Field(dg.Shape(fields, description=shape.description), description=schema.description)
    return with_op_properties(asset, config_schema=new_schema)
