"""Drug vs control (pheno-ml Table 1, third block), scored on held-out plates only.

Per cell line and compound at its top concentration, a classifier separates the
compound's late profiles from the DMSO profiles of the same cell line. Folds hold out
whole plates (leave one plate out); with a single plate, whole wells (two folds of
wells). The published code scored its classifier on the images it was trained on;
here every score comes from a fold's held-out profiles.

The classifier is a standardised L2 logistic regression with balanced class weights,
not the paper's MLP 4096→256→2: a screen gives tens of training profiles per compound,
far too few for the MLP's million weights, and a linear probe is the usual way to ask
what an encoder's features already separate.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from phenodag.core.compare.profiles import at_top_concentration, vectors
from phenodag.core.shared.schemas import ENCODER_CLASSIFICATION_SCHEMA


def held_out_scores(x: np.ndarray, y: np.ndarray, groups: np.ndarray, seed: int = 0) -> list[dict[str, float | None]]:
    """Accuracy, F1 and ROC-AUC of each fold's held-out group(s); folds never share a group.

    Parameters
    ----------
    x, y
        Profiles (n, d) and binary labels (1 = drug).
    groups
        Fold unit of each profile (plate, or well with a single plate).
    seed
        Seed of the classifier.

    Returns
    -------
    list of dict
        Per fold: ``fold``, ``n_train``, ``n_test``, ``accuracy``, ``f1``, ``roc_auc`` (null
        when the held-out fold has one class only).
    """
    n_splits = min(len(set(groups.tolist())), 5)
    if n_splits < 2:
        return []
    out = []
    for fold, (train, test) in enumerate(GroupKFold(n_splits=n_splits).split(x, y, groups)):
        if len(set(y[train].tolist())) < 2:
            continue
        model = make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)
        )
        model.fit(x[train], y[train])
        p = model.predict_proba(x[test])[:, 1]
        pred = (p >= 0.5).astype(int)
        out.append(
            {
                "fold": fold,
                "n_train": int(train.size),
                "n_test": int(test.size),
                "accuracy": float(accuracy_score(y[test], pred)),
                "f1": float(f1_score(y[test], pred, zero_division=0)),
                "roc_auc": float(roc_auc_score(y[test], p)) if len(set(y[test].tolist())) == 2 else None,
            }
        )
    return out


def drug_vs_control(profiles: pl.DataFrame, encoder: str, seed: int = 0) -> pl.DataFrame:
    """Rows of ``encoder_classification``: one per cell line, compound (top concentration) and held-out fold."""
    top = at_top_concentration(profiles)
    rows = []
    for (line,), g in top.group_by(["cell_line"], maintain_order=True):
        controls = g.filter(pl.col("is_control"))
        for (compound, conc), drug in g.filter(~pl.col("is_control")).group_by(
            ["compound", "concentration_um"], maintain_order=True
        ):
            both = pl.concat([drug, controls])
            one_plate = both["plate_id"].n_unique() < 2
            unit = both["well"] if one_plate else both["plate_id"]
            groups = np.asarray((both["plate_id"] + "/" + unit).to_list())
            y = np.r_[np.ones(drug.height, int), np.zeros(controls.height, int)]
            for fold in held_out_scores(vectors(both), y, groups, seed):
                rows.append(
                    {
                        "encoder": encoder,
                        "cell_line": line,
                        "compound": compound,
                        "concentration_um": conc,
                        "held_out": "wells" if one_plate else "plates",
                        **fold,
                    }
                )
    return pl.DataFrame(rows, schema=ENCODER_CLASSIFICATION_SCHEMA).sort("cell_line", "compound", "fold")
