"""Smart-meter events from the AMI head-end: last gasps and power-restored, in batches.

A last gasp is a certain "out" for its customer: it becomes a report of the ``ami`` channel,
located by the meter's customer (never guessed from an address) and grouped by outage inference
like a call. A power-restored is a certain "on": inference never predicts an area above that
customer (:mod:`dispatch.gis.inference`), it withdraws the customer's earlier calls and gasps, and
it verifies restorations (:mod:`dispatch.incidents.verification`). A last gasp followed by its
power-restored before we take it in (a momentary interruption, or a batch delayed in the
head-end) opens nothing: the customer is on.

Head-ends resend whole batches when they are not sure one arrived, so each event counts once,
by the head-end's event id or by meter, kind and time; and an event that cannot be taken in (a
meter nobody knows) is skipped and listed, not allowed to refuse the good ones: refused, the batch
would come back with the same bad event for ever.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.gis.grid import TopologyCache
from dispatch.incidents import evidence_store as store
from dispatch.incidents.intake import NewReport, ReportIntake
from dispatch.incidents.interfaces import CrewDispatch
from dispatch.incidents.locating import Locators

_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class MeterEvent:
    """One event as the head-end sent it: ``row`` is its place in the batch; ``meter`` or
    ``account_no`` names the customer."""

    row: int
    kind: str
    at: datetime
    event_id: str | None = None
    meter: str | None = None
    account_no: str | None = None

    @property
    def key(self) -> str:
        if self.event_id is not None:
            return self.event_id
        who = f"meter:{self.meter}" if self.meter is not None else f"account:{self.account_no}"
        return f"{who}|{self.kind}|{self.at.astimezone(timezone.utc).isoformat()}"  # one instant, one key


@dataclass
class MeterBatch:
    """What became of a batch."""

    accepted: int = 0
    duplicates: int = 0
    #: Last gasps whose power-restored came too (the customer is on): no report.
    momentary: int = 0
    #: Last gasps from inside planned work under way: kept with it, no incident.
    planned_work: int = 0
    incidents: set[int] = field(default_factory=set)
    rejected: list[FieldProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "momentary": self.momentary,
                "planned_work": self.planned_work, "incidents": sorted(self.incidents), "rejected": [p.as_dict() for p in self.rejected]}


def take_meter_events(session: Session, settings: Settings, topologies: TopologyCache, dispatcher: CrewDispatch,
                      events: list[MeterEvent], rejected: list[FieldProblem],
                      channel_client_id: int | None = None,
                      planned_work: Callable[[NewReport], bool] | None = None) -> MeterBatch:
    """Store each new event of the batch, oldest first; each last gasp goes through the intake
    (which commits it with its report, on behalf of ``channel_client_id``, the head-end's client
    when it posted them), unless ``planned_work`` keeps it (and commits): opening a switch for
    planned work makes every meter behind it gasp, and no crew is to be sent for that.
    ``rejected``: the events already found invalid; raises :class:`InvalidInput` when no event
    names a known customer."""
    batch = MeterBatch(rejected=list(rejected))
    connection = session.connection()
    by_account, by_meter = store.customers_named(
        connection, sorted({e.account_no for e in events if e.account_no is not None}),
        sorted({e.meter for e in events if e.meter is not None}))
    known: list[tuple[MeterEvent, tuple]] = []
    for event in events:
        customer = by_meter.get(event.meter) if event.meter is not None else by_account.get(event.account_no)
        if customer is None:
            name, value = ("meter", event.meter) if event.meter is not None else ("account_no", event.account_no)
            batch.rejected.append(FieldProblem(f"events[{event.row}].{name}", f"no customer has {name} {value!r}"))
        else:
            known.append((event, customer))
    batch.rejected.sort(key=lambda p: int(p.field.split("[")[1].split("]")[0]))
    if not known:
        raise InvalidInput("no event of the batch names a known meter or account; nothing was stored", batch.rejected)
    restored = store.latest_restored(connection, sorted({c[0] for _, c in known}))
    for event, (customer_id, *_) in known:  # the batch's own power-restored count too
        if event.kind == "power_restored":
            restored[customer_id] = max(event.at, restored.get(customer_id, event.at))
    seen: set[str] = set()
    unique = []
    for event, customer in sorted(known, key=lambda k: (k[0].at, k[0].row)):
        if event.key in seen:
            batch.duplicates += 1
        else:
            seen.add(event.key)
            unique.append((event, customer))
    now = clock.now()
    supplied = [(e, c) for e, c in unique if e.kind == "power_restored"]
    stored = store.insert_meter_events(session.connection(), [(e.key, e.kind, e.at, c[0]) for e, c in supplied], now)
    batch.accepted += len(stored)
    batch.duplicates += len(supplied) - len(stored)
    session.commit()
    bursts: dict[str, list[tuple[MeterEvent, tuple]]] = {}
    for event, customer in unique:
        if event.kind == "last_gasp":
            bursts.setdefault(customer[2], []).append((event, customer))
    intake = ReportIntake(session, settings, topologies, dispatcher)
    for burst in bursts.values():
        _take_burst(session, intake, burst, restored, now, batch, channel_client_id, planned_work)
    batch.incidents = store.carrying_on(session.connection(), sorted(batch.incidents))
    session.commit()
    return batch


def _take_burst(session: Session, intake: ReportIntake, burst: list[tuple[MeterEvent, tuple]],
                restored: dict[int, datetime], now: datetime, batch: MeterBatch,
                channel_client_id: int | None, planned_work: Callable[[NewReport], bool] | None) -> None:
    """The last gasps of one transformer (or bus) in a batch, oldest first: the first and the last
    go through the intake (the last re-predicts with all of them), those between are stored in the
    first one's incident. A storm's gasps come in bursts per transformer; deciding each one alone
    would run inference once per meter for the same answer. Each event is stored in the
    transaction of its report."""
    def report(event: MeterEvent, account: str) -> NewReport:
        return NewReport(channel="ami", received_at=event.at, locators=Locators(account_no=account), kind="no_power",
                         description="smart meter: last gasp", external_id=f"ami:{event.key}",
                         channel_client_id=channel_client_id)

    incident = None
    for part in (burst[:1], burst[1:]):
        stored = store.insert_meter_events(session.connection(), [(e.key, e.kind, e.at, c[0]) for e, c in part], now)
        batch.accepted += len(stored)
        batch.duplicates += len(part) - len(stored)
        fresh = [(e, c) for e, c in part if e.key in stored]
        batch.momentary += sum(1 for e, c in fresh if restored.get(c[0], e.at - _INSTANT) >= e.at)
        fresh = [(e, c) for e, c in fresh if restored.get(c[0], e.at - _INSTANT) < e.at]
        reports: dict[int, int] = {}
        for k, (event, (_, account, _)) in enumerate(fresh):
            if planned_work is not None and planned_work(report(event, account)):
                batch.planned_work += 1
                continue
            if incident is not None and k < len(fresh) - 1 \
                    and (attached := intake.attach(report(event, account), incident)) is not None:
                reports[stored[event.key]] = attached
                continue
            taken = intake.submit(report(event, account))  # commits what came before it
            incident = taken.incident["id"]
            batch.incidents.add(incident)
            reports[stored[event.key]] = taken.report_id
        if reports:
            store.attach_reports(session.connection(), reports)
        session.commit()
