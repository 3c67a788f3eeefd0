import itertools

import numpy as np
import polars as pl
from sklearn.metrics import adjusted_rand_score

from phenodag.core.shared.schemas import CONDITION, WELL_TREATMENT
from phenodag.core.shared.vectors import read_embeddings
from phenodag.core.temporal.evaluate import planted_types
from phenodag.core.temporal.growth import gr_over_time
from phenodag.core.temporal.growth_types import GrowthTypingConfig, growth_types

emb = pl.read_delta("/tmp/gthr/lake/embeddings").filter(pl.col("encoder") == "classical")
raw = pl.read_delta("/tmp/gthr/lake/raw_images")
images = raw.select("sha256", "time_h", *WELL_TREATMENT).unique("sha256")
vec = read_embeddings(emb)
per = vec.select("sha256", pl.col("vector").arr.get(1).alias("confluence")).join(images, on="sha256")
curves = per.group_by([*WELL_TREATMENT, "time_h"]).agg(
    pl.col("confluence").mean(), pl.len().cast(pl.UInt32).alias("n_fields")
)
gr = gr_over_time(curves)
conf = pl.read_delta("/tmp/gthr/lake/growth_gr").select(
    "plate_id", *CONDITION, "time_h", pl.col("confluence").alias("real_conf")
)
gr = gr.join(conf, on=["plate_id", *CONDITION, "time_h"]).drop("confluence").rename({"real_conf": "confluence"})
planted = planted_types(pl.read_delta("/tmp/gthr/lake/sim_truth"))
rows = []
for a, d, r, p, s in itertools.product(
    (0.3, 0.4, 0.5, 0.6), (-0.3, -0.2, -0.1, 0.0), (0.6, 0.7, 0.8, 0.9), (1, 2, 3), (0.8, 0.85, 0.9, 1.01)
):
    if not d < a < r:
        continue
    t = growth_types(gr, GrowthTypingConfig(a, d, r, p, saturation=s)).join(planted, on=CONDITION)
    right = (t["growth_type"] == t["planted"]).to_numpy()
    rows.append((a, d, r, p, s, right.mean(), adjusted_rand_score(t["planted"], t["growth_type"])))
best = sorted(rows, key=lambda x: (-x[5], -x[6]))[:5]
for b in best:
    print(np.round(b, 3))
a, d, r, p, s = best[0][:5]
t = growth_types(gr, GrowthTypingConfig(a, d, r, int(p), saturation=s)).join(planted, on=CONDITION)
print(t.group_by("planted", "growth_type").len().sort("planted", "growth_type"))
