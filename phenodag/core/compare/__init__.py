"""The compare stage: which encoder sees drug effects (pheno-ml section 4.2-4.3, Table 1, and copairs mAP)."""
