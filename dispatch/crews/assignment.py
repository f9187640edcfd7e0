"""Which crew goes: the free, on-duty crew that can reach the fault first by road.

Rules (README, "Dispatch"):
* a crew qualifies when it has every skill the incident needs (the utility's rules,
  dispatch/gis/skills.py; by default "mv" for a device above the transformers, "lv" at or below);
* among free, qualified crews that can reach the fault, the least driving time wins; equal
  times go to the crew whose code sorts first;
* a crew starts from its last position if that is fresh, else from its depot;
* driving times are exact shortest times on the road graph, searched up to ROUTING_HORIZON_S
  (2 h): a crew farther away is listed without a time and is not sent;
* when no crew is free the incident waits; a crew that frees up takes the waiting incident with
  the highest priority: hazards first, then critical or life-support customers, then the least
  slack (arrival deadline - now - driving time), then the most customers affected;
* a dispatcher may line a waiting incident up for a busy crew (its queue): that crew takes its
  queued incidents first, in the order they were queued, and no other crew takes them; a crew
  going off duty returns its queue to the common waiting list, one given other skills the queued
  incidents it no longer qualifies for (dispatch/crews/roster.py).

Every change of which crew works on which incident is made under the dispatch lock
(:mod:`dispatch.core.locks`: one decision at a time, so that a crew freed and an incident left
waiting always see each other); the methods here take it, and callers that lock incident or crew
rows first take it before (:meth:`Dispatcher.lock`).

Nothing here commits: callers own the transaction. The dispatcher notes every incident and crew
it changes; the caller has their live messages written (:meth:`Dispatcher.record_messages`) just
before it commits.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

import numpy as np
from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.core.errors import Conflict, NotFound
from dispatch.core.locks import lock_dispatch, lock_dispatch_shared
from dispatch.crews import assignment_store as store
from dispatch.crews import store as crew_store
from dispatch.crews.messages import record_crews
from dispatch.gis.skills import has_skills
from dispatch.incidents import etr, notices
from dispatch.incidents import store as incident_store
from dispatch.incidents.etr import EtrRules
from dispatch.incidents.messages import record_incidents
from dispatch.routing import store as road_store
from dispatch.routing.engine import RoadGraphCache
from dispatch.routing.hierarchy import HierarchyGraph


def qualified(crew: dict[str, Any], incident: dict[str, Any]) -> bool:
    """The crew has every skill the incident needs."""
    return has_skills(crew["skills"], incident["required_skills"])


#: A crew's status while its job is at each step (a freed crew takes the next waiting job).
CREW_STATUS = {"accepted": "assigned", "en_route": "en_route", "on_site": "on_site"}


class Dispatcher:
    """Crew assignment on one session; it is the :class:`~dispatch.incidents.interfaces.CrewDispatch`
    the incident workflows are given."""

    def __init__(self, session: Session, settings: Settings, graphs: RoadGraphCache):
        self.session = session
        self.settings = settings
        self.graphs = graphs
        #: Crew origins for one (graph, time): fill_free_crews asks for them once per free crew.
        self._origins_memo: tuple[tuple[int, datetime, bool], list[dict[str, Any]]] | None = None
        #: What this unit of work changed that screens show: incidents (each with the crews it was
        #: taken from) and crews; record_messages writes them to the outbox.
        self._changed_incidents: dict[int, set[int]] = {}
        self._changed_crews: set[int] = set()
        #: The session transaction that holds the dispatch lock (kept, so that it is not mistaken
        #: for a later one).
        self._locked_in: object | None = None
        #: The session transaction that holds the dispatch lock shared (:meth:`lock_to_wait`).
        self._shared_in: object | None = None

    def lock(self) -> None:
        """Take the dispatch lock for this transaction (before any incident or crew row); once per
        transaction (the methods below all ask for it)."""
        connection = self._connection  # begins the session's transaction if none is open
        if self.session.get_transaction() is not self._locked_in:
            if self.session.get_transaction() is self._shared_in:
                raise RuntimeError("this transaction holds the dispatch lock shared: it cannot take it whole")
            lock_dispatch(connection)
            self._locked_in = self.session.get_transaction()

    def lock_to_wait(self, needs: list[str], still: Callable[[], bool]) -> bool:
        """Hold the dispatch lock shared, to open an incident that must wait, beside other such
        openings (:mod:`dispatch.core.locks`): true when, read under it, no free on-duty crew has
        every skill of ``needs`` and ``still()`` holds. No crew can be freed, come on duty or
        gain a skill before this transaction ends (each of those holds the lock whole, so waits
        for it, and then sees the incident), so the incident rightly waits. Else nothing is held
        (the shared lock is let go with a savepoint) and the caller takes the lock whole. The crews
        are looked at first without the lock, too: outside a storm one is usually free, and the
        call goes straight for the lock whole."""
        if crew_store.any_free_with(self._connection, needs):
            return False
        savepoint = self.session.begin_nested()
        lock_dispatch_shared(self._connection)
        if not crew_store.any_free_with(self._connection, needs) and still():
            savepoint.commit()
            self._shared_in = self.session.get_transaction()
            return True
        savepoint.rollback()
        return False

    @property
    def holds_lock(self) -> bool:
        """Whether this transaction has taken the dispatch lock (whole)."""
        return self._locked_in is not None and self.session.get_transaction() is self._locked_in

    @property
    def holds_lock_shared(self) -> bool:
        """Whether this transaction holds the dispatch lock shared (:meth:`lock_to_wait`)."""
        return self._shared_in is not None and self.session.get_transaction() is self._shared_in

    def changed(self, incidents: Iterable[int] = (), crews: Iterable[int] = (), taken_from: int | None = None) -> None:
        """Note incidents and crews changed in this unit of work (``taken_from``: a crew the
        incidents were just taken from, whose phone must hear of it)."""
        for incident_id in incidents:
            self._changed_incidents.setdefault(incident_id, set()).update(() if taken_from is None else (taken_from,))
        self._changed_crews.update(crews)

    def record_messages(self, now: datetime, incident_ids: Iterable[int] = ()) -> None:
        """Write the live messages of ``incident_ids`` and of everything noted as changed to the
        outbox, once each, in the caller's transaction; call it just before committing. The
        incidents' restoration estimates are refreshed first, so every change moves them; the stages
        customers are told of are noted with them (dispatch/incidents/notices.py)."""
        self.changed(incident_ids)
        etr.refresh(self._connection, self._changed_incidents, now, EtrRules.of(self.settings))
        record_incidents(self._connection, self._changed_incidents, self._changed_incidents)
        notices.record(self._connection, self._changed_incidents, now, self.settings.notify_etr_margin_min)
        fresh_since = now - timedelta(seconds=self.settings.crew_position_max_age_s)
        record_crews(self._connection, self._changed_crews, fresh_since)
        self._changed_incidents, self._changed_crews = {}, set()

    @property
    def _connection(self):
        return self.session.connection()

    def _incident(self, incident_id: int) -> dict[str, Any]:
        found = store.incident(self._connection, incident_id)
        if found is None:
            raise NotFound(f"there is no incident {incident_id}")
        return found

    def _locked(self, incident_id: int) -> dict[str, Any]:
        """The incident, under the dispatch lock and its row locked for the change."""
        self.lock()
        found = store.locked_incident(self._connection, incident_id)
        if found is None:
            raise NotFound(f"there is no incident {incident_id}")
        return found

    def _node_of(self, incident: dict[str, Any]) -> int | None:
        if incident["road_node_id"] is None and incident["lon"] is not None:
            incident["road_node_id"] = road_store.nearest_node(self._connection, incident["lon"], incident["lat"])
            store.set_road_node(self._connection, incident["id"], incident["road_node_id"])
        return incident["road_node_id"]

    def _origins(self, graph: HierarchyGraph, now: datetime, free_only: bool = False) -> list[dict[str, Any]]:
        """The on-duty crews' origins (:func:`crew_store.origins`), read once per graph and
        moment; ``free_only``: the free ones only (a storm's hundreds of busy crews, not read)."""
        key = (graph.version, now, free_only)
        if self._origins_memo is not None and self._origins_memo[0] == key:
            return [dict(crew) for crew in self._origins_memo[1]]
        fresh = now - timedelta(seconds=self.settings.crew_position_max_age_s)
        crews = crew_store.origins(self._connection, fresh, free_only)
        for crew in crews:
            if crew["node"] is None and crew["origin"] == "position":  # imported, not yet snapped
                crew["node"] = self._snap(graph, (crew["lon"], crew["lat"]))
            if crew["node"] is None:
                crew["origin"] = "depot"
                crew["node"] = self._snap(graph, (crew["depot_lon"], crew["depot_lat"]))
        self._origins_memo = (key, crews)
        return [dict(crew) for crew in crews]

    def _snap(self, graph: HierarchyGraph, place: tuple[float, float]) -> int | None:
        """The road node of a fixed place, once per graph (keyed by place: a moved depot snaps anew)."""
        if place not in graph.snapped:
            graph.snapped[place] = road_store.nearest_node(self._connection, *place)
        return graph.snapped[place]

    def candidates(self, incident_id: int, now: datetime) -> list[dict[str, Any]]:
        """Every on-duty crew with its driving time to the incident, the fastest first."""
        return self._timed(self._incident(incident_id), now)

    def _timed(self, incident: dict[str, Any], now: datetime, takers_only: bool = False) -> list[dict[str, Any]]:
        """:meth:`candidates` of an incident read; with ``takers_only``, only the free, qualified
        crews (in a storm most crews are busy: they are not even read, nor routed to)."""
        graph = self.graphs.current(self.session)
        crews = self._origins(graph, now, free_only=takers_only)
        if takers_only:
            crews = [crew for crew in crews if qualified(crew, incident)]
        node = self._node_of(incident)
        times = graph.seconds_to(node, [c["node"] or -1 for c in crews], self.settings.routing_horizon_s) \
            if node is not None else np.full(len(crews), np.inf)
        listed = [{
            "crew": crew["code"], "eta_s": round(float(seconds), 1) if np.isfinite(seconds) else None,
            "free": crew["status"] == "available", "qualified": qualified(crew, incident),
            "origin": crew["origin"], "id": crew["id"],
        } for crew, seconds in zip(crews, times)]
        return sorted(listed, key=lambda c: (c["eta_s"] is None, c["eta_s"] or 0.0, c["crew"]))

    def driving_times(self, incident_ids: list[int], now: datetime) -> dict[int, float | None]:
        """For each incident, its crew's driving time to it, or without a crew the fastest
        qualified crew's (None: no crew can reach it). A crew's own incidents: a search from the
        crew to them; the incidents without a crew: one search from all the crews qualified for
        them at once per set of skills needed (a storm's thousands of waiting incidents need a
        handful of sets), not one per crew."""
        graph = self.graphs.current(self.session)
        crews = {c["id"]: c for c in self._origins(graph, now) if c["node"] is not None}
        etas: dict[int, float | None] = dict.fromkeys(incident_ids)
        if not crews:  # nobody on duty (or placed): nothing can reach anything
            return etas
        horizon = self.settings.routing_horizon_s
        times: dict[int, float] = {}
        waiting: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        theirs: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for incident in store.incidents(self._connection, incident_ids):
            if incident["crew_id"] is None:
                waiting[tuple(incident["required_skills"])].append(incident)
            elif incident["crew_id"] in crews:
                theirs[incident["crew_id"]].append(incident)
        for crew_id, incidents in theirs.items():
            found = graph.seconds_from(crews[crew_id]["node"], [self._node_of(i) or -1 for i in incidents], horizon)
            times.update(zip((i["id"] for i in incidents), found))
        for incidents in waiting.values():
            able = [c["node"] for c in crews.values() if qualified(c, incidents[0])]
            found = graph.seconds_from_nearest(able, [self._node_of(i) or -1 for i in incidents], horizon)
            times.update(zip((i["id"] for i in incidents), found))
        etas.update((incident_id, round(float(t), 1)) for incident_id, t in times.items() if np.isfinite(t))
        return etas

    def route(self, incident_id: int, now: datetime) -> dict[str, Any]:
        """The assigned crew's fastest way to the incident: a GeoJSON Feature along the roads."""
        incident = self._incident(incident_id)
        if incident["crew_id"] is None:
            raise NotFound(f"incident {incident_id} has no crew")
        graph = self.graphs.current(self.session)
        crew = next((c for c in self._origins(graph, now) if c["id"] == incident["crew_id"]), None)
        node = self._node_of(incident)
        if crew is None or crew["node"] is None or node is None:
            raise Conflict("the crew or the incident is not on the road network")
        seconds, nodes, roads = graph.route(crew["node"], node)
        if not np.isfinite(seconds):
            raise Conflict(f"crew {crew['code']} cannot reach incident {incident_id} by road now")
        lines = road_store.road_lines(self._connection, sorted(set(roads)))
        coordinates: list[list[float]] = []
        for start, road in zip(nodes, roads):
            source, drawn = lines[road]
            coordinates += (drawn if source == start else drawn[::-1])[1 if coordinates else 0:]
        return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coordinates} if coordinates
                else None, "properties": {"crew": crew["code"], "origin": crew["origin"], "eta_s": round(seconds, 1),
                                          "incident": incident_id, "roads": len(roads)}}

    def assign_best(self, incident_id: int, now: datetime) -> dict[str, Any] | None:
        """Give a new incident without a crew to the best free crew, if there is one; else it waits.
        Under the lock held shared (:meth:`lock_to_wait`) none is: the incident only gets its place
        on the roads, which crews freed later are routed to."""
        if self.holds_lock_shared:
            self._node_of(self._incident(incident_id))
            return None
        incident = self._locked(incident_id)
        if incident["status"] != "new" or incident["crew_id"] is not None or incident["queued_crew_id"] is not None:
            return None  # under way, or lined up for a busy crew by the dispatcher
        for crew in self._timed(incident, now, takers_only=True):
            if crew["eta_s"] is not None and self._give(
                    incident_id, crew, now, "system"):
                return crew
        return None

    def assign(self, incident_id: int, crew_code: str | None, now: datetime, actor: str,
               queue: bool = False) -> dict[str, Any]:
        """A dispatcher's choice (or the best crew when none is named); frees a replaced crew.

        With ``queue``, a waiting incident given to a busy crew is lined up as that crew's next
        job (returned with ``queued``) instead of being refused.
        """
        incident = self._locked(incident_id)
        if incident["status"] not in ("new", "assigned", "accepted"):
            raise Conflict(f"incident {incident_id} is {incident['status']}; crews can be (re)assigned while it is "
                           "new, assigned or accepted")
        listed = {c["crew"]: c for c in self._timed(incident, now)}
        if crew_code is None:
            chosen = next((c for c in listed.values() if c["free"] and c["qualified"] and c["eta_s"] is not None),
                          None)
            if chosen is None:
                raise Conflict("no free, qualified crew can reach this incident now")
        else:
            record = crew_store.crew(self._connection, crew_code)
            if record is None:
                raise NotFound(f"there is no crew {crew_code!r}")
            chosen = listed.get(crew_code)
            if chosen is None:
                raise Conflict(f"crew {crew_code} is off duty")
            if chosen["id"] == incident["crew_id"]:
                return chosen  # it is theirs already: nothing changes (their progress stands)
            if not chosen["free"] and chosen["id"] != incident["crew_id"] and not queue:
                raise Conflict(f"crew {crew_code} is busy with another incident; queue it as their next job "
                               "with \"queue\": true")
            if not chosen["qualified"]:
                raise Conflict(f"crew {crew_code} lacks skills this incident needs: "
                               f"{', '.join(sorted(set(incident['required_skills']) - set(record['skills'])))}")
            if chosen["eta_s"] is None:
                raise Conflict(f"crew {crew_code} cannot reach this incident by road")
        if not chosen["free"] and chosen["id"] != incident["crew_id"]:
            return self._queue(incident, chosen, now, actor)
        previous = incident["crew_id"]
        if not self._give(incident_id, chosen, now, actor, replacing=True):
            raise Conflict(f"crew {chosen['crew']} was just given another incident; try again")
        for former in (previous, incident["queued_crew_id"]):
            if former is not None and former != chosen["id"]:
                self.changed([incident_id], taken_from=former)
        if previous is not None and previous != chosen["id"]:
            self.release(previous, now)
        return chosen

    def _queue(self, incident: dict[str, Any], crew: dict[str, Any], now: datetime, actor: str) -> dict[str, Any]:
        if incident["status"] != "new" or incident["crew_id"] is not None:
            raise Conflict(f"incident {incident['id']} is {incident['status']} with a crew; only a waiting incident "
                           "can be queued for a busy crew")
        if incident["queued_crew_id"] != crew["id"]:
            store.queue_job(self._connection, incident["id"], crew["id"], now)
            incident_store.add_event(self._connection, incident["id"], "queued", now, {"crew": crew["crew"]}, actor)
            self.changed([incident["id"]], taken_from=incident["queued_crew_id"])
        return {**crew, "queued": True}

    def _give(self, incident_id: int, crew: dict[str, Any], now: datetime, actor: str, replacing: bool = False) -> bool:
        """Claim the crew and put it on the incident (one waiting for a crew, unless ``replacing``
        the crew it has); False when the crew or the incident is taken."""
        self._origins_memo = None  # a crew's status changes below
        if not store.take_crew(self._connection, crew["id"], incident_id):
            return False
        self.changed(crews=[crew["id"]])
        if not store.give_job(self._connection, incident_id, crew["id"], now, crew["eta_s"], replacing):
            store.set_crew_status(self._connection, crew["id"], "available")
            return False
        incident_store.add_event(self._connection, incident_id, "assigned", now,
                                 {"crew": crew["crew"], "eta_s": crew["eta_s"]}, actor)
        incident_store.count_dispatch(self._connection, incident_id, now)
        self.changed([incident_id])
        return True

    def requalify(self, incident_id: int, now: datetime) -> dict[str, Any] | None:
        """After the incident moved to another device (a roll-up): a crew on it that lacks the skill
        the device needs is taken off (and freed), and the best qualified free crew is sent. Returns
        the crew sent, None when none was needed or none is free (then it waits)."""
        self.lock()
        incident_store.lock_incident(self._connection, incident_id)
        unqualified = store.unqualified_crew(self._connection, incident_id)
        if unqualified is None:
            return None
        store.take_job_back(self._connection, incident_id)
        incident_store.add_event(self._connection, incident_id, "unassigned", now,
                                 {"crew": unqualified["code"],
                                  "reason": f"needs {'+'.join(unqualified['required_skills'])}"})
        self.changed([incident_id], taken_from=unqualified["id"])
        self.release(unqualified["id"], now)
        return self.assign_best(incident_id, now)

    def follow_job(self, crew_id: int | None, status: str, now: datetime) -> None:
        """The crew follows its incident's new status; restored or cancelled frees it for the next job.
        Any other status (closed: the order archived) changes no crew and takes no dispatch lock:
        the caller holds the incident's row already, and taking the lock after it would invert the
        lock order (dispatch/core/locks.py)."""
        if crew_id is None or (status not in CREW_STATUS and status not in ("restored", "cancelled")):
            return
        self.lock()
        self._origins_memo = None  # the crew's status changes below
        self.changed(crews=[crew_id])
        if status in CREW_STATUS:
            store.set_crew_status(self._connection, crew_id, CREW_STATUS[status])
        elif status in ("restored", "cancelled"):
            self.release(crew_id, now)

    def release(self, crew_id: int, now: datetime) -> int | None:
        """The crew is free again: it takes the most urgent waiting incident it can reach."""
        self.lock()
        self._origins_memo = None
        store.set_crew_status(self._connection, crew_id, "available")
        self.changed(crews=[crew_id])
        return self.take_waiting(crew_id, now)

    def take_waiting(self, crew_id: int, now: datetime, waiting: list[dict[str, Any]] | None = None) -> int | None:
        """A free crew's next job: the first of its own queue it can take, else the most urgent
        waiting incident not lined up for another crew. Queued incidents the crew cannot take now
        (a skill it lost, no way by road, no place on the roads to start from) go back to the
        common waiting list. ``waiting``: the waiting incidents as the caller read them, kept up to
        date here (:meth:`fill_free_crews` reads a storm's thousands of them once, not per crew);
        only those the crew is qualified for are routed to."""
        self.lock()
        graph = self.graphs.current(self.session)
        crew = next((c for c in self._origins(graph, now) if c["id"] == crew_id and c["status"] == "available"), None)
        if crew is None:
            return None
        if crew["node"] is None:  # nowhere on the roads to start from: it can take nothing, others may
            self.unqueue(crew, None, "no_position", now, waiting or [])
            return None
        if waiting is None:
            waiting = store.waiting(self._connection)
        mine = [i for i in waiting if i["queued_crew_id"] in (None, crew_id)]
        able = [i for i in mine if qualified(crew, i)]
        times = graph.seconds_from(crew["node"], [i["road_node_id"] for i in able], self.settings.routing_horizon_s) \
            if able else []
        takeable = [(incident, seconds) for incident, seconds in zip(able, times) if np.isfinite(seconds)]
        reached = {incident["id"] for incident, _ in takeable}
        stranded = [i for i in mine if i["queued_crew_id"] == crew_id and i["id"] not in reached]
        for reason, lost in (("skills", [i["id"] for i in stranded if not qualified(crew, i)]),
                             ("no_route", [i["id"] for i in stranded if qualified(crew, i)])):
            if lost:
                self.unqueue(crew, lost, reason, now, waiting)

        def order(pair):
            incident, seconds = pair
            if incident["queued_crew_id"] == crew_id:  # the dispatcher's own order comes first
                return (False, incident["queued_at"].timestamp(), 0, 0, 0)
            slack = (incident["arrival_deadline"] - now).total_seconds() - seconds
            return (True, not incident["hazard"], not incident["critical_customers"], slack,
                    -incident["customers_affected"])

        for incident, seconds in sorted(takeable, key=order):
            incident_store.lock_incident(self._connection, incident["id"])
            if self._give(incident["id"], {"id": crew_id, "crew": crew["code"], "eta_s": round(float(seconds), 1)},
                          now, "system"):
                waiting.remove(incident)
                return incident["id"]
        return None

    def unqueue(self, crew: dict[str, Any], incident_ids: list[int] | None, reason: str, now: datetime,
                waiting: list[dict[str, Any]] | None = None, actor: str = "system") -> list[int]:
        """The crew's (``id`` and ``code``) queued incidents, all or those listed, back to the common
        waiting list: in the database, in ``waiting``, and on each one's timeline with the reason
        (``off_duty``, ``skills``, ``no_route``, ``no_position``): a dispatcher who queued it must
        see why the crew will not come. Returns them."""
        self.lock()
        unqueued = store.unqueue_jobs(self._connection, crew["id"], incident_ids)
        self.changed(sorted(unqueued), taken_from=crew["id"])
        incident_store.add_events(self._connection, now, actor, [
            (incident_id, "unqueued", {"crew": crew["code"], "reason": reason}, None) for incident_id in unqueued])
        for incident in waiting or []:
            if incident["id"] in unqueued:
                incident.update(queued_crew_id=None, queued_at=None)
        return unqueued

    def requalify_crews(self, now: datetime, actor: str) -> list[dict[str, Any]]:
        """After crews' skills were written behind dispatch's back (a grid import, which takes this
        lock before it writes a crew): the crews at work that lack a skill their job needs
        ({crew, incident, missing}: the import must be refused, as the desk refuses such a change,
        and nothing more is done); else the queued jobs a crew no longer qualifies for go back to
        the common waiting list, saying why. A crew that may now take waiting work takes it at the
        sweeper's next pass."""
        self.lock()
        at_work = store.unqualified_at_work(self._connection)
        if not at_work:
            for crew, jobs in store.unqualified_queues(self._connection):
                self.unqueue(crew, jobs, "skills", now, actor=actor)
        return at_work

    def fill_free_crews(self, now: datetime) -> list[int]:
        """Give every free crew the most urgent waiting incident it can take (after a closure is
        lifted, a crew is created, or on each sweep): returns the incidents given out."""
        self.lock()
        given = []
        waiting = store.waiting(self._connection)
        for crew_id in store.free_crews(self._connection):
            if (incident_id := self.take_waiting(crew_id, now, waiting)) is not None:
                given.append(incident_id)
        return given
