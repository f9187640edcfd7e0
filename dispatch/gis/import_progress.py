"""How far a grid import has got, told as it goes: a province's import takes minutes, and an
operator watching it (or its log) must see that it moves and how fast, layer by layer.

:func:`dispatch.gis.grid_import.import_grid` calls an :class:`ImportProgress` as it checks and then
writes each layer. :class:`LoggedProgress`, the default, writes counts to the log; the command
line shows a progress bar instead when it runs on a terminal (api/import_progress.py).
"""
from __future__ import annotations

import logging
import time
from typing import Protocol

log = logging.getLogger(__name__)

#: Features between two of LoggedProgress's count lines.
LOG_EVERY = 100_000


class ImportProgress(Protocol):
    """What an import tells while it runs. A stage is ``check`` (read and check a layer's file)
    or ``write`` (its rows to the database); ``advance`` counts features done in that stage."""

    def begin(self, layer: str, stage: str, total: int) -> None: ...

    def advance(self, done: int) -> None: ...

    def end(self) -> None: ...


def rate(features: int, seconds: float) -> float:
    """Features a second (0 for an empty layer or no time measured)."""
    return features / seconds if features and seconds > 0 else 0.0


class LoggedProgress:
    """Counts in the log: a line when a stage begins, every :data:`LOG_EVERY` features, and when it
    ends with the stage's rate."""

    def __init__(self, every: int = LOG_EVERY) -> None:
        self.every = every
        self._layer = self._stage = ""
        self._total = self._done = self._logged = 0
        self._started = 0.0

    def begin(self, layer: str, stage: str, total: int) -> None:
        self._layer, self._stage, self._total = layer, stage, total
        self._done = self._logged = 0
        self._started = time.perf_counter()
        log.info("import %s: %s %d features", layer, stage, total,
                 extra={"layer": layer, "stage": stage, "features": total})

    def advance(self, done: int) -> None:
        self._done += done
        if self._done - self._logged >= self.every:
            self._logged = self._done
            log.info("import %s: %s %d of %d features", self._layer, self._stage, self._done, self._total,
                     extra={"layer": self._layer, "stage": self._stage, "done": self._done, "features": self._total})

    def end(self) -> None:
        seconds = time.perf_counter() - self._started
        per_second = rate(self._total, seconds)
        log.info("import %s: %s done, %d features in %.1f s (%.0f features/s)", self._layer, self._stage,
                 self._total, seconds, per_second,
                 extra={"layer": self._layer, "stage": self._stage, "features": self._total,
                        "seconds": round(seconds, 3), "features_per_s": round(per_second)})
