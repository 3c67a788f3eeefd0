"""Progress of long stages as log lines: items done / total, rate and time left.

Log lines, not a terminal bar: the ``phenodag`` loggers are captured into each Dagster
run's event log (``python_logs.managed_python_loggers``), so the run view shows how far
an embedding or a training has come. The meter is tqdm's (``tqdm.format_meter``).
"""

from __future__ import annotations

import logging
import time

from tqdm import tqdm

DEFAULT_EVERY_S = 15.0


class Progress:
    """Count items of one long task and log ``what: 40% 128/320 [00:03<00:05, 41.2img/s]`` now and then.

    Parameters
    ----------
    what
        What is being done, e.g. ``"embedding convae"``.
    total
        Items in all.
    logger
        Where the lines go (the calling module's logger).
    unit
        Name of one item (``img``, ``step``).
    every_s
        Least time between two lines; the last item always logs.
    done
        Items finished before this count started (a resumed training).
    """

    def __init__(
        self,
        what: str,
        total: int,
        logger: logging.Logger,
        unit: str = "it",
        every_s: float = DEFAULT_EVERY_S,
        done: int = 0,
    ) -> None:
        self.what, self.total, self.logger, self.unit, self.every_s = what, total, logger, unit, every_s
        self.done = done
        self.start = self.last = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        """Add ``n`` finished items; log when ``every_s`` has passed or the task is complete."""
        self.done += n
        now = time.perf_counter()
        if now - self.last >= self.every_s or self.done >= self.total:
            self.last = now
            self.logger.info("%s: %s", self.what, self.line(now - self.start))

    def line(self, elapsed: float) -> str:
        """Return the meter: percent, done/total, elapsed<left, rate."""
        return tqdm.format_meter(self.done, self.total, elapsed, unit=self.unit, ncols=0).strip()
