"""The outage lookup a channel answers a customer with: is my supply out, since when, why, where
is the crew, when will it be back.

A customer is in a known outage when an open incident is one they called about, or when the
incident's device is upstream of their service point (its outage area contains their bus, or
their transformer's LV bus). Like the desk's hotline view (dispatch/incidents/hotline.py), the
incident they called about comes first, else the one whose device is nearest upstream: the desk
and the channels tell a customer the same thing.

A customer inside an active planned outage (dispatch/customers/planned.py) is told of it, planned,
with the window's end as the estimated restoration, unless they called about an incident.

The answer is about the customer asked for and nothing else: no names, no other accounts, no
places, no counts of a few neighbours that would say who else is out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.db import text
from dispatch.core.errors import FieldProblem, InvalidInput, NotFound
from dispatch.customers.notify_templates import planned_reference
from dispatch.customers.planned import active_at_bus
from dispatch.gis.grid import TopologyCache
from dispatch.gis.topology import Topology
from dispatch.incidents.causes import taxonomy
from dispatch.incidents.etr import etr_shown
from dispatch.incidents.store import OPEN

#: The crew's stage as a customer hears it, from the incident's status.
STAGES = {"new": "reported", "assigned": "assigned", "accepted": "assigned", "en_route": "on_the_way",
          "on_site": "on_site"}
#: Fewer digits than this cannot name one customer's phone (and would list many accounts).
MIN_PHONE_DIGITS = 5
#: The most accounts one phone is answered for (a landlord's or an estate office's phone).
MAX_ACCOUNTS_PER_PHONE = 50

CUSTOMERS = (
    "SELECT c.id, c.account_no, coalesce(c.bus_id, t.lv_bus_id) AS bus_id FROM customers c "
    "LEFT JOIN transformers t ON t.id = c.transformer_id "
)
CALLED_ABOUT = (
    "SELECT DISTINCT ON (r.customer_id) r.customer_id, r.incident_id FROM reports r "
    f"JOIN incidents i ON i.id = r.incident_id WHERE r.customer_id = ANY(:ids) AND i.status IN {OPEN} "
    "ORDER BY r.customer_id, r.received_at DESC, r.id DESC"
)
AROUND = (
    "SELECT i.id, i.device_kind, i.device_id FROM incidents i "
    "JOIN unnest(CAST(:kinds AS text[]), CAST(:ids AS bigint[])) AS d(kind, id) "
    f"ON i.device_kind = d.kind AND i.device_id = d.id WHERE i.status IN {OPEN} AND NOT i.unlocated "
    # A fault on one customer's own side (their wiring, a disconnection for arrears) is theirs
    # alone: their neighbours are not in it and must not learn of it.
    "AND i.customer_side IS NULL"
)
#: Open ones only: one restored since the queries above is no longer an outage to tell of.
INCIDENTS = f"SELECT id, status, first_report_at, cause, etr_at FROM incidents WHERE id = ANY(:ids) AND status IN {OPEN}"


@dataclass(frozen=True)
class Lookup:
    """What a channel asks by: an account number, or a phone number (all of that phone's accounts)."""

    account: str | None = None
    phone: str | None = None


def find_customers(session: Session, lookup: Lookup) -> list[dict[str, Any]]:
    """The customers asked about: one by account, or every account of a phone (NotFound: none)."""
    connection = session.connection()
    if lookup.account is not None:
        rows = connection.execute(text(CUSTOMERS + "WHERE c.account_no = :account"),
                                  {"account": lookup.account}).mappings().all()
        if not rows:
            raise NotFound("there is no customer with this account number")
        return [dict(r) for r in rows]
    digits = re.sub(r"[^0-9]", "", lookup.phone or "")
    if len(digits) < MIN_PHONE_DIGITS:
        raise InvalidInput("the phone number is too short", [FieldProblem(
            "phone", f"at least {MIN_PHONE_DIGITS} digits", "query")])
    rows = connection.execute(text(CUSTOMERS + "WHERE c.phone_digits = :digits ORDER BY c.account_no LIMIT :n"),
                              {"digits": digits, "n": MAX_ACCOUNTS_PER_PHONE}).mappings().all()
    if not rows:
        raise NotFound("there is no customer with this phone number")
    return [dict(r) for r in rows]


def _incidents_upstream(session: Session, topology: Topology, customers: list[dict[str, Any]]) -> dict[int, int]:
    """For each customer (id) whose supply is downstream of an open incident's device: the incident
    whose device is nearest upstream."""
    chains: dict[int, list[tuple[str, int]]] = {}  # customer -> devices from its own area up
    for customer in customers:
        area = topology.area_of_bus(customer["bus_id"]) if customer["bus_id"] is not None else None
        if area is not None:
            chains[customer["id"]] = [(device.kind, device.id) for a in topology.areas_up(area)
                                      if (device := topology.area_device[a]) is not None]
    devices = {device for chain in chains.values() for device in chain}
    if not devices:
        return {}
    kinds, ids = zip(*devices)
    at_device: dict[tuple[str, int], int] = {}
    for row in session.connection().execute(text(AROUND + " ORDER BY i.id"), {"kinds": list(kinds),
                                                                              "ids": list(ids)}).mappings():
        at_device.setdefault((row["device_kind"], row["device_id"]), row["id"])  # the oldest of a device's
    found = {}
    for customer_id, chain in chains.items():
        nearest = next((at_device[d] for d in chain if d in at_device), None)
        if nearest is not None:
            found[customer_id] = nearest
    return found


def cause_view(code: str | None, taxonomy_file: str) -> dict[str, Any] | None:
    """A cause code with its labels (en, zh-CN), as far as the taxonomy knows it."""
    if code is None:
        return None
    category, _, cause = code.partition(".")
    labels = taxonomy(taxonomy_file).get(category, {}).get("causes", {}).get(cause)
    return {"code": code, "label": labels}


def look_up_outages(session: Session, topologies: TopologyCache, lookup: Lookup,
                    taxonomy_file: str = "") -> list[dict[str, Any]]:
    """For each customer asked about: whether it is in a known outage, and that outage's story as
    far as a customer may hear it."""
    customers = find_customers(session, lookup)
    connection, now = session.connection(), clock.now()
    ids = [c["id"] for c in customers]
    called = dict(connection.execute(text(CALLED_ABOUT), {"ids": ids}).all())
    upstream = _incidents_upstream(session, topologies.current(session),
                                   [c for c in customers if c["id"] not in called])
    chosen = {**upstream, **called}
    incidents = {row["id"]: row for row in connection.execute(
        text(INCIDENTS), {"ids": sorted(set(chosen.values()))}).mappings()}
    answers = []
    for customer in customers:
        incident = incidents.get(chosen.get(customer["id"]))
        work = None
        if customer["id"] not in called and customer["bus_id"] is not None:
            work = active_at_bus(connection, customer["bus_id"], now)
        if work is not None:  # planned work explains the outage better than a fault upstream
            answers.append({"account_no": customer["account_no"], "in_outage": True, "outage": planned_story(work)})
            continue
        answers.append({"account_no": customer["account_no"], "in_outage": incident is not None,
                        "outage": incident and {
                            "reference": incident["id"],
                            "since": incident["first_report_at"],
                            "planned": False,
                            "cause": cause_view(incident["cause"], taxonomy_file),
                            "stage": STAGES[incident["status"]],
                            "reported_by_customer": customer["id"] in called,
                            "etr": etr_shown(incident["etr_at"], now),
                        }})
    return answers


def planned_story(work: dict[str, Any]) -> dict[str, Any]:
    """A planned outage as a customer hears of it: the window, whose end is when supply is back."""
    return {"reference": planned_reference(work["id"]), "since": work["started_at"] or work["window_start"],
            "planned": True, "cause": None, "stage": "planned_work", "reported_by_customer": False,
            "etr": work["window_end"], "window": {"start": work["window_start"], "end": work["window_end"]}}
