"""Writing reports and incidents, and reading what outage inference needs."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core import clock
from dispatch.core.db import text
from dispatch.incidents.models import OPEN_INCIDENT_STATUSES

OPEN = "(" + ", ".join(f"'{s}'" for s in OPEN_INCIDENT_STATUSES) + ")"
POINT = "ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326)"  # NULL without lon


#: The unique indexes that keep an external id once per sender (a machine client, or the desk).
EXTERNAL_ID_INDEXES = frozenset({"uq_reports_client_external_id", "uq_reports_desk_external_id"})


def report_by_external_id(connection: Connection, external_id: str, channel_client_id: int | None) -> int | None:
    """The report a sender (a machine client; None: the desk) stored under its ``external_id``
    (one query per case, so each finds its partial unique index)."""
    if channel_client_id is None:
        return connection.execute(text("SELECT id FROM reports WHERE external_id = :e AND channel_client_id IS NULL"),
                                  {"e": external_id}).scalar()
    return connection.execute(text("SELECT id FROM reports WHERE channel_client_id = :client AND external_id = :e"),
                              {"e": external_id, "client": channel_client_id}).scalar()


def lock_source(connection: Connection, source_id: int) -> None:
    """Serialise inference per feeder source, so two calls cannot open two incidents for one device."""
    connection.execute(text("SELECT pg_advisory_xact_lock(1, :s)"), {"s": source_id})


#: One row per caller (a customer who calls five times is one call): the latest report of each
#: since ``:since`` in the open, located, non-hazard incidents fed from ``:s``. The incident is
#: looked up per report (a subquery on its key): joined, the planner may hash every open incident
#: of the province for a feeder's few hundred reports, as it does while the statistics still count
#: the incidents of before the storm.
ACTIVE_CALLS = (
    "SELECT DISTINCT ON (coalesce(r.customer_id, -r.id)) r.id, r.customer_id, r.bus_id, r.incident_id, "
    "r.received_at FROM reports r "
    "WHERE r.source_id = :s AND r.received_at >= :since AND r.bus_id IS NOT NULL "
    f"AND (SELECT i.status IN {OPEN} AND NOT i.hazard AND NOT i.unlocated FROM incidents i WHERE i.id = r.incident_id) "
    "ORDER BY coalesce(r.customer_id, -r.id), r.received_at DESC")
#: Of those, the callers whose meter has not said "power restored" since they called (arrays of
#: the customers whose meters did, and when).
STILL_OUT = ("LEFT JOIN unnest(CAST(:on_customers AS bigint[]), CAST(:on_at AS timestamptz[])) AS m(customer_id, at) "
             "ON m.customer_id = a.customer_id WHERE (m.at IS NULL OR a.received_at > m.at)")


@dataclass(frozen=True)
class FeederCallers:
    """A feeder's callers still out, counted: how many on each bus (``buses`` and ``callers``
    side by side), the incidents their calls are in, and the bus of a given customer's call when
    it is among them."""

    buses: list[int]
    callers: list[int]
    incidents: list[int]
    my_bus: int | None


def active_callers(connection: Connection, source_id: int, since: datetime, back_on: dict[int, datetime],
                   customer_id: int | None) -> FeederCallers:
    """The feeder's callers still out (:data:`ACTIVE_CALLS`, less those whose meter said power
    restored after they called: ``back_on``), counted per bus, in one row of arrays; ``my_bus``:
    the bus of ``customer_id``'s latest call among them. Counted, not listed: a storm puts
    thousands of callers on a feeder, and inference only needs how many called where; a row per
    caller (or per bus: a customer often has a bus of its own) cost the intake more than the rest
    of the call."""
    row = connection.execute(text(
        f"WITH a AS (SELECT a.* FROM ({ACTIVE_CALLS}) a {STILL_OUT}), "
        "g AS (SELECT bus_id, count(*) AS callers FROM a GROUP BY bus_id) "
        "SELECT (SELECT coalesce(array_agg(bus_id ORDER BY bus_id), '{}') FROM g) AS buses, "
        "(SELECT coalesce(array_agg(callers ORDER BY bus_id), '{}') FROM g) AS callers, "
        "(SELECT coalesce(array_agg(DISTINCT incident_id), '{}') FROM a) AS incidents, "
        "(SELECT bus_id FROM a WHERE a.customer_id = CAST(:me AS bigint)) AS my_bus"),
        {"s": source_id, "since": since, "me": customer_id, **_meter_arrays(back_on)}).one()
    return FeederCallers(row.buses, row.callers, row.incidents, row.my_bus)


def active_calls(connection: Connection, source_id: int, since: datetime, back_on: dict[int, datetime],
                 incident_id: int) -> list[dict[str, Any]]:
    """The callers of :func:`active_callers` whose latest call is in ``incident_id``, one row each."""
    rows = connection.execute(text(f"SELECT a.* FROM ({ACTIVE_CALLS}) a {STILL_OUT} AND a.incident_id = :incident"),
                              {"s": source_id, "since": since, "incident": incident_id, **_meter_arrays(back_on)})
    return [dict(row) for row in rows.mappings()]


def _meter_arrays(back_on: dict[int, datetime]) -> dict[str, list[Any]]:
    return {"on_customers": list(back_on), "on_at": list(back_on.values())}


def open_incidents(connection: Connection, source_id: int) -> list[dict[str, Any]]:
    """The open, located, non-hazard incidents fed from ``source_id``, with their last report (an
    incident a device's trip opened, before anyone called: the trip), their crew's skills, and
    whether their device is a switch SCADA says tripped (certain: calls never move it)."""
    rows = connection.execute(text(
        "SELECT i.id, i.status, i.device_kind, i.device_id, i.device_code, i.zone_class, i.crew_id, "
        "(SELECT code FROM zones z WHERE z.id = i.zone_id) AS zone, "
        "coalesce((SELECT max(received_at) FROM reports r WHERE r.incident_id = i.id), i.first_report_at) "
        "AS last_report_at, "
        "(SELECT skills FROM crews c WHERE c.id = i.crew_id) AS crew_skills, "
        "EXISTS (SELECT FROM switches s WHERE i.device_kind = 'switch' AND s.id = i.device_id "
        "AND s.tripped_at IS NOT NULL) AS device_tripped "
        f"FROM incidents i WHERE i.source_id = :s AND i.status IN {OPEN} AND NOT i.hazard AND NOT i.unlocated "
        "ORDER BY i.id"
    ), {"s": source_id})
    return [dict(row) for row in rows.mappings()]


#: What of an open incident, changed between intake's read of a feeder and its decision, makes
#: the decision read the feeder again (calls join and merge by these; their reports only come
#: under the feeder's inference lock, which intake holds).
STATE = ("id", "status", "device_kind", "device_id", "crew_id")


def state_of(incident: dict[str, Any]) -> tuple[Any, ...]:
    """The :data:`STATE` of an incident as :func:`open_incidents` read it."""
    return tuple(incident[column] for column in STATE)


def open_incident_states(connection: Connection, source_id: int) -> list[tuple[Any, ...]]:
    """The :data:`STATE` of each of :func:`open_incidents`, in the same order: one index scan."""
    return [tuple(row) for row in connection.execute(text(
        f"SELECT {', '.join('i.' + column for column in STATE)} FROM incidents i WHERE i.source_id = :s "
        f"AND i.status IN {OPEN} AND NOT i.hazard AND NOT i.unlocated ORDER BY i.id"), {"s": source_id})]


def locked_incident_state(connection: Connection, incident_id: int) -> tuple[Any, ...] | None:
    """The :data:`STATE` of an incident, its row locked for the change."""
    row = connection.execute(text(f"SELECT {', '.join(STATE)} FROM incidents WHERE id = :id FOR UPDATE"),
                             {"id": incident_id}).first()
    return None if row is None else tuple(row)


def meters_back_on(connection: Connection, since: datetime) -> list[dict[str, Any]]:
    """Customers whose meter's latest event, since ``since``, is a power-restored: certainly
    supplied (each with its bus and when the meter said so)."""
    rows = connection.execute(text(
        "SELECT m.customer_id, m.at, coalesce(c.bus_id, t.lv_bus_id) AS bus_id FROM ("
        "SELECT DISTINCT ON (customer_id) customer_id, kind, at FROM meter_events WHERE at >= :since "
        "ORDER BY customer_id, at DESC, id DESC) m JOIN customers c ON c.id = m.customer_id "
        "LEFT JOIN transformers t ON t.id = c.transformer_id WHERE m.kind = 'power_restored'"), {"since": since})
    return [dict(row) for row in rows.mappings()]


def tripped_switches(connection: Connection) -> list[int]:
    """The switches SCADA says tripped (open on a fault, not yet closed)."""
    return connection.execute(text("SELECT id FROM switches WHERE tripped_at IS NOT NULL")).scalars().all()


def restored_around(connection: Connection, source_id: int | None, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Incidents restored between ``since`` and ``until`` at a grid device (a later outage inside
    one of their areas is a nested outage of it)."""
    rows = connection.execute(text(
        "SELECT id, device_kind, device_id FROM incidents WHERE status IN ('restored', 'closed') "
        "AND restored_at BETWEEN :since AND :until AND device_id IS NOT NULL AND NOT hazard "
        "AND (CAST(:source AS int) IS NULL OR source_id = :source) ORDER BY restored_at DESC, id DESC"),
        {"source": source_id, "since": since, "until": until})
    return [dict(row) for row in rows.mappings()]


def set_parent(connection: Connection, incident_id: int, parent_id: int) -> None:
    connection.execute(text("UPDATE incidents SET parent_incident_id = :parent WHERE id = :id"),
                       {"id": incident_id, "parent": parent_id})


def insert_incident(connection: Connection, **values: Any) -> int:
    return connection.execute(text(
        "INSERT INTO incidents (device_kind, device_id, device_code, geom, source_id, zone_id, zone_class, "
        "zone_defaulted, unlocated, hazard, customers_affected, required_skills, first_report_at, arrival_deadline) "
        f"VALUES (:device_kind, :device_id, :device_code, {POINT}, :source_id, :zone_id, :zone_class, "
        ":zone_defaulted, :unlocated, :hazard, :customers_affected, :required_skills, :first_report_at, "
        ":arrival_deadline) "
        "RETURNING id"
    ), values).scalar_one()


def move_incident_device(connection: Connection, incident_id: int, **values: Any) -> None:
    connection.execute(text(
        "UPDATE incidents SET device_kind = :device_kind, device_id = :device_id, device_code = :device_code, "
        f"geom = {POINT}, road_node_id = NULL, customers_affected = :customers_affected, "
        "required_skills = :required_skills, updated_at = now() WHERE id = :id"
    ), {"id": incident_id, **values})


def merge_incidents(connection: Connection, survivor: int, others: list[int]) -> list[int]:
    """Mark those of ``others`` not yet under way merged into ``survivor``, move their reports to
    it (kept, not deleted), and return which were merged."""
    merged = connection.execute(text(
        "UPDATE incidents SET status = 'merged', merged_into_id = :survivor, updated_at = now() "
        "WHERE id = ANY(:others) AND status IN ('new', 'assigned', 'accepted') RETURNING id"),
        {"survivor": survivor, "others": others}).scalars().all()
    connection.execute(text("UPDATE reports SET incident_id = :survivor WHERE incident_id = ANY(:merged)"),
                       {"survivor": survivor, "merged": merged})
    return sorted(merged)


def move_callers(connection: Connection, incident_id: int, into: int, customer_ids: list[int],
                 report_ids: list[int]) -> None:
    """Move an incident's reports from these callers to incident ``into``: every report of each
    customer (their repeat calls too), and the reports given by id (those without a customer)."""
    connection.execute(text(
        "UPDATE reports SET incident_id = :into WHERE incident_id = :id "
        "AND (customer_id = ANY(:customers) OR id = ANY(:reports))"),
        {"id": incident_id, "into": into, "customers": customer_ids, "reports": report_ids})


def first_of_reports(connection: Connection, report_ids: list[int]) -> dict[str, Any]:
    """The earliest of these reports: when it came, its zone and deadline (what an incident
    opened for them starts from)."""
    row = connection.execute(text(
        "SELECT r.received_at, r.arrival_deadline, r.zone_id, r.zone_defaulted, z.code AS zone, "
        "coalesce(z.class, i.zone_class) AS zone_class FROM reports r JOIN incidents i ON i.id = r.incident_id "
        "LEFT JOIN zones z ON z.id = r.zone_id WHERE r.id = ANY(:ids) ORDER BY r.received_at, r.id LIMIT 1"),
        {"ids": report_ids}).mappings().one()
    return dict(row)


def insert_report(connection: Connection, **values: Any) -> int:
    return connection.execute(text(
        "INSERT INTO reports (external_id, channel, channel_client_id, received_at, kind, hazard, description, "
        "account_no, phone, address, reported_geom, located_method, located_geom, customer_id, bus_id, transformer_id, "
        "zone_id, zone_defaulted, source_id, arrival_deadline, distance_m, incident_id) VALUES (:external_id, "
        ":channel, :channel_client_id, :received_at, :kind, :hazard, :description, :account_no, :phone, :address, "
        "ST_SetSRID(ST_MakePoint(CAST(:reported_lon AS float8), CAST(:reported_lat AS float8)), 4326), "
        ":located_method, "
        f"{POINT}, :customer_id, :bus_id, :transformer_id, :zone_id, :zone_defaulted, :source_id, "
        ":arrival_deadline, :distance_m, :incident_id) RETURNING id"
    ), values).scalar_one()


def refresh_incident(connection: Connection, incident_id: int) -> None:
    """Recount an incident's reports; its deadline is the earliest any of its reports sets (unless
    it is on the customer's side: then it is the time agreed with the customer)."""
    connection.execute(text(
        "UPDATE incidents i SET report_count = r.n, first_report_at = coalesce(r.first, i.first_report_at), "
        "arrival_deadline = CASE WHEN i.customer_side IS NULL THEN coalesce(r.deadline, i.arrival_deadline) "
        "ELSE i.arrival_deadline END, hazard = i.hazard OR coalesce(r.hazard, false), "
        "critical_customers = coalesce(r.critical, false), updated_at = now() "
        "FROM (SELECT count(*) AS n, min(rp.received_at) AS first, min(rp.arrival_deadline) AS deadline, "
        "bool_or(rp.hazard) AS hazard, bool_or(c.priority IN ('critical', 'life_support')) AS critical "
        "FROM reports rp LEFT JOIN customers c ON c.id = rp.customer_id WHERE rp.incident_id = :id) AS r "
        "WHERE i.id = :id"
    ), {"id": incident_id})


def add_event(connection: Connection, incident_id: int, event_type: str, at: datetime,
              data: dict[str, Any] | None = None, actor: str | None = "system", lon: float | None = None,
              lat: float | None = None, note: str | None = None, idempotency_key: str | None = None) -> int | None:
    """Add a row to the incident's timeline and return its id; None when it was there already
    (the SLA warnings, which a unique index lets in once, and a phone's event by its
    Idempotency-Key). ``at`` is when it happened; the row also keeps when we recorded it, by the
    application's clock."""
    return connection.execute(text(
        "INSERT INTO incident_events (incident_id, type, at, recorded_at, actor, geom, note, data, idempotency_key) "
        f"VALUES (:id, :type, :at, :recorded_at, :actor, {POINT}, :note, CAST(:data AS jsonb), :key) "
        "ON CONFLICT DO NOTHING RETURNING id"
    ), {"id": incident_id, "type": event_type, "at": at, "recorded_at": clock.now(), "actor": actor, "lon": lon,
        "lat": lat, "note": note, "data": json.dumps(data or {}), "key": idempotency_key}).scalar()


def add_events(connection: Connection, at: datetime, actor: str,
               events: list[tuple[int, str, dict[str, Any], str | None]]) -> list[dict[str, Any]]:
    """Many rows at once, each ``(incident_id, type, data, idempotency_key)`` as :func:`add_event`
    writes it, all at ``at`` by ``actor``; returns those written ({id, incident_id, type, data}, in
    id order), leaving out those there already."""
    if not events:
        return []
    ids, types, data, keys = zip(*events)
    rows = connection.execute(text(
        "INSERT INTO incident_events (incident_id, type, at, recorded_at, actor, data, idempotency_key) "
        "SELECT e.incident_id, e.type, :at, :recorded_at, :actor, e.data, e.key FROM unnest(CAST(:ids AS bigint[]), "
        "CAST(:types AS text[]), CAST(:data AS jsonb[]), CAST(:keys AS text[])) AS e(incident_id, type, data, key) "
        "ON CONFLICT DO NOTHING RETURNING id, incident_id, type, data"),
        {"at": at, "recorded_at": clock.now(), "actor": actor, "ids": list(ids), "types": list(types),
         "data": [json.dumps(d) for d in data], "keys": list(keys)})
    return sorted((dict(row) for row in rows.mappings()), key=lambda row: row["id"])


def event_ids(connection: Connection, incident_id: int, event_type: str) -> list[int]:
    """The ids of an incident's timeline events of one type."""
    return connection.execute(text(
        "SELECT id FROM incident_events WHERE incident_id = :id AND type = :type ORDER BY id"),
        {"id": incident_id, "type": event_type}).scalars().all()


def event_by_key(connection: Connection, actor: str, key: str) -> dict[str, Any] | None:
    """The event a user already sent with this Idempotency-Key. Takes a transaction lock on the
    key first, so two deliveries of one event at once are recorded once."""
    connection.execute(text("SELECT pg_advisory_xact_lock(2, hashtext(:actor || ' ' || :key))"),
                       {"actor": actor, "key": key})
    row = connection.execute(text(
        "SELECT incident_id, type, at, data FROM incident_events WHERE actor = :actor AND idempotency_key = :key"
    ), {"actor": actor, "key": key}).mappings().first()
    return None if row is None else dict(row)


def lock_incident(connection: Connection, incident_id: int) -> None:
    connection.execute(text("SELECT FROM incidents WHERE id = :id FOR UPDATE"), {"id": incident_id})


def lock_for_event(connection: Connection, incident_id: int) -> dict[str, Any] | None:
    """An incident and what an event needs to know of it, locked for the change."""
    row = connection.execute(text(
        "SELECT i.id, i.status, i.crew_id, (SELECT code FROM crews WHERE id = i.crew_id) AS crew, "
        "i.queued_crew_id, i.zone_class, z.restore_target_min, i.first_report_at, i.assigned_at, "
        "i.on_site_at, i.restored_at, i.arrival_unverified, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, "
        "greatest(i.first_report_at, (SELECT max(e.at) FROM incident_events e WHERE e.incident_id = i.id "
        "AND e.type IN ('accepted', 'en_route', 'on_site', 'restored', 'closed', 'cancelled'))) AS latest_at "
        "FROM incidents i LEFT JOIN zones z ON z.id = i.zone_id WHERE i.id = :id FOR UPDATE OF i"
    ), {"id": incident_id}).mappings().first()
    return None if row is None else dict(row)


def count_dispatch(connection: Connection, incident_id: int, at: datetime) -> None:
    """A crew was sent: count it, and keep when the first one was (the work order's "dispatched")."""
    connection.execute(text(
        "UPDATE incidents SET dispatched_at = coalesce(dispatched_at, :at), crews_assigned = crews_assigned + 1 "
        "WHERE id = :id"), {"id": incident_id, "at": at})


def record_cause(connection: Connection, incident_id: int, cause: str, replace: bool) -> None:
    """Keep the fault's cause on the incident: a closing report's replaces any (``replace``), the
    one given with "restored" only fills a missing one."""
    connection.execute(text(
        "UPDATE incidents SET cause = CASE WHEN :replace THEN :cause ELSE coalesce(cause, :cause) END WHERE id = :id"),
        {"id": incident_id, "cause": cause, "replace": replace})


def update_incident(connection: Connection, incident_id: int, **columns: Any) -> None:
    sets = "".join(f"{name} = :{name}, " for name in columns)
    connection.execute(text(f"UPDATE incidents SET {sets}updated_at = now() WHERE id = :id"),
                       {"id": incident_id, **columns})


def was_given_to(connection: Connection, incident_id: int, crew_code: str) -> bool:
    """Whether the incident was assigned to this crew at some time (its timeline says so)."""
    return connection.execute(text(
        "SELECT EXISTS (SELECT FROM incident_events WHERE incident_id = :id AND type = 'assigned' "
        "AND data->>'crew' = :crew)"), {"id": incident_id, "crew": crew_code}).scalar_one()


def refresh_arrival_flag(connection: Connection, incident_id: int) -> None:
    """An incident's arrival is unverified when every report of its earliest arrival is (one the
    desk recorded, or one proven phone report at that moment, makes it verified)."""
    connection.execute(text(
        "UPDATE incidents i SET arrival_unverified = coalesce((SELECT bool_and(coalesce("
        "(e.data->>'arrival_unverified')::bool, false)) FROM incident_events e "
        "WHERE e.incident_id = i.id AND e.type = 'on_site' AND e.at = i.on_site_at), false) WHERE i.id = :id"),
        {"id": incident_id})


def arrivals_without_place(connection: Connection, crew_id: int, start: datetime, end: datetime) -> list[dict]:
    """The crew's phone reports of arrival between ``start`` and ``end`` that came without a
    location (they are checked against the crew's GPS history)."""
    rows = connection.execute(text(
        "SELECT e.id, e.incident_id, e.at FROM incident_events e JOIN incidents i ON i.id = e.incident_id "
        "WHERE e.type = 'on_site' AND e.geom IS NULL AND e.at BETWEEN :start AND :end "
        "AND e.data ? 'arrival_unverified' AND i.crew_id = :crew"
    ), {"crew": crew_id, "start": start, "end": end})
    return [dict(r) for r in rows.mappings()]


def merge_event_data(connection: Connection, event_id: int, data: dict[str, Any]) -> None:
    connection.execute(text("UPDATE incident_events SET data = data || CAST(:data AS jsonb) WHERE id = :id"),
                       {"id": event_id, "data": json.dumps(data)})


def metres_from_incident(connection: Connection, incident_id: int, lon: float, lat: float) -> float | None:
    """How far a position is from the incident's location (None when it has none)."""
    return connection.execute(text(
        f"SELECT ST_Distance(geom::geography, {POINT}::geography) FROM incidents WHERE id = :id"
    ), {"id": incident_id, "lon": lon, "lat": lat}).scalar()


#: An incident as intake answers with it (``i``, its crew ``cr``).
_SUMMARY = ("i.id, i.status, i.device_kind, i.device_code, i.customers_affected, i.report_count, "
            "i.arrival_deadline, i.hazard, i.unlocated, cr.code AS crew, i.eta_s")
_LOCATED = ("r.located_method, r.bus_id, c.account_no, b.code AS bus, t.code AS transformer, s.code AS source, "
            "z.code AS zone, coalesce(z.class, i.zone_class) AS zone_class, r.zone_defaulted, r.distance_m, "
            "ST_X(r.located_geom) AS lon, ST_Y(r.located_geom) AS lat")


def incident_summary(connection: Connection, incident_id: int) -> dict[str, Any]:
    row = connection.execute(text(
        f"SELECT {_SUMMARY} FROM incidents i LEFT JOIN crews cr ON cr.id = i.crew_id WHERE i.id = :id"),
        {"id": incident_id}).mappings().one()
    return dict(row)


def report_incident(connection: Connection, report_id: int) -> int:
    return connection.execute(text("SELECT incident_id FROM reports WHERE id = :id"), {"id": report_id}).scalar_one()


def report_answer(connection: Connection, report_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """How a stored report was located, with the codes of what it was located on, and its incident
    (:func:`incident_summary`): intake's answer in one round trip."""
    row = connection.execute(text(
        f"SELECT {_LOCATED}, {_SUMMARY} FROM reports r JOIN incidents i ON i.id = r.incident_id "
        "LEFT JOIN crews cr ON cr.id = i.crew_id LEFT JOIN customers c ON c.id = r.customer_id "
        "LEFT JOIN buses b ON b.id = r.bus_id LEFT JOIN transformers t ON t.id = r.transformer_id "
        "LEFT JOIN sources s ON s.id = r.source_id LEFT JOIN zones z ON z.id = r.zone_id WHERE r.id = :id"
    ), {"id": report_id}).mappings().one()
    located = ("located_method", "bus_id", "account_no", "bus", "transformer", "source", "zone", "zone_class",
               "zone_defaulted", "distance_m", "lon", "lat")
    return {k: row[k] for k in located}, {k: v for k, v in row.items() if k not in located}


def crews_of(connection: Connection, incident_ids: list[int]) -> list[int]:
    """The crews working on these incidents."""
    return connection.execute(text("SELECT DISTINCT crew_id FROM incidents WHERE id = ANY(:ids) AND crew_id IS NOT NULL"),
                              {"ids": incident_ids}).scalars().all()
