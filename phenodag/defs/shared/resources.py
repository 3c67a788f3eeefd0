"""Resources: the lake, the inbox, MLflow tracking, torch and the encoders' weights.

No field reads the environment: ``phenodag.definitions`` fills them from one
:class:`~phenodag.core.shared.settings.Settings`.
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
from pydantic import Field

from phenodag.core.shared import lake
from phenodag.core.shared.settings import DEFAULT_MARKER
from phenodag.core.shared.tables import read_known
from phenodag.core.shared.vocab import CONVAE_CHAMPION_URI, CONVAE_ENCODERS, FIELD_MODES, READOUTS, TORCHVISION_ENCODERS


class LakeResource(dg.ConfigurableResource):
    """The Delta lake: root URI (``PHENODAG_LAKE`` or ``$PHENODAG_HOME/lake``) and storage options."""

    root: str = Field(description="Lake root path or URI.")
    storage_options: dict[str, str] = Field(default_factory=dict, description="deltalake storage options.")

    def write_partition(self, name: str, df: pl.DataFrame, partition: dict[str, Any]) -> lake.WriteInfo:
        """Replace one partition of table ``name``."""
        return lake.write_partition(self.root, name, df, partition, self.storage_options)

    def write_table(self, name: str, df: pl.DataFrame) -> lake.WriteInfo:
        """Overwrite the whole (unpartitioned) table ``name``."""
        return lake.write_table(self.root, name, df, self.storage_options)

    def read(self, name: str, filters: dict[str, Any] | None = None, columns: list[str] | None = None) -> pl.DataFrame:
        """Read table ``name`` with optional column filters, only ``columns`` when given."""
        return lake.read_table(self.root, name, filters=filters, columns=columns, storage_options=self.storage_options)

    def read_or_empty(self, name: str, filters: dict[str, Any] | None = None) -> pl.DataFrame:
        """Read table ``name``, or an empty frame of ``schema`` when it does not exist yet."""
        return read_known(self.root, name, filters, self.storage_options)

    def scan(self, name: str) -> pl.LazyFrame:
        """Lazily scan the whole table ``name``."""
        if not lake.table_exists(self.root, name, self.storage_options):
            raise FileNotFoundError(f"no Delta table {name!r} at {lake.table_uri(self.root, name)}")
        return pl.scan_delta(lake.table_uri(self.root, name), storage_options=self.storage_options or None)

    def exists(self, name: str) -> bool:
        """Tell whether table ``name`` exists."""
        return lake.table_exists(self.root, name, self.storage_options)


class InboxResource(dg.ConfigurableResource):
    """The inbox folder that instruments drop plate folders into, and the completion marker."""

    path: str = Field(description="Inbox folder.")
    marker: str = Field(default=DEFAULT_MARKER, description="Completion marker file.")

    @property
    def folder(self) -> Path:
        """The inbox as a path."""
        return Path(self.path)


class MlflowResource(dg.ConfigurableResource):
    """MLflow tracking: SQLite under ``PHENODAG_HOME`` by default, or a shared ``mlflow server`` (``http://``).

    Every run started through :meth:`start_run` is tagged with the Dagster run id,
    the asset partition and the step, so a model can be traced back to the run that
    trained it.
    """

    tracking_uri: str = Field(description="MLflow tracking (and registry) URI.")
    artifact_root: str = Field(description="Folder of the artifacts of experiments created here.")
    ui_url: str = Field(
        default="http://127.0.0.1:5000", description="Address of the MLflow UI that run links open (`mlflow ui`)."
    )

    def activate(self) -> None:
        """Point MLflow (tracking and registry) at this store, creating it once (``mlflow_store.use_store``)."""
        from phenodag.core.shared.mlflow_store import use_store

        use_store(self.tracking_uri, self.artifact_root)

    def run_link(self, run: Any) -> dg.UrlMetadataValue:
        """A link to ``run`` (an ``mlflow.ActiveRun``) in the MLflow UI, for a materialisation's metadata."""
        return dg.MetadataValue.url(f"{self.ui_url}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}")

    def artifact_page(self, run: Any, path: str) -> dg.UrlMetadataValue:
        """A link to artifact ``path`` of ``run`` shown in the MLflow UI's artifact viewer (HTML is rendered there)."""
        experiment, run_id = run.info.experiment_id, run.info.run_id
        return dg.MetadataValue.url(f"{self.ui_url}/#/experiments/{experiment}/runs/{run_id}/artifacts/{path}")

    def figure(self, run: Any, png: bytes, name: str, alt: str) -> dict[str, dg.MarkdownMetadataValue]:
        """Log ``png`` as ``<name>.png`` of the active ``run`` and return its two metadata entries.

        ``<name>``: the image as served by the MLflow UI (``ui_url``), short enough for the
        Dagster UI to draw it in the asset's metadata table; ``<name> (embedded)``: the same
        PNG inside the markdown, which needs no MLflow UI but sits behind "Show Markdown".
        """
        from phenodag.core.shared.mlflow_store import log_figure
        from phenodag.defs.shared.metadata import markdown_image

        path = log_figure(png, name)
        url = f"{self.ui_url}/get-artifact?path={path}&run_uuid={run.info.run_id}"
        return {
            name: dg.MetadataValue.md(f"![{alt}]({url})"),
            f"{name} (embedded)": dg.MetadataValue.md(markdown_image(png, alt)),
        }

    def figures(self, run: Any, pngs: dict[str, bytes]) -> dict[str, dg.MarkdownMetadataValue]:
        """:meth:`figure` of each named PNG, its name as alt text."""
        return {key: value for name, png in pngs.items() for key, value in self.figure(run, png, name, name).items()}

    def dagster_tags(self, context: dg.OpExecutionContext | dg.AssetExecutionContext) -> dict[str, str]:
        """Tags that tie an MLflow run to the Dagster run and partition."""
        tags = {"dagster.run_id": context.run.run_id, "dagster.job": context.run.job_name}
        if context.has_partition_key:
            tags["dagster.partition"] = str(context.partition_key)
        return tags

    @contextlib.contextmanager
    def start_run(
        self,
        context: dg.OpExecutionContext | dg.AssetExecutionContext,
        experiment: str,
        run_name: str | None = None,
        nested: bool = False,
    ) -> Iterator[Any]:
        """Start an MLflow run in ``experiment`` tagged with the Dagster run and partition.

        Yields
        ------
        mlflow.ActiveRun
            The active run; it ends when the block exits (FAILED on an exception).
        """
        from phenodag.core.shared.mlflow_store import open_run

        with open_run(
            self.tracking_uri, self.artifact_root, experiment, run_name, self.dagster_tags(context), nested
        ) as run:
            yield run


class TorchResource(dg.ConfigurableResource):
    """Where and how torch runs: device, CPU threads, batch size, decode threads, checkpoints."""

    device: str = Field(default="cpu", description="'cpu', 'cuda' or 'cuda:N'.")
    threads: int = Field(default=0, description="torch intra-op threads; 0 keeps torch's default.")
    batch_size: int = Field(default=64, ge=1)
    loader_threads: int = Field(default=2, ge=1, description="Threads that decode images ahead of the model.")
    checkpoint_dir: str = Field(default="", description="Training checkpoints (the home's checkpoints folder).")

    def configure(self) -> str:
        """Apply the thread setting and return the device, checking CUDA is there when asked for."""
        import torch

        if self.threads > 0:
            torch.set_num_threads(self.threads)
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"TorchResource.device is {self.device!r} but CUDA is not available here")
        return self.device


