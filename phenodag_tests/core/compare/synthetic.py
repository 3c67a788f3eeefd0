"""Hand-made profiles: controls around 0, each compound shifted by its effect along its own direction."""

import numpy as np
import polars as pl


def profiles(
    effects: dict[str, float],
    plates: int = 2,
    wells: int = 2,
    controls: int = 4,
    times: tuple[float, ...] = (24.0, 28.0, 32.0),
    dim: int = 16,
    noise: float = 1.0,
    seed: int = 0,
    mechanism: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Late profiles of one cell line: ``wells`` wells per compound (top dose 10 µM) and ``controls`` DMSO per plate.

    Each compound moves its profiles by ``effect`` along a random unit direction scaled by
    sqrt(dim) (so an effect of 1 is one noise sd per dimension); compounds that share a
    ``mechanism`` key share the direction.
    """
    rng = np.random.default_rng(seed)
    keys = {c: (mechanism or {}).get(c, c) for c in effects}
    unit = {k: rng.normal(size=dim) for k in sorted(set(keys.values()))}
    directions = {c: unit[k] / np.linalg.norm(unit[k]) * np.sqrt(dim) for c, k in keys.items()}
    rows = []
    for p in range(plates):
        plate = f"P{p + 1}"
        layout = [(c, 10.0, False) for c in effects for _ in range(wells)] + [("DMSO", 0.0, True)] * controls
        for w, (compound, conc, control) in enumerate(layout):
            for t in times:
                shift = 0.0 if control else effects[compound] * directions[compound]
                rows.append(
                    {
                        "plate_id": plate,
                        "well": f"W{w:02d}",
                        "cell_line": "HCT 15",
                        "compound": compound,
                        "concentration_um": conc,
                        "is_control": control,
                        "replicate": p + 1,
                        "time_h": t,
                        "vector": (shift + noise * rng.normal(size=dim)).astype(np.float32),
                    }
                )
    df = pl.DataFrame(rows)
    return df.with_columns(pl.col("vector").cast(pl.Array(pl.Float32, dim)))
