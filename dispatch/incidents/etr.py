"""The estimated restoration time (ETR) of an open incident: when its crew gets there, plus how long
repairs like it have taken.

* No crew yet: no estimate (a time made up before anyone is on the way would only be taken back).
* A crew on the way: its arrival is when it was sent plus its driving time then (``eta_s``), or now
  when that has passed (a late crew is about to arrive, not back in time).
* On site: the arrival is known.
* The repair takes the median on-site -> restored time of past repairs of the narrowest group with
  at least ``min_samples`` of them: same cause, device kind and zone; cause and kind; kind and zone;
  kind; all repairs; before there is any history, the configured default. The cause is usually
  known only at restoration; when it is, the narrower groups count.
* The estimate never lies in the past: a repair that overruns moves it to now.

The estimate is refreshed with every change of an incident that the desk sees (assignment, on the
way, on site, reassignment, merge: every unit of work writes its live messages through
:meth:`dispatch.crews.assignment.Dispatcher.record_messages`, which refreshes it first), and kept
at restoration: the last estimate given and the first stay on the incident for the accuracy report.
Each estimate carries its basis for the desk ("ETA 18 min + typical repair 95 min (cable faults,
42 past repairs)")."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import Connection

from dispatch.core.config import Settings
from dispatch.incidents import etr_store
from dispatch.incidents.causes import taxonomy


@dataclass(frozen=True)
class EtrRules:
    """The settings the estimate follows."""

    #: Past repairs a group needs before its median is trusted.
    min_samples: int
    #: Repairs restored longer ago than this are not learned from (crews, equipment and roads change).
    history_days: float
    #: Repair time before there is enough history, in seconds.
    default_repair_s: float
    cause_taxonomy_file: str = ""
    #: Seconds a process keeps what it learned of a group of repairs (the medians over a year of
    #: restorations change slowly; reading them costs tens of milliseconds per 10,000 repairs).
    learned_ttl_s: float = 300.0

    @classmethod
    def of(cls, settings: Settings) -> "EtrRules":
        return cls(settings.etr_min_samples, settings.etr_history_days, settings.etr_default_repair_min * 60,
                   settings.cause_taxonomy_file, settings.etr_learned_ttl_s)


class LearnedRepairTimes:
    """What each process has learned of past repairs, per (database, window, cause, device kind, zone), for
    ``learned_ttl_s``: intake in a storm estimates again with every call, and would otherwise read
    a year of restorations each time (BENCHMARKS.md)."""

    def __init__(self) -> None:
        self._kept: dict[tuple, tuple[float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def groups(self, connection: Connection, since: datetime, incident: dict[str, Any],
               ttl_s: float) -> list[dict[str, Any]]:
        # The window's start to the hour: a clock moved (a demo storm replayed, a test) or another
        # history window learns afresh instead of reusing another window's medians.
        key = (connection.engine.url.render_as_string(), since.replace(minute=0, second=0, microsecond=0),
               incident["cause"], incident["device_kind"], incident["zone_id"])
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and time.monotonic() - kept[0] < ttl_s:
            return kept[1]
        learned = etr_store.repair_times(connection, since, incident["cause"], incident["device_kind"],
                                         incident["zone_id"])
        with self._lock:
            self._kept[key] = (time.monotonic(), learned)
        return learned


LEARNED = LearnedRepairTimes()


def refresh(connection: Connection, incident_ids: Iterable[int], now: datetime, rules: EtrRules) -> None:
    """Estimate again the open incidents of ``incident_ids`` and store each estimate with its basis
    (in the caller's transaction). Incidents no longer open keep the estimate last given."""
    ids = sorted(set(incident_ids))
    if not ids:
        return
    learned: dict[tuple, dict[str, Any]] = {}  # a storm's unit of work asks for the same groups often
    for incident in etr_store.open_incidents(connection, ids):
        key = (incident["cause"], incident["device_kind"], incident["zone_id"])
        if key not in learned:
            learned[key] = typical_repair(connection, incident, now, rules)
        etr_at, basis = estimate(incident, learned[key], now)
        if moved(etr_at, basis, incident):
            etr_store.write_estimate(connection, incident["id"], etr_at, basis)


def moved(etr_at: datetime | None, basis: dict[str, Any], incident: dict[str, Any]) -> bool:
    """Whether an estimate differs from the one stored beyond its crew counting down to arrival: a
    crew on time keeps the same estimated time while its ETA shrinks, so the basis stays the one the
    estimate was made with (the ETA when it was given). Rewriting it with every call that joined
    the incident cost a storm's intake a write a call and told nobody anything new."""
    stored = incident["etr_basis"]
    if etr_at != incident["etr_at"] or stored is None:
        return True
    return {**basis, "eta_s": None, "summary": None} != {**stored, "eta_s": None, "summary": None}


def typical_repair(connection: Connection, incident: dict[str, Any], now: datetime, rules: EtrRules) -> dict[str, Any]:
    """The repair time to expect for ``incident``: the narrowest group of past repairs with enough of
    them, else the default; with what it was learned from."""
    since = now - timedelta(days=rules.history_days)
    for group in LEARNED.groups(connection, since, incident, rules.learned_ttl_s):
        if group["samples"] >= rules.min_samples:
            named = group["group"]
            return {"repair_s": round(float(group["median_s"]), 1), "group": named, "samples": group["samples"],
                    "cause": incident["cause"] if named.startswith("cause") else None,
                    "device_kind": incident["device_kind"] if named != "all" else None,
                    "zone": incident["zone"] if named.endswith("zone") else None,
                    "cause_label": cause_label(incident["cause"], rules) if named.startswith("cause") else None}
    return {"repair_s": rules.default_repair_s, "group": "default", "samples": 0, "cause": None,
            "device_kind": None, "zone": None, "cause_label": None}


def estimate(incident: dict[str, Any], repair: dict[str, Any], now: datetime) -> tuple[datetime | None, dict[str, Any]]:
    """The estimate for one open incident and its basis (JSON-ready)."""
    if incident["on_site_at"] is not None:
        arrival, eta_s = incident["on_site_at"], None
    elif incident["crew_id"] is not None and incident["assigned_at"] is not None and incident["eta_s"] is not None:
        arrival = max(incident["assigned_at"] + timedelta(seconds=incident["eta_s"]), now)
        eta_s = round((arrival - now).total_seconds(), 1)
    else:
        return None, {"waiting_for_crew": True, "summary": "no crew yet: no estimate"}
    etr_at = max(arrival + timedelta(seconds=repair["repair_s"]), now)
    basis = {"on_site": eta_s is None, "eta_s": eta_s, **repair}
    basis["summary"] = summary(basis)
    return etr_at, basis


def etr_shown(etr_at: datetime | None, now: datetime) -> datetime | None:
    """The estimate a customer is told: none once it has passed with the power still off (a repair
    that overran), rather than a time already gone; the desk sees the stored one, and the next
    change of the incident estimates again."""
    return etr_at if etr_at is None or etr_at >= now else None


def summary(basis: dict[str, Any]) -> str:
    """The basis in one English line for API clients (the desk words it in its own language)."""
    arrival = "crew on site" if basis["on_site"] else f"ETA {round(basis['eta_s'] / 60)} min"
    repair = f"typical repair {round(basis['repair_s'] / 60)} min"
    if basis["group"] == "default":
        return f"{arrival} + {repair} (default: too few past repairs)"
    what = [basis["cause_label"] or basis["cause"], basis["device_kind"] and f"{basis['device_kind']} faults",
            basis["zone"] and f"zone {basis['zone']}"]
    label = ", ".join(w for w in what if w) or "all faults"
    return f"{arrival} + {repair} ({label}, {basis['samples']} past repairs)"


def cause_label(cause: str | None, rules: EtrRules, language: str = "en") -> str | None:
    """A cause code's label in the taxonomy (the code itself when the taxonomy does not know it)."""
    if cause is None:
        return None
    category, _, name = cause.partition(".")
    labels = taxonomy(rules.cause_taxonomy_file).get(category, {}).get("causes", {}).get(name)
    return labels.get(language, cause) if isinstance(labels, dict) else cause
