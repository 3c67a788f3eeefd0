"""Group-based compound classification (Baručić et al.): groups, models, training, cross-validation."""
