"""Mining the lens's corrections (pheno-ml section 4.5), with the paper's rules.

Per held-out image, ``p`` is the classifier's probability of the true class without
and with the lens; ``pred`` the argmax. The cases (:data:`CORRECTION_CASES`):

- ``control_fixed``: a drug image called the control without the lens and
  its true class with it;
- ``drug_fixed``: a drug image called another drug without the lens, with
  p_no-lens < 0.5 < p_lens;
- ``raised``: p_lens > p_no-lens + 0.5, whatever the calls.

An image may fall in several cases; each case keeps its ``cap`` largest p_lens − p_no-lens.
"""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.vocab import CORRECTION_CASES

CONTROL_FIXED, DRUG_FIXED, RAISED = CORRECTION_CASES


def mine_corrections(maps: pl.DataFrame, control: str, cap: int) -> pl.DataFrame:
    """Return the mined cases among ``lens_maps`` rows (``class_name``, ``pred_*``, ``p_true_*``), capped per case.

    Parameters
    ----------
    maps
        ``lens_maps`` rows of one α.
    control
        The control's class name.
    cap
        Rows kept per case.

    Returns
    -------
    polars.DataFrame
        The matching rows with a ``case`` column and ``gain`` = p_lens − p_no-lens.
    """
    drug = pl.col("class_name") != control
    fixed = pl.col("pred_lensed") == pl.col("class_name")
    rules = {
        CONTROL_FIXED: drug & (pl.col("pred_original") == control) & fixed,
        DRUG_FIXED: drug
        & (pl.col("pred_original") != control)
        & (pl.col("pred_original") != pl.col("class_name"))
        & (pl.col("p_true_original") < 0.5)
        & (pl.col("p_true_lensed") > 0.5),
        RAISED: pl.col("p_true_lensed") > pl.col("p_true_original") + 0.5,
    }
    gain = (pl.col("p_true_lensed") - pl.col("p_true_original")).alias("gain")
    parts = [
        maps.filter(rule).with_columns(gain, case=pl.lit(case)).sort("gain", descending=True).head(cap)
        for case, rule in rules.items()
    ]
    return pl.concat(parts, how="vertical")
