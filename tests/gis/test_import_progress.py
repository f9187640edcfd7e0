"""A grid import tells how far it has got: each layer's check and write, counts as they go, the
rate at the end; a bar on a terminal, lines in the log otherwise (issue 17 item 1)."""
from __future__ import annotations

import io
import logging

from api.import_progress import TerminalProgress
from dispatch.gis.grid_import import import_grid
from dispatch.gis.import_progress import LoggedProgress
from tests.factories import small_grid, write_layers

LAYER_SIZES = {"zones": 1, "buses": 6, "sources": 1, "lines": 2, "switches": 1, "transformers": 2,
               "customers": 2, "depots": 1, "roads": 3, "crews": 2}


class Recorded:
    """An ImportProgress that keeps what it was told."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, str, int]] = []
        self.done: dict[tuple[str, str], int] = {}
        self.open = False

    def begin(self, layer: str, stage: str, total: int) -> None:
        assert not self.open
        self.stages.append((layer, stage, total))
        self.done[layer, stage] = 0
        self.open = True

    def advance(self, done: int) -> None:
        layer, stage, _ = self.stages[-1]
        self.done[layer, stage] += done

    def end(self) -> None:
        self.open = False


def run_import(app, directory, progress=None):
    session = app.extensions["database"].session()
    try:
        return import_grid(session, directory, progress=progress)
    finally:
        session.close()


def test_each_layer_is_checked_then_written_and_counted_in_full(app, connection, tmp_path):
    recorded = Recorded()
    run_import(app, write_layers(tmp_path, small_grid()), recorded)
    expected = [(layer, stage, size) for layer, size in LAYER_SIZES.items() for stage in ("check", "write")]
    assert recorded.stages == expected and not recorded.open
    assert recorded.done == {(layer, stage): size for layer, stage, size in expected}


def test_the_log_has_counts_as_they_go_and_each_stage_rate(app, connection, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="dispatch.gis.import_progress")
    run_import(app, write_layers(tmp_path, small_grid()), LoggedProgress(every=1))
    records = [r for r in caplog.records if r.name == "dispatch.gis.import_progress"]
    buses = [r for r in records if r.layer == "buses" and r.stage == "write"]
    assert [r.getMessage() for r in buses[:2]] == ["import buses: write 6 features",
                                                  "import buses: write 6 of 6 features"]
    ended = buses[-1]
    assert ended.features == 6 and ended.features_per_s > 0 and "features/s" in ended.getMessage()
    assert {(r.layer, r.stage) for r in records if hasattr(r, "features_per_s")} == {
        (layer, stage) for layer in LAYER_SIZES for stage in ("check", "write")}


def test_the_default_is_the_log(app, connection, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="dispatch.gis.import_progress")
    run_import(app, write_layers(tmp_path, small_grid()))
    assert any(r.getMessage().startswith("import customers: write done, 2 features in") for r in caplog.records)


def test_a_terminal_gets_a_bar_per_layer_and_stage(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr("sys.stderr", screen)
    progress = TerminalProgress()
    progress.begin("customers", "check", 20_000)
    progress.advance(10_000)
    progress.advance(10_000)
    progress.end()
    assert "customers check: 100%" in screen.getvalue() and "20.0k/20.0k" in screen.getvalue()
    progress.begin("customers", "write", 20_000)
    progress.advance(20_000)
    assert "merging, indexing" in screen.getvalue()
    progress.end()


def test_the_command_shows_each_layer_rate(cli, connection, tmp_path):
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path, small_grid()))])
    assert result.exit_code == 0, result.output
    shown = [line for line in result.output.splitlines() if not line.startswith("{")]  # not the log's
    header, *rows = shown[:1 + len(LAYER_SIZES)]
    assert header.split() == ["layer", "features", "inserted", "updated", "unchanged", "check/s", "write/s"]
    assert [row.split()[0] for row in rows] == list(LAYER_SIZES)
    assert all(float(row.split()[5]) > 0 and float(row.split()[6]) > 0 for row in rows)
