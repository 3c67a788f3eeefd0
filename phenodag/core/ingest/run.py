"""The ingest stage's driver: what the ``ingest`` assets and the inbox sensor call.

A plate folder becomes rows of ``raw_images``, ``quarantine`` and ``plates``
(:func:`ingest_plate`, in :mod:`.plate`); the inbox is scanned for folders that are complete
(:func:`scan_inbox`, :func:`pending`, in :mod:`.inbox`); a landed plate is drawn as a contact
sheet (:func:`plate_sheet`). The work is done in the modules named; this module is the one
place the orchestration reaches the stage.
"""

from __future__ import annotations

from phenodag.core.ingest.inbox import Arrival, find_plate_folder, pending, scan_inbox
from phenodag.core.ingest.outcome import IngestResult, missing_timepoints
from phenodag.core.ingest.plate import ingest_plate
from phenodag.core.ingest.platemap import read_plate_config, read_platemap
from phenodag.core.ingest.platemap_text import read_platemap_text
from phenodag.core.ingest.sheet import plate_sheet

__all__ = [
    "Arrival",
    "IngestResult",
    "find_plate_folder",
    "ingest_plate",
    "missing_timepoints",
    "pending",
    "plate_sheet",
    "read_plate_config",
    "read_platemap",
    "read_platemap_text",
    "scan_inbox",
]
