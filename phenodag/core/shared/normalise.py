"""Profiles normalised to their plate's controls, before any distance, clustering, classification or mAP.

The profiling field's default (pycytominer's ``normalize(method="mad_robustize")`` with
the controls as samples): per plate and feature, subtract the control wells' median
and divide by their median absolute deviation, scaled by 1.4826 so that it estimates
the standard deviation of normal data (robust z). A feature is then measured in units
of the control wells' spread on the same plate, so features of very different scales
(confluence, a texture statistic, a ConvAE channel's mean) weigh alike and plate-to-
plate offsets cancel.

Written on numpy and polars rather than with pycytominer: pycytominer works on pandas
frames with one column per feature, while phenodag stores a vector column; the
computation is the few lines below, and pycytominer would add pandas-only
dependencies for it. ``robust_z_sphere`` then whitens the profiles with a ZCA
transform fitted on the (normalised) control profiles of all plates together, with
scikit-learn's Ledoit-Wolf shrunk covariance, so that fewer controls than features
still give a stable transform.

Controls are the rows with ``is_control``. The statistics pool every time point of the
plate's control wells, so a time course keeps its shape (the transform is one affine
map per plate and feature). A plate without controls falls back to all its wells, and
says so in the log. A feature whose control MAD is not measurable takes the controls'
standard deviation, then that of all the plate's wells; a feature with no measurable
spread at all (a dead ReLU channel: about a quarter of the trained ConvAE's pooled
values on the demo screen) is set to 0 (see :func:`robust_z`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from phenodag.core.shared.vocab import PROFILE_NORMALISATIONS, one_of

logger = logging.getLogger(__name__)

MAD_TO_SD = 1.4826
MIN_SCALE_FRACTION = 1e-3
"""A column whose spread is below this fraction of the typical column's has no measurable scale."""


@dataclass(frozen=True)
class RobustZ:
    """A robust z fitted on one plate's controls, to apply to any of its rows (see :func:`robust_z`).

    ``scale`` is 1 where ``dead`` (those columns are set to 0 by :meth:`apply`).
    """

    median: np.ndarray
    scale: np.ndarray
    dead: np.ndarray

    @classmethod
    def fit(cls, matrix: np.ndarray, controls: np.ndarray) -> RobustZ:
        """Fit on ``matrix``'s ``controls`` rows (all rows where none is set)."""
        ref = matrix[controls] if controls.any() else matrix
        median = np.median(ref, axis=0)
        scale = MAD_TO_SD * np.median(np.abs(ref - median), axis=0)
        positive = scale[scale > 0]
        floor = MIN_SCALE_FRACTION * float(np.median(positive)) if positive.size else 0.0
        for fallback in (ref.std(axis=0), matrix.std(axis=0)):
            scale = np.where(scale > floor, scale, fallback)
        dead = ~(scale > floor)
        return cls(median, np.where(dead, 1.0, scale), dead)

    def apply(self, matrix: np.ndarray) -> np.ndarray:
        """Return ``matrix`` in units of the controls' spread, dead columns 0."""
        z = (matrix - self.median) / self.scale
        z[:, self.dead] = 0.0
        return z


