"""Declarative automation: which assets follow a new plate on their own, and when.

A plate lands through the inbox sensor (``ingest_plate``). What follows is declared
here, once, from :class:`~phenodag.core.shared.settings.Settings`:

* **eager, per plate** — the SQL models and the ``embeddings`` / ``well_embeddings``
  partitions of the encoders in ``DagsterSettings.auto_encoders`` run as soon as their plate's
  rows land (Dagster's ``eager()``). A plate that never landed (rejected) does not hold
  the SQL models back, and the ConvAE model is not waited for: a new plate is embedded
  with the current champion; a newly trained model re-embeds old plates only when asked
  (a backfill of ``embed_job``).
* **batched, cross-plate** — temporal clustering, encoder comparison, group
  classification, the lens and the screen report read every plate, so they run at most once per tick of
  ``DagsterSettings.batch_cron`` (hourly by default), and only when something upstream changed
  since their last run and nothing upstream is still running. A batch of plates dropped
  within the hour gives one run per stage, not one per plate.

``DagsterSettings.automate`` picks the stages (all of ``AUTOMATED_STAGES`` by default).
Automated runs use each stage's default run config. An encoder whose weights do not
exist yet (``convae`` before its first champion) waits: its partitions are filtered out
by ``weights_exist`` and filled once the weights appear (a partition that was never
handled stays due). ``convae_model`` (training) follows the training policy's sensor
(:func:`phenodag.defs.embed.build_training_sensor`), not a condition. The conditions
are evaluated by one automation sensor that starts RUNNING and runs in the code server
(the encoder filter is Python of ours).
"""

from collections.abc import Mapping

import dagster as dg

from phenodag.defs.shared.settings import DagsterSettings

SENSOR = "phenodag_automation"
PREREQUISITES = dg.AssetSelection.assets(
    "convae_model",
    "lens_classifier",
    "image_groups",
    "group_cv_metrics",
    "temporal_trajectories",
    "temporal_clusters",
)
"""Cross-plate inputs a stage cannot run without (the response calls read their encoder's temporal clusters);
other missing inputs (a rejected plate's rows, an encoder that is not automated, a table a stage reads when it
exists) do not hold a batch back."""
MODEL = dg.AssetSelection.assets("convae_model")
PER_PLATE = dg.AssetSelection.assets("raw_images", "embeddings", "well_embeddings")
"""What follows each plate at once: a batch waits until none of it is about to run."""
EMBEDDINGS = dg.AssetKey("well_embeddings")
EMBEDDINGS_EXIST = (
    dg.AutomationCondition.any_deps_match(~dg.AutomationCondition.missing())
    .allow(dg.AssetSelection.assets(EMBEDDINGS))
    .with_label("some well_embeddings of its encoder exist")
)
"""A batched asset that reads its encoder's ``well_embeddings`` waits until at least one plate of that encoder
was embedded: a plate whose embedding is requested but not launched yet is neither running nor requested in
this tick, and the batch would otherwise start and fail on a missing table."""

BY_HAND = frozenset({"convae_model", "profile_export"})
"""Assets of an automated stage's group that automation leaves alone: training follows the training policy's
sensor, exports are asked for. Every other asset of the group (the stage's name) is automated with its stage."""
ENCODER_PARTITIONED = ("embed", "temporal", "compare")
"""Stages whose partitions carry an encoder: automation fills only ``DagsterSettings.auto_encoders``."""


class EncoderIn(dg.AutomationCondition):
    """True for the partitions whose encoder (the key, or its ``encoder`` dimension) is one of ``encoders``.

    Unpartitioned targets (``encoder_comparison``) are always true.
    """

    def __init__(self, encoders: tuple[str, ...]) -> None:
        self.encoders = frozenset(encoders)

    @property
    def name(self) -> str:
        """The label the UI shows for this condition."""
        return f"encoder_in({', '.join(sorted(self.encoders))})"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        """Keep the candidate partitions of the configured encoders."""
        candidates = context.candidate_subset
        if not candidates.is_partitioned:
            return dg.AutomationResult(context, true_subset=candidates)
        keep = {key for key in candidates.expensively_compute_partition_keys() if _encoder(key) in self.encoders}
        return dg.AutomationResult(context, true_subset=candidates.compute_intersection_with_partition_keys(keep))


class WeightsExist(dg.AutomationCondition):
    """True for the partitions whose encoder's weights exist in this home; the others wait, named in the UI.

    ``convae`` waits for a ``champion`` in the home's registry (trained by the training
    policy, :func:`phenodag.defs.embed.build_training_sensor`, or by hand);
    ``convae-phenoml`` and the torchvision encoders for their files. An automated run
    is therefore never launched only to fail for want of a model.
    """

    def __init__(self, settings: DagsterSettings, encoders: tuple[str, ...]) -> None:
        self.settings = settings
        self.encoders = tuple(sorted(encoders))

    @property
    def name(self) -> str:
        """The label the UI shows for this condition."""
        return "weights_exist (else the encoder waits: see the embeddings asset's description)"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        """Keep the candidate partitions whose encoder can embed now."""
        from phenodag.core.embed.run import encoder_readiness

        candidates = context.candidate_subset
        if not candidates.is_partitioned or candidates.is_empty:
            return dg.AutomationResult(context, true_subset=candidates)
        waiting = {name: why for name, why in encoder_readiness(self.encoders, self.settings).items() if why}
        keep = {key for key in candidates.expensively_compute_partition_keys() if _encoder(key) not in waiting}
        return dg.AutomationResult(context, true_subset=candidates.compute_intersection_with_partition_keys(keep))


