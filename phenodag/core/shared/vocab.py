"""phenodag's closed vocabularies, each written out once.

Everything that names an encoder, a group method, a response type, a registered model
or an MLflow experiment imports it from here: Dagster partitions, CLI choices, the
encoder registry, benchmarks and docs. The module imports nothing, so reading a
vocabulary never loads torch.
"""

CONVAE_ENCODERS = ("convae", "convae-phenoml", "convae-random")
"""The pheno-ml ConvAE: trained here, with the published weights, or untrained (seeded random init, the baseline)."""

TORCHVISION_ENCODERS = ("resnet18", "resnet50", "vit_b_16")
"""torchvision networks, with weights from a local state-dict file."""

CLASSICAL_ENCODERS = ("classical",)
"""Features an Incucyte user reads (confluence, a cell-count proxy, intensity and texture), no network."""

ENCODER_NAMES = CONVAE_ENCODERS + TORCHVISION_ENCODERS + CLASSICAL_ENCODERS
"""Encoders of the registry (:mod:`phenodag.core.embed.registry`)."""

ENCODER_NEEDS: dict[str, str] = {
    "convae": "a trained version registered in MLflow (materialise `convae_model`; its `champion` alias is used)",
    "convae-phenoml": "the published pheno-ml state dict, named by `PHENODAG_PHENOML_WEIGHTS` (a local file)",
    "convae-random": "nothing: the untrained ConvAE with a fixed seed (the baseline a trained encoder must beat)",
    "resnet18": "`<PHENODAG_WEIGHTS_DIR>/resnet18.pth`, a torchvision state dict (a local file)",
    "resnet50": "`<PHENODAG_WEIGHTS_DIR>/resnet50.pth`, a torchvision state dict (a local file)",
    "vit_b_16": "`<PHENODAG_WEIGHTS_DIR>/vit_b_16.pth`, a torchvision state dict (a local file)",
    "classical": "nothing: confluence, a cell-count proxy, intensity and texture features computed per image",
}
"""What each encoder needs before its ``embeddings`` partitions can run (weights are never downloaded)."""


READOUTS = ("pooled", "latent")
"""How a ConvAE-family encoder turns its activations into a vector; the first is the default.

``pooled``: per-channel spatial mean and standard deviation of each encoder stage (456
values, translation-invariant: the readout for analysis). ``latent``: the published
flattened 4x32x32 latent (4,096 values, bit-exact with pheno-ml's features: the readout
for reproducing pheno-ml). torchvision encoders pool by construction (global average
pooling, or ViT's class token) and have no readout choice.
"""


PROFILE_NORMALISATIONS = ("robust_z", "robust_z_sphere", "none")
"""How profiles are normalised to their plate's control wells before any analysis; the first is the default.

``robust_z``: per plate and feature, minus the controls' median, over 1.4826 x their MAD.
``robust_z_sphere``: then ZCA whitening fitted on the control profiles.
``none``: the vectors as the encoder gave them (:mod:`phenodag.core.shared.normalise`).
"""