def robust_z(matrix: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """Return ``(matrix - median(controls)) / (1.4826 * MAD(controls))`` per column (see module docstring).

    A column's scale must be measurable: where the controls' MAD is below
    :data:`MIN_SCALE_FRACTION` of the median MAD of all columns, their standard deviation
    is used, then that of all rows; a column with no measurable spread even then (a dead
    ReLU channel, a feature constant on the plate) is set to 0 rather than divided by
    almost nothing, which would turn rounding noise into the largest values of the profile.

    Parameters
    ----------
    matrix
        (n, d) profiles of one plate.
    controls
        Boolean (n,) mask of its control rows; all rows where none is set.
    """
    return RobustZ.fit(matrix, controls).apply(matrix)


def whitening(matrix: np.ndarray, controls: np.ndarray) -> np.ndarray:
    """Return the ZCA whitening matrix of the Ledoit-Wolf covariance of ``matrix``'s control rows (already centred)."""
    from sklearn.covariance import LedoitWolf

    ref = matrix[controls] if controls.any() else matrix
    cov = LedoitWolf(assume_centered=True).fit(ref).covariance_ if ref.shape[0] > 1 else np.eye(matrix.shape[1])
    values, vectors = np.linalg.eigh(cov)
    return np.asarray(vectors @ np.diag(1.0 / np.sqrt(np.clip(values, 1e-12, None))) @ vectors.T)


@dataclass(frozen=True)
class ControlNormaliser:
    """One normalisation to the controls, fitted once per stratum (plate) and applied to any of its rows.

    What a stage needs when it must transform more rows later in exactly the same way,
    e.g. vectors re-embedded from perturbed images (the groups stage's robustness).
    """

    method: str
    per_stratum: dict[object, RobustZ] = field(default_factory=dict)
    whiten: np.ndarray | None = None

    @classmethod
    def fit(cls, matrix: np.ndarray, strata: Sequence[object], controls: np.ndarray, method: str) -> ControlNormaliser:
        """Fit ``method`` on ``matrix`` (n, d) with each row's stratum and control flag.

        Raises
        ------
        ValueError
            For an unknown method.
        """
        if one_of("profile normalisation", method, PROFILE_NORMALISATIONS) == "none":
            return cls(method)
        keys = list(dict.fromkeys(strata))
        codes = _codes(strata, keys)
        per_stratum = {}
        for i, key in enumerate(keys):
            rows = codes == i
            if not controls[rows].any():
                logger.warning("no controls in %s: normalised to all of its rows instead", key)
            per_stratum[key] = RobustZ.fit(matrix[rows], controls[rows])
        robust = cls(method, per_stratum)
        whiten = whitening(robust.apply(matrix, strata), controls) if method == "robust_z_sphere" else None
        return cls(method, per_stratum, whiten)

    def apply(self, matrix: np.ndarray, strata: Sequence[object]) -> np.ndarray:
        """Normalise ``matrix`` (n, d) whose rows belong to ``strata`` seen when fitting.

        Raises
        ------
        ValueError
            If a row's stratum was not among the fitted ones.
        """
        if self.method == "none":
            return np.asarray(matrix)
        keys = list(self.per_stratum)
        codes = _codes(strata, keys)
        if (codes < 0).any():
            unseen = sorted({str(k) for k, c in zip(strata, codes, strict=True) if c < 0})
            raise ValueError(f"no {self.method} fitted for {unseen}: fit on their controls first")
        out = np.empty(np.shape(matrix), dtype=np.float64)
        for i, key in enumerate(keys):
            rows = codes == i
            out[rows] = self.per_stratum[key].apply(np.asarray(matrix, dtype=np.float64)[rows])
        return out @ self.whiten if self.whiten is not None else out


def _codes(strata: Sequence[object], keys: list[object]) -> np.ndarray:
    """Each row's position in ``keys`` (-1 where its stratum is not there)."""
    index = {key: i for i, key in enumerate(keys)}
    return np.fromiter((index.get(k, -1) for k in strata), dtype=np.int64, count=len(strata))


def normalise_profiles(
    profiles: pl.DataFrame, method: str = PROFILE_NORMALISATIONS[0], strata: tuple[str, ...] = ("plate_id",)
) -> pl.DataFrame:
    """Return ``profiles`` with each ``vector`` normalised to its stratum's controls (float32, same columns).

    Parameters
    ----------
    profiles
        Rows with ``is_control``, the ``strata`` columns and a fixed-size ``vector`` column.
    method
        One of :data:`~phenodag.core.shared.vocab.PROFILE_NORMALISATIONS`: ``robust_z``,
        ``robust_z_sphere`` or ``none``.
    strata
        Columns whose groups are normalised separately (a plate, by default).

    Raises
    ------
    ValueError
        For an unknown method.
    """
    if one_of("profile normalisation", method, PROFILE_NORMALISATIONS) == "none" or profiles.height == 0:
        return profiles
    missing = [c for c in (*strata, "is_control", "vector") if c not in profiles.columns]
    if missing:
        raise ValueError(f"profiles cannot be normalised to their controls: no column(s) {missing}")
    matrix = np.asarray(profiles["vector"].to_numpy(), dtype=np.float64)
    controls = profiles["is_control"].fill_null(False).to_numpy().astype(bool)
    keys = list(profiles.select(strata).iter_rows())
    out = ControlNormaliser.fit(matrix, keys, controls, method).apply(matrix, keys)
    dim = matrix.shape[1]
    return profiles.with_columns(pl.Series("vector", out.astype(np.float32), dtype=pl.Array(pl.Float32, dim)))
