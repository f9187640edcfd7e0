"""The grid import's progress as a bar on a terminal (``flask data import`` run by hand): one bar
per layer and stage, with its rate; the layer's counts and rate are also logged when a stage ends
(dispatch/gis/import_progress.py), so the log reads the same with or without a terminal."""
from __future__ import annotations

from tqdm import tqdm

from dispatch.gis.import_progress import LoggedProgress


class TerminalProgress(LoggedProgress):
    """A tqdm bar on standard error for each stage of each layer, beside the log's lines at the
    stages' ends (not its counts in between: the bar shows them)."""

    def __init__(self) -> None:
        super().__init__(every=2**62)
        self._bar: tqdm | None = None

    def begin(self, layer: str, stage: str, total: int) -> None:
        super().begin(layer, stage, total)
        self._bar = tqdm(total=total, desc=f"{layer} {stage}", unit=" features", unit_scale=True,
                         dynamic_ncols=True, leave=True)

    def advance(self, done: int) -> None:
        super().advance(done)
        if self._bar is not None:
            self._bar.update(done)
            if self._stage == "write" and self._bar.n >= (self._bar.total or 0):
                # Every row is staged; merging them and rebuilding the indexes takes as long again.
                self._bar.set_postfix_str("merging, indexing")

    def end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        super().end()
