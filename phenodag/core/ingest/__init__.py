"""The ingest stage: plate folders from the inbox → rows of ``raw_images``, ``quarantine`` and ``plates``."""
