"""Where faults happen, as outage inference weighs it: each area's exposure (its own kilometres of
line and transformers) beside the calls. A fuse whose own section is kilometres long is more
often the faulted device than the transformer below it on a short tap, so a few calls from that
transformer alone, with few silent customers elsewhere under the fuse, point at the fuse; many
silent customers still point at the transformer, and a grid without line lengths is left to the
calls alone."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from dispatch.core.config import Settings
from dispatch.gis.inference import RBTS_RATES, Call, Rules, exposure, predict
from dispatch.gis.topology import Topology
from dispatch.gis.topology_store import grid_rows
from tests.factories import radial_grid, stretched, write_layers


@pytest.fixture
def load(cli, connection, tmp_path):
    def load(layers: dict) -> Topology:
        result = cli.invoke(args=["data", "import", str(write_layers(tmp_path / "grid", layers))])
        assert result.exit_code == 0, result.output
        return Topology(grid_rows(connection))
    return load


#: The rule with the IEEE-RBTS failure rates (the exposure is off by default).
EXPOSED = Rules(**RBTS_RATES)


def area(topology: Topology, code: str) -> int:
    return next(a for a, d in enumerate(topology.area_device) if d is not None and d.code == code)


def calls_from(topology: Topology, transformer: str, count: int) -> list[Call]:
    at = area(topology, transformer)
    return [Call(f"{transformer}-{k}", at) for k in range(1, count + 1)]


def fuse_over(big: int, small: int) -> dict:
    """A fuse F with a transformer T1 of ``big`` customers and T2 of ``small``, its section (the
    tap to T2) two kilometres long; T9 elsewhere on the breaker."""
    return stretched(radial_grid(("BR", "breaker", [("F", "fuse", [("T1", big), ("T2", small)]), ("T9", 80)])),
                     "T2-l", 2.0)


def test_an_area_owns_the_lines_its_device_clears_and_its_transformers(load):
    topology = load(fuse_over(40, 3))
    fuse, t1 = area(topology, "F"), area(topology, "T1")
    # The fuse's area holds the taps to T1 and T2 (2 km and a few tens of metres), not the line feeding it.
    assert 2.0 < topology.area_line_km[fuse] < 2.2
    assert topology.area_transformer_count[fuse] == 0
    assert topology.area_transformer_count[t1] == 1 and topology.area_line_km[t1] == 0
    assert math.isclose(exposure(topology, fuse, EXPOSED), topology.area_line_km[fuse] * 0.065 + 0.006)


def test_calls_from_one_transformer_with_few_silent_others_point_at_the_long_section_above(load):
    topology = load(fuse_over(40, 3))
    predicted = predict(topology, calls_from(topology, "T1", 4), EXPOSED)
    assert list(predicted) == [area(topology, "F")]


def test_the_same_calls_with_many_silent_customers_beside_them_stay_at_the_transformer(load):
    topology = load(fuse_over(40, 60))
    predicted = predict(topology, calls_from(topology, "T1", 4), EXPOSED)
    assert list(predicted) == [area(topology, "T1")]


def test_a_short_section_above_leaves_the_calls_at_their_transformer(load):
    topology = load(radial_grid(("BR", "breaker", [("F", "fuse", [("T1", 40), ("T2", 3)]), ("T9", 80)])))
    predicted = predict(topology, calls_from(topology, "T1", 4), EXPOSED)
    assert list(predicted) == [area(topology, "T1")]


def test_without_line_lengths_or_failure_rates_only_the_calls_decide(load, connection):
    """No lengths: every area weighs the same. No rates (the default rules): the same."""
    load(fuse_over(40, 3))
    topology = Topology(replace(grid_rows(connection), line_lengths={}))
    assert topology.area_line_km[area(topology, "F")] == 0
    predicted = predict(topology, calls_from(topology, "T1", 4), EXPOSED)
    assert list(predicted) == [area(topology, "T1")]
    with_lengths = Topology(grid_rows(connection))
    assert list(predict(with_lengths, calls_from(with_lengths, "T1", 4), Rules())) == [area(with_lengths, "T1")]


def test_calls_spread_over_branches_still_point_at_the_device_whatever_its_exposure(load):
    topology = load(radial_grid(("BR", "breaker", [("F", "fuse", [("T1", 40), ("T2", 30)]), ("T9", 80)])))
    predicted = predict(topology, calls_from(topology, "T1", 3) + calls_from(topology, "T2", 3), EXPOSED)
    assert list(predicted) == [area(topology, "F")]



def test_the_settings_give_the_rates_per_100_km_and_per_100_transformers():
    rules = Rules.from_settings(Settings().with_overrides(inference_line_faults_per_100km=6.5,
                                                          inference_transformer_faults_per_100=1.5))
    assert math.isclose(rules.line_faults_per_km, 0.065) and math.isclose(rules.transformer_faults, 0.015)
    assert Rules.from_settings(Settings()) == Rules()  # off by default
