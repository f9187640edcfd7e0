"""The service-level targets are settings per zone class: the desk's deadlines follow them."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatch.core.config import Settings
from tests.helpers import T0, customer, report


def test_the_arrival_target_of_a_class_is_a_setting(rules, city):
    desk = rules(sla_arrival_target_min="urban=20,rural=90,remote=120")
    opened = report(desk, T0, account_no=customer(2))["incident"]  # T2 is in the urban zone Z1
    assert datetime.fromisoformat(opened["arrival_deadline"]) == T0 + timedelta(minutes=20)


def test_the_restoration_target_of_a_class_is_a_setting(rules, city):
    desk = rules(sla_restore_target_min="urban=100,rural=240,remote=240")
    opened = report(desk, T0, account_no=customer(2))["incident"]
    arrived = T0 + timedelta(minutes=10)
    response = desk.post(f"/api/v1/incidents/{opened['id']}/events", json={"type": "on_site", "at": arrived.isoformat()})
    assert response.status_code == 200, response.get_json()
    incident = desk.get(f"/api/v1/incidents/{opened['id']}").get_json()
    assert datetime.fromisoformat(incident["restore_deadline"]) == arrived + timedelta(minutes=100)


@pytest.mark.parametrize("value", ["urban=45,rural=90", "urban=45,rural=90,remote=120,island=300",
                                   "urban=45,rural=ninety,remote=120", "urban=0,rural=90,remote=120", "45,90,120"])
def test_a_target_setting_that_misses_a_class_or_a_number_stops_the_start(value):
    with pytest.raises(ValueError, match="SLA_ARRIVAL_TARGET_MIN"):
        Settings(sla_arrival_target_min=value)