def one_of(what: str, value: str, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is in the vocabulary ``allowed``; else raise a ValueError that names both.

    What every config's validator of a vocabulary field calls, so the message reads alike.
    """
    if value not in allowed:
        raise ValueError(f"{what} {value!r}; expected one of {allowed}")
    return value


def encoder_needs_markdown() -> str:
    """Return :data:`ENCODER_NEEDS` as a markdown table (the ``embeddings`` asset's description shows it)."""
    rows = "\n".join(f"| `{name}` | {need} |" for name, need in ENCODER_NEEDS.items())
    return "| encoder | needs before it can run |\n| --- | --- |\n" + rows


FIELD_MODES = ("whole", "center_crop", "tile")
"""How a large image becomes the encoder's input: resized whole, centre crop, or tiles."""

GROUP_METHODS = ("product", "amil", "mi_net", "mi_net_inst", "baseline")
"""Group-classification methods of Baručić et al. (:mod:`phenodag.core.groups.models`)."""

RESPONSE_TYPES = ("no_effect", "cytostatic", "cytotoxic", "mixed")
"""Temporal response types: planted by the simulator, assigned by the temporal stage."""

NO_EFFECT = RESPONSE_TYPES[0]
"""The response type of a condition that does not differ from its controls."""

PROFILES = ("inactive", "cytostatic", "cytotoxic", "mixed", "switch")
"""Simulated compound profiles; ``switch`` is cytostatic at the middle dose and cytotoxic at the top."""

MORPHOLOGICAL = "morphological"
"""The profile of a simulated compound that changes how cells look and not how they grow (no response type)."""

GR_SOURCES = ("cell_count", "confluence")
"""What GR is computed from (``growth_gr``): the classical encoder's count of cell-sized blobs (the default: it keeps
rising after fields fill up) or its confluence (the Incucyte readout, which saturates)."""

DISTANCE_METRICS = ("euclidean", "cosine", "correlation", "braycurtis")
"""Distances between embeddings (trajectories, replicate similarity)."""

NORMALISATIONS = ("zscore", "minmax")
"""Per-trajectory normalisations before DTW clustering."""

CONVAE_MODEL_NAME = "phenodag-convae"
"""The registered MLflow model of the ConvAE trained here."""

CHAMPION_ALIAS = "champion"
"""The registry alias that points at the best ConvAE version."""

CONVAE_CHAMPION_URI = f"models:/{CONVAE_MODEL_NAME}@{CHAMPION_ALIAS}"
"""Where the ``convae`` encoder loads its weights from by default."""

EXPERIMENT_CONVAE = CONVAE_MODEL_NAME
"""MLflow experiment of ConvAE training runs (one run per crop strategy)."""

EXPERIMENT_PLATES = "phenodag-plates"
"""MLflow experiment of plate ingestion: one run per ingestion, holding the plate's contact sheet."""

EXPERIMENT_TEMPORAL = "phenodag-temporal"
"""MLflow experiment of the temporal clustering (one run per encoder)."""

EXPERIMENT_GROUP_CV = "phenodag-group-cv"
"""MLflow experiment of group cross-validation (one parent run per method, nested folds)."""

EXPERIMENT_COMPARISON = "phenodag-encoder-comparison"
"""MLflow experiment of the encoder comparison (one run per encoder, the same metric names)."""

JUDGE_METRICS = ("activity_map", "fraction_active")
"""How ConvAE versions are judged for the champion alias, higher is better: copairs activity mAP, or
the share of truly active conditions called active (simulated screens). Never the reconstruction
loss: a network that reconstructs better can see drug effects worse (measured in docs/results.md)."""

EXPERIMENT_LENS = "phenodag-lens"
"""MLflow experiment of the lens stage: one run per α (and one for the drug classifier)."""

CORRECTION_CASES = ("control_fixed", "drug_fixed", "raised")
"""Mined lens corrections (pheno-ml section 4.5): a drug called DMSO without the lens and right with it;
a drug called another drug, p(true) < 0.5 without and > 0.5 with the lens; p(true) raised by > 0.5."""

FEATURES_RESNET = "resnet18"
"""Group feature source: a one-channel ResNet-18 trained end to end with the pooling and head."""

FEATURES_EMBEDDINGS = "embeddings:"
"""Group feature source prefix: ``embeddings:<encoder>`` reads that encoder's frozen vectors from ``embeddings``."""

GROUP_SETS = ("screen", "control", "library")
"""What a row of ``image_groups`` is for: the screen's classes (cross-validated), DMSO groups kept apart
for the treated-vs-control transfer, and a second compound library's groups (transfer to new compounds)."""

TRANSFER_TASKS = ("moa", "treated_vs_control", "library")
"""Transfer tasks of a frozen group model with a new head (Baručić et al. section 4.4)."""

PERTURBATIONS = ("none", "blur", "noise", "duplicates")
"""Test-time perturbations of held-out groups (Baručić et al. Tables 4 and 5); ``none`` is the clean score."""

EXPERIMENT_GROUP_TRANSFER = "phenodag-group-transfer"
"""MLflow experiment of the group transfer tasks (one run per method)."""

EXPERIMENT_GROUP_ROBUSTNESS = "phenodag-group-robustness"
"""MLflow experiment of the group robustness measurements (one run per method)."""

EXPERIMENT_REPORT = "phenodag-report"
"""MLflow experiment of the screen report: one run per report, holding its HTML page and PNG summary."""
