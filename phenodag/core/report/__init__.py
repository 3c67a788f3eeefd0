"""The report stage: one screen report (HTML page and PNG summary) built from the lake's tables."""
