"""Outage inference on deep feeders, through the public interface: calls posted one by one
(POST /api/v1/reports), the incident read back (GET /api/v1/incidents/{id}) with its explanation.

The cases are the misses of issue 18 on a real utility's feeder, rebuilt by hand: calls spread
over the branches of a device, some from small transformers, must be predicted at that device and
not at its biggest branch (the rule once fitted a call rate per area, so a transformer with two
customers and one call looked like an outage of its own)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import radial_grid, stretched, write_layers
from tests.helpers import T0, report


@pytest.fixture
def grid_layers(cli, tmp_path):
    def load(layers: dict) -> None:
        result = cli.invoke(args=["data", "import", str(write_layers(tmp_path / "grid", layers))])
        assert result.exit_code == 0, result.output
    return load


@pytest.fixture
def grid(grid_layers):
    return lambda tree: grid_layers(radial_grid(tree))


def call_all(client, callers: list[str]) -> dict:
    """Post one call per account, 30 s apart; the incident of the last one, as GET answers it."""
    incident = None
    for k, account in enumerate(callers):
        incident = report(client, T0 + timedelta(seconds=30 * k), account_no=account)["incident"]
    return client.get(f"/api/v1/incidents/{incident['id']}").get_json()


def accounts(transformer: str, count: int, start: int = 1) -> list[str]:
    return [f"{transformer}-{k}" for k in range(start, start + count)]


def interleave(*groups: list[str]) -> list[str]:
    """Calls from several places mixed in time, as they come in."""
    longest = max(len(g) for g in groups)
    return [g[k] for k in range(longest) for g in groups if k < len(g)]


def test_a_sectionalizer_with_282_customers_and_27_calls_is_predicted_at_itself(client, grid):
    grid(("BR", "breaker", [
        ("SEC", "sectionalizer", [
            ("F1", "fuse", [("T1", 120), ("T2", 122)]),  # the child with 242 customers
            ("T3", 1), ("T4", 2), ("T6", 37)]),
        ("T9", 60)]))
    incident = call_all(client, interleave(accounts("T1", 13), accounts("T2", 12), ["T3-1", "T4-1"]))
    assert incident["device"] == {"kind": "switch", "code": "SEC"}
    assert incident["customers_affected"] == 282 and incident["report_count"] == 27
    why = incident["inference"]
    assert (why["device"], why["customers"], why["calls"]) == ({"kind": "switch", "code": "SEC"}, 282, 27)
    assert why["branches"] == [
        {"device": {"kind": "switch", "code": "F1"}, "customers": 242, "calls": 25},
        {"device": {"kind": "transformer", "code": "T4"}, "customers": 2, "calls": 1},
        {"device": {"kind": "transformer", "code": "T3"}, "customers": 1, "calls": 1},
        {"device": {"kind": "transformer", "code": "T6"}, "customers": 37, "calls": 0},
    ]


def test_a_fuse_with_44_customers_and_3_calls_is_not_one_of_its_transformers(client, grid):
    grid(("BR", "breaker", [("F", "fuse", [("T1", 38), ("T2", 1), ("T3", 5)]), ("T9", 80)]))
    incident = call_all(client, ["T1-1", "T2-1", "T1-2"])
    assert incident["device"] == {"kind": "switch", "code": "F"} and incident["customers_affected"] == 44
    assert [(b["device"]["code"], b["customers"], b["calls"]) for b in incident["inference"]["branches"]] == [
        ("T1", 38, 2), ("T2", 1, 1), ("T3", 5, 0)]


def test_a_device_with_170_customers_and_8_calls_is_not_one_transformer(client, grid):
    grid(("BR", "breaker", [("SEC", "sectionalizer", [("T1", 150), ("T2", 1), ("T3", 19)]), ("T9", 200)]))
    incident = call_all(client, interleave(accounts("T1", 7), ["T2-1"]))
    assert incident["device"] == {"kind": "switch", "code": "SEC"} and incident["customers_affected"] == 170
    assert incident["report_count"] == 8


def test_many_calls_from_one_big_transformer_stay_at_it(client, grid):
    """All calls from one branch: the fault is that branch, however many call (and the silent
    customers of the fuse's other transformer say so)."""
    grid(("BR", "breaker", [("F", "fuse", [("T1", 150), ("T2", 40)]), ("T9", 80)]))
    incident = call_all(client, accounts("T1", 20))
    assert incident["device"] == {"kind": "transformer", "code": "T1"} and incident["report_count"] == 20
    assert incident["inference"]["branches"] == [{"device": None, "customers": 150, "calls": 20}]


def test_two_faults_under_one_breaker_stay_two_incidents(client, grid):
    """Two fuses out at once, each with its calls: two incidents, not one at the breaker whose
    other 300 customers did not call."""
    grid(("BR", "breaker", [("F1", "fuse", [("T1", 40), ("T2", 30)]), ("F2", "fuse", [("T3", 50), ("T4", 20)]),
                            ("T9", 300)]))
    calls = interleave(accounts("T1", 4), accounts("T2", 3), accounts("T3", 5), accounts("T4", 2))
    for k, account in enumerate(calls):
        report(client, T0 + timedelta(seconds=30 * k), account_no=account)
    first = report(client, T0 + timedelta(minutes=10), account_no="T1-10")["incident"]
    second = report(client, T0 + timedelta(minutes=10), account_no="T3-10")["incident"]
    assert first["device"]["code"] == "F1" and second["device"]["code"] == "F2"
    assert first["id"] != second["id"]


def test_the_explanation_gives_the_km_of_line_the_device_itself_clears(client, grid_layers):
    """Beside the calls per branch, the length of the device's own section (the taps to T1 and T2
    here, T2's drawn two kilometres long): where a utility's failure rates are set, why a device
    can beat a branch that holds every call."""
    grid_layers(stretched(radial_grid(("BR", "breaker", [("F", "fuse", [("T1", 40), ("T2", 30)]), ("T9", 80)])),
                          "T2-l", 2.0))
    incident = call_all(client, interleave(accounts("T1", 3), accounts("T2", 3)))
    assert incident["device"] == {"kind": "switch", "code": "F"} and incident["customers_affected"] == 70
    why = incident["inference"]
    assert 2.0 < why["own_line_km"] < 2.2
    assert [(b["device"]["code"], b["customers"], b["calls"]) for b in why["branches"]] == [("T1", 40, 3), ("T2", 30, 3)]
