"""Progress lines: throttled, always the last one, with done/total and a rate."""

import logging

import pytest

from phenodag.core.shared.progress import Progress


def test_progress_logs_throttled_lines_and_the_last(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("phenodag.test_progress")
    progress = Progress("embedding x", 10, logger, unit="img", every_s=3600)
    with caplog.at_level(logging.INFO, logger="phenodag.test_progress"):
        for _ in range(10):
            progress.advance()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and lines[0].startswith("embedding x: 100%") and "10/10" in lines[0]
    assert "img/s" in lines[0]


def test_every_advance_logs_without_throttle(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("phenodag.test_progress")
    progress = Progress("training", 4, logger, unit="step", every_s=0)
    with caplog.at_level(logging.INFO, logger="phenodag.test_progress"):
        progress.advance(2)
        progress.advance(2)
    assert [r.getMessage().split(": ")[1].split(" ")[0] for r in caplog.records] == ["50%", "100%"]