class EncodersResource(dg.ConfigurableResource):
    """Where each encoder's weights come from; nothing is downloaded.

    ``convae`` loads ``convae_model`` (an MLflow model URI or a state-dict file);
    ``convae-phenoml`` loads ``phenoml_weights``; the torchvision encoders load
    ``<weights_dir>/<name>.pth``. With ``allow_random`` (explicit opt-in), a missing
    torchvision file gives an untrained network recorded as ``random:seed0``.
    """

    convae_model: str = Field(default=CONVAE_CHAMPION_URI, description="MLflow model URI or state-dict file.")
    phenoml_weights: str | None = Field(default=None, description="The published pheno-ml state dict.")
    weights_dir: str | None = Field(default=None, description="Folder of torchvision state dicts <name>.pth.")
    allow_random: bool = Field(default=False, description="Use untrained torchvision networks when no file exists.")
    field: str = Field(default="whole", description=" | ".join(FIELD_MODES))
    field_px: int = Field(default=256, description="Crop or tile side for center_crop and tile.")
    jpeg_draft: bool = Field(
        default=False, description="Decode JPEGs at a reduced DCT scale (opt-in; changes pixels, recorded)."
    )
    readout: str = Field(
        default=READOUTS[0],
        description="ConvAE family: pooled (per-channel statistics, for analysis) | latent (the published features).",
    )
    tracking_uri: str | None = Field(default=None, description="MLflow store that models:/ URIs resolve in.")
    artifact_root: str | None = Field(default=None, description="Artifact folder of that store, when it is new.")

    def weights_for(self, name: str) -> str | None:
        """Return the weights reference of encoder ``name`` (file, URI, 'random' or None).

        A ``models:/`` URI resolves in the home's MLflow store: a run process that never
        started an MLflow run would otherwise read MLflow's default ``./mlflow.db``.
        """
        from phenodag.core.embed.run import default_weights

        if self.tracking_uri and self.artifact_root:
            from phenodag.core.shared.mlflow_store import use_store

            use_store(self.tracking_uri, self.artifact_root)

        ref = default_weights(name, self.phenoml_weights, self.weights_dir, self.convae_model)
        if name in TORCHVISION_ENCODERS and self.allow_random and (ref is None or not Path(ref).is_file()):
            return "random"
        return ref

    def load(self, name: str, device: str = "cpu") -> Any:
        """Load encoder ``name`` with its weights and this resource's field handling."""
        from phenodag.core.embed.run import load_encoder

        return load_encoder(
            name,
            self.weights_for(name),
            device=device,
            field=self.field,
            field_px=self.field_px,
            jpeg_draft=self.jpeg_draft,
            readout=self.readout if name in CONVAE_ENCODERS else None,
        )