class RequestedThisTick(dg.AutomationCondition):
    """True for the partitions requested in this evaluation, whatever run they go into.

    Dagster's ``will_be_requested`` only counts what can run in the same run as the
    asset asking; a cross-plate stage must also wait for per-plate partitions (another
    partitioning) that are about to run.
    """

    @property
    def name(self) -> str:
        """The label the UI shows for this condition."""
        return "requested_this_tick"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        """The candidates among this tick's requests of the asset."""
        requested = context.request_subsets_by_key.get(context.key)
        if requested is None:
            return dg.AutomationResult(context, true_subset=context.get_empty_subset())
        return dg.AutomationResult(context, true_subset=context.candidate_subset.compute_intersection(requested))


def _encoder(partition_key: str) -> str:
    """The encoder of an ``encoder`` or ``encoder|plate`` partition key (multi-keys are joined by ``|``)."""
    return partition_key.split("|", 1)[0]


def per_plate(sql: bool = False) -> dg.AutomationCondition:
    """Eager, without waiting for the ConvAE model; the SQL models also do not wait for plates that never landed.

    An ``embeddings`` partition waits for its plate's ``raw_images`` (and ``well_embeddings``
    for its ``embeddings``); a SQL model reads every plate, so a rejected plate, whose
    ``raw_images`` partition stays missing, must not hold it back.
    """
    condition = dg.AutomationCondition.eager()
    if sql:
        condition = condition.without(~dg.AutomationCondition.any_deps_missing())
    return condition.ignore(MODEL).with_label("eager (per plate)")


def batched(cron: str) -> dg.AutomationCondition:
    """At most once per ``cron`` tick, after an upstream change, once nothing upstream runs or is about to.

    Plate-level inputs that stay missing (a rejected plate, an encoder that is not
    automated) do not hold a batch back; the unpartitioned prerequisites do.
    """
    tick: dg.AutomationCondition = dg.AutomationCondition.cron_tick_passed(cron)  # asset-scoped; widened for typing
    return (
        tick.since_last_handled()
        & dg.AutomationCondition.any_deps_updated().since_last_handled()
        & ~dg.AutomationCondition.any_deps_missing().allow(PREREQUISITES)
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.any_deps_match(RequestedThisTick()).allow(PER_PLATE)
        & ~dg.AutomationCondition.in_progress()
    ).with_label(f"batched ({cron})")


def conditions(settings: DagsterSettings, stage_of: Mapping[str, str]) -> dict[str, dg.AutomationCondition]:
    """The automation condition of each automated asset, by asset name, from ``settings``.

    ``stage_of`` maps each asset to its stage (its asset group); an asset is automated
    when its stage is in ``settings.automate`` and it is not done by hand (:data:`BY_HAND`).
    """
    by_stage: dict[str, dg.AutomationCondition] = {}
    for stage in settings.automate:
        condition = per_plate(stage == "sql") if stage in ("sql", "embed") else batched(settings.batch_cron)
        if stage in ENCODER_PARTITIONED:
            condition = EncoderIn(settings.auto_encoders) & condition & WeightsExist(settings, settings.auto_encoders)
        by_stage[stage] = condition
    return {name: by_stage[stage] for name, stage in stage_of.items() if stage in by_stage and name not in BY_HAND}


def automate(assets: list[dg.AssetsDefinition], settings: DagsterSettings) -> list[dg.AssetsDefinition]:
    """Return ``assets`` with the conditions of :func:`conditions` set on their specs (stage = asset group)."""
    stage_of = {k.to_user_string(): group for a in assets for k, group in a.group_names_by_key.items()}
    by_asset = conditions(settings, stage_of)

    def attach(spec: dg.AssetSpec) -> dg.AssetSpec:
        condition = by_asset.get(spec.key.to_user_string())
        if condition is not None and spec.key != EMBEDDINGS and any(d.asset_key == EMBEDDINGS for d in spec.deps):
            condition = condition & EMBEDDINGS_EXIST
        return spec.replace_attributes(automation_condition=condition) if condition else spec

    return [a.map_asset_specs(attach) for a in assets]


def automation_sensor(settings: DagsterSettings) -> dg.AutomationConditionSensorDefinition:
    """The sensor that evaluates every asset's condition (RUNNING by default, in the code server)."""
    return dg.AutomationConditionSensorDefinition(
        SENSOR,
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=settings.sensor_interval_s,
        use_user_code_server=True,
        emit_backfills=False,
        description="Runs what follows a new plate: SQL models and embeddings of "
        f"{', '.join(settings.auto_encoders) or 'no encoder'} at once, the cross-plate stages "
        f"({settings.batch_cron}) in batches. Stages: {', '.join(settings.automate) or 'none'}.",
    )
