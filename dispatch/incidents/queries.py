"""Incidents as dispatchers read them: filtered lists and one incident in full."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from dispatch.core.db import text
from dispatch.incidents.store import OPEN

#: The SLA state the desk colours an open incident by: the latest warning the sweeper recorded for
#: the clock that runs now (arrival until the crew is on site, then restoration), else on_track.
SLA_STATE = (
    f"CASE WHEN i.status IN {OPEN} THEN coalesce((SELECT CASE e.type WHEN 'restoration_breached' "
    "THEN 'breached' ELSE e.type END FROM incident_events e WHERE e.incident_id = i.id "
    "AND e.type IN ('at_risk', 'breached', 'restoration_breached') "
    "AND (e.type = 'restoration_breached') = (i.on_site_at IS NOT NULL) ORDER BY e.at DESC, e.id DESC LIMIT 1), "
    "'on_track') END"
)
#: The highest escalation level the running clock has reached (SLA_WARNING_LEVELS): its percent,
#: clock and deadline, whom it was for and whom it reached (dispatch/incidents/escalation.py), so the
#: list can say who has been told and the crew's phone can show it; null below the first level.
WARNING = (
    f"CASE WHEN i.status IN {OPEN} THEN (SELECT json_build_object('percent', (e.data->>'percent')::int, "
    "'clock', e.data->>'clock', 'deadline', CASE WHEN i.on_site_at IS NULL THEN i.arrival_deadline "
    "ELSE i.restore_deadline END, 'notify', e.data->>'notify', "
    "'sent_to', coalesce(e.data->>'sent_to', e.data->>'notify'), 'crew', e.data->>'crew', "
    "'station_head', e.data->>'station_head', 'instead_of', e.data->>'instead_of') FROM incident_events e WHERE e.incident_id = i.id AND e.type = 'deadline_warning' "
    "AND e.data->>'clock' = CASE WHEN i.on_site_at IS NULL THEN 'arrival' ELSE 'restoration' END "
    "ORDER BY (e.data->>'percent')::int DESC LIMIT 1) END"
)
#: An incident found by what a caller would tell the desk: its number, or the account number,
#: phone or address of one of its calls (as the caller gave them or as the customer is on record).
SEARCH = (
    "(i.id = :q_id OR EXISTS (SELECT FROM reports r LEFT JOIN customers c ON c.id = r.customer_id "
    "WHERE r.incident_id = i.id AND (r.account_no = :q OR c.account_no = :q "
    "OR (length(:q_digits) >= 5 AND (c.phone_digits = :q_digits "
    "OR regexp_replace(r.phone, '[^0-9]', '', 'g') = :q_digits)) "
    "OR c.address ILIKE :q_like OR r.address ILIKE :q_like)))"
)

SUMMARY = (
    "json_build_object('id', i.id, 'status', i.status, "
    "'device', json_build_object('kind', i.device_kind, 'code', i.device_code), "
    "'location', ST_AsGeoJSON(i.geom, 7)::json, 'zone', z.code, 'class', i.zone_class, "
    "'zone_defaulted', i.zone_defaulted, 'hazard', i.hazard, 'unlocated', i.unlocated, "
    "'customers_affected', i.customers_affected, 'report_count', i.report_count, "
    "'first_report_at', i.first_report_at, 'arrival_deadline', i.arrival_deadline, "
    "'merged_into', i.merged_into_id, 'source', s.code, 'updated_at', i.updated_at, "
    "'crew', (SELECT code FROM crews WHERE id = i.crew_id), 'crew_id', i.crew_id, 'eta_s', i.eta_s, "
    "'assigned_at', i.assigned_at, 'on_site_at', i.on_site_at, 'restore_deadline', i.restore_deadline, "
    "'restored_at', i.restored_at, 'closed_at', i.closed_at, 'required_skills', i.required_skills, "
    # Waiting with nobody on duty who has every skill it needs: the desk says so, not only "waiting".
    "'no_qualified_crew', i.crew_id IS NULL AND i.status = 'new' AND NOT EXISTS (SELECT 1 FROM crews c "
    "WHERE c.on_duty AND c.skills @> i.required_skills), "
    "'critical_customers', i.critical_customers, 'arrival_unverified', i.arrival_unverified, "
    "'queued_for', (SELECT code FROM crews WHERE id = i.queued_crew_id), 'queued_at', i.queued_at, "
    "'etr_at', i.etr_at, 'etr_first_at', i.etr_first_at, 'etr_basis', i.etr_basis, "
    f"'sla_state', {SLA_STATE}, 'warning', {WARNING}, 'customer_side', i.customer_side, "
    "'parent_incident', i.parent_incident_id)"
)
FROM = "FROM incidents i LEFT JOIN zones z ON z.id = i.zone_id LEFT JOIN sources s ON s.id = i.source_id"


def incidents_page(connection: Connection, *, statuses: list[str] | None, zone: str | None,
                   zone_class: str | None, bbox: tuple[float, float, float, float] | None,
                   since: datetime | None, arrival_unverified: bool | None, after: int,
                   limit: int, search: str | None = None, scope: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """A page of incidents (newest first, keyset paging on id), as (id, JSON text); with a
    ``scope`` of zones, only theirs and those in no zone (which belong to no desk: better seen
    by every desk than by none)."""
    where = ["(:after = 0 OR i.id < :after)"]
    params: dict[str, Any] = {"after": after, "limit": limit}
    if statuses:
        where.append("i.status = ANY(:statuses)")
        params["statuses"] = statuses
    if zone:
        where.append("z.code = :zone")
        params["zone"] = zone
    if zone_class:
        where.append("i.zone_class = :zone_class")
        params["zone_class"] = zone_class
    if bbox:
        where.append("i.geom && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)")
        params.update(zip(("minlon", "minlat", "maxlon", "maxlat"), bbox))
    if since:
        where.append("i.first_report_at >= :since")
        params["since"] = since
    if arrival_unverified is not None:
        where.append("i.arrival_unverified = :unverified")
        params["unverified"] = arrival_unverified
    if scope:
        where.append("(z.code IS NULL OR z.code = ANY(:scope))")
        params["scope"] = list(scope)
    if search:
        where.append(SEARCH)
        params.update(search_params(search))
    rows = connection.execute(text(
        f"SELECT i.id, {SUMMARY}::text {FROM} WHERE {' AND '.join(where)} ORDER BY i.id DESC LIMIT :limit"
    ), params)
    return [(row[0], row[1]) for row in rows]


def like_literal(typed: str) -> str:
    """``typed`` for a LIKE pattern, its wildcards and escape character taken literally."""
    return re.sub(r"([\\%_])", r"\\\1", typed)


def search_params(search: str) -> dict[str, Any]:
    """The bound values of SEARCH: ``search`` as an incident number, an exact account number, the
    digits of a phone number, and a fragment of an address (LIKE wildcards taken literally)."""
    digits = re.sub(r"[^0-9]", "", search)
    literal = like_literal(search)
    return {"q": search, "q_id": int(search) if search.isdigit() and len(search) < 16 else -1,
            "q_digits": digits, "q_like": f"%{literal}%"}


def incident_detail(connection: Connection, incident_id: int) -> str | None:
    """One incident with its reports (including those of incidents merged into it) and timeline."""
    return connection.execute(text(
        f"SELECT ({SUMMARY}::jsonb || jsonb_build_object("
        "'reports', coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id, 'channel', r.channel, "
        "'received_at', r.received_at, 'kind', r.kind, 'hazard', r.hazard, 'description', r.description, "
        "'account_no', c.account_no, 'located_method', r.located_method, "
        "'location', ST_AsGeoJSON(r.located_geom, 7)::jsonb, 'external_id', r.external_id) ORDER BY r.received_at, r.id) "
        "FROM reports r LEFT JOIN customers c ON c.id = r.customer_id WHERE r.incident_id = i.id), '[]'), "
        "'merged', coalesce((SELECT jsonb_agg(m.id ORDER BY m.id) FROM incidents m WHERE m.merged_into_id = i.id), '[]'), "
        # Nested outages found after this one was restored (their parent_incident is this one).
        "'nested', coalesce((SELECT jsonb_agg(n.id ORDER BY n.id) FROM incidents n WHERE n.parent_incident_id = i.id), "
        "'[]'), "
        "'timeline', coalesce((SELECT jsonb_agg(jsonb_build_object('type', e.type, 'at', e.at, "
        "'recorded_at', e.recorded_at, 'actor', e.actor, 'note', e.note, 'data', e.data) ORDER BY e.at, e.id) "
        "FROM incident_events e WHERE e.incident_id = i.id), '[]')))::text "
        f"{FROM} WHERE i.id = :id"
    ), {"id": incident_id}).scalar()

