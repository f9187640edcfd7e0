"""Importing the grid, depots, crews and roads from a directory of GeoJSON layers.

All or nothing: every file is read and every feature checked (geometry, values, references), and
the writes share one transaction, rolled back if any feature of any file has a problem, so a
rejected import leaves the database exactly as it was. One layer at a time (read, check, write,
let go), so that a province's import holds one layer in memory, not all ten: checked in full
first, a two-million-edge, million-customer set took more memory than the machine had to spare.
After the first problem nothing more is written, but the remaining files are still checked so
that every problem is reported at once.
"""
from __future__ import annotations

import gc
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Protocol

import orjson
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.errors import FieldProblem, ImportRejected
from dispatch.gis import grid_import_store as store
from dispatch.gis import import_report_store
from dispatch.gis.import_progress import ImportProgress, LoggedProgress
from dispatch.gis.layers import IMPORT_ORDER, LAYERS, ParsedLayer, parse_collection
from dispatch.gis.skills import SkillRules, skill_rules
from dispatch.gis.tiles_store import TILE_LAYERS, bump_map_version
from dispatch.gis.topology_store import bump_topology_version
from dispatch.routing import store as road_store
from dispatch.routing.graph import RoadGraph
from dispatch.routing.speeds import speed_table

NOUNS = {"buses": "bus", "transformers": "transformer", "depots": "depot"}


class CrewDispatch(Protocol):
    """Dispatch, for an import that writes crews (dispatch/crews/assignment.py ``Dispatcher``)."""

    def lock(self) -> None:
        """Take the dispatch lock: before a crew row is written, as everything that changes what a
        crew may take does."""

    def requalify_crews(self, now: datetime, actor: str) -> list[dict[str, Any]]:
        """After the crews were written: those at work without a skill their job needs ({crew,
        incident, missing}: the import is refused); else queued jobs a crew lost a skill for go
        back to all."""

    def record_messages(self, now: datetime) -> None:
        """The live messages of what changed, just before the commit."""


#: Layers whose change alters what feeds what, so every worker must rebuild its topology.
TOPOLOGY_LAYERS = frozenset({"buses", "sources", "lines", "switches", "transformers", "customers"})


@dataclass
class LayerResult:
    layer: str
    features: int
    inserted: int
    updated: int
    #: Time to read and check the file, and to write it to the database.
    parse_seconds: float = 0.0
    write_seconds: float = 0.0

    @property
    def unchanged(self) -> int:
        return self.features - self.inserted - self.updated


@dataclass(frozen=True)
class ImportWarning:
    """Something imported that will not work as the data's author probably meant, or a value
    taken differently than written: said beside the counts, never a reason to refuse."""

    layer: str
    message: str

    def __str__(self) -> str:
        return f"{self.layer}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"layer": self.layer, "message": self.message}


@dataclass
class ImportSummary:
    layers: list[LayerResult] = field(default_factory=list)
    seconds: float = 0.0
    #: Directed road edges implied by the roads layer (a two-way road counts twice).
    road_directed_edges: int = 0
    #: Strongly connected components of the road graph, and nodes outside the largest one
    #: (flagged: positions do not snap to them).
    road_components: int = 0
    road_nodes_unroutable: int = 0
    warnings: list[ImportWarning] = field(default_factory=list)
    #: The report kept of this import (dispatch/gis/import_report_store.py).
    id: int | None = None

    def result(self, layer: str) -> LayerResult | None:
        return next((r for r in self.layers if r.layer == layer), None)

    def counts(self) -> dict[str, dict[str, int]]:
        """Each layer's features, inserted, updated and unchanged; the roads' with their graph's
        directed edges, strongly connected components and nodes flagged unroutable."""
        counts = {r.layer: {"features": r.features, "inserted": r.inserted, "updated": r.updated,
                            "unchanged": r.unchanged} for r in self.layers}
        if "roads" in counts:
            counts["roads"].update(directed_edges=self.road_directed_edges, components=self.road_components,
                                   unroutable_nodes=self.road_nodes_unroutable)
        return counts


def _load_json(content: bytes):
    """Parse with orjson (fast); files that only the lenient standard parser reads, such as ones
    with ``NaN`` literals, are parsed again by it so that the checks can name the bad feature."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """An import allocates hundreds of thousands of small containers, none in a reference cycle;
    the cyclic collector would rescan them over and over (half of the read time, and again while
    writing), while reference counting frees them anyway."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_layer(path: Path, name: str, progress: ImportProgress) -> ParsedLayer:
    """Parse and check one ``LAYER.geojson``."""
    started = time.perf_counter()
    try:
        collection = _load_json(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as why:
        return ParsedLayer(problems=[FieldProblem("file", f"is not valid JSON: {why}", path.name)])
    except RecursionError:  # the standard parser's answer to arrays nested thousands deep
        return ParsedLayer(problems=[FieldProblem("file", "is not valid JSON: nested too deeply", path.name)])
    features = collection.get("features") if isinstance(collection, dict) else None
    progress.begin(name, "check", len(features) if isinstance(features, list) else 0)
    parsed = parse_collection(LAYERS[name], collection, path.name, progress.advance)
    progress.end()
    parsed.seconds = time.perf_counter() - started
    return parsed


class _KnownKeys:
    """The keys references may name: stored ones, and those of the layers read in this import
    (valid or not, so one bad bus does not also make every line naming it "unknown"). Read from
    the database once per layer referred to, after that layer's own file was handled."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.incoming: dict[str, set[str]] = {}
        self._known: dict[str, set[str]] = {}

    def of(self, layer: str) -> set[str]:
        if layer not in self._known:
            stored = store.existing_keys(self.session.connection(), LAYERS[layer])
            self._known[layer] = stored | self.incoming.get(layer, set())
        return self._known[layer]

    def unknown_references(self, name: str, layer: ParsedLayer) -> list[FieldProblem]:
        problems = []
        for spec in LAYERS[name].fields:
            if spec.refers_to is None:
                continue
            known = self.of(spec.refers_to)
            for feature in layer.features:
                value = feature.values.get(spec.name)
                if value is not None and value not in known:
                    problems.append(FieldProblem(
                        spec.name, f"unknown {NOUNS[spec.refers_to]} {value!r}", f"{name}.geojson #{feature.index}"))
        return problems


def import_grid(session: Session, directory: Path, skills: SkillRules | None = None,
                progress: ImportProgress | None = None, actor: str = "cli",
                dispatcher: CrewDispatch | None = None) -> ImportSummary:
    """Import every layer file in ``directory`` in one transaction, or raise :class:`ImportRejected`.
    ``skills``: the rules the crews' skills are checked against (default: the shipped ones);
    ``progress``: told how far each layer has got (default: counts in the log); ``actor``: who
    imports, kept with the report (``cli``: the command line and scripts, else a user's name);
    ``dispatcher``: dispatch on ``session``, for crews written while incidents may be worked on (the
    application's imports pass it; without it, for a database nobody dispatches from yet, crews
    are written as any layer)."""
    with _cyclic_gc_paused():
        return _import_grid(session, directory, skills, progress or LoggedProgress(), actor, dispatcher)


def _flag_routable_roads(session: Session, summary: ImportSummary) -> None:
    """Report the road graph's strongly connected components and flag nodes outside the largest:
    a crew placed there could not reach most faults, or be reached."""
    connection = session.connection()
    graph = RoadGraph(road_store.directed_edges(connection, speed_table(), open_at=None))
    if graph.edge_count == 0:
        return
    summary.road_components, in_largest = graph.strongly_connected()
    summary.road_nodes_unroutable = int((~in_largest).sum())
    if road_store.flag_routable(connection, graph.node_ids.tolist(), in_largest.tolist()):
        road_store.bump_road_version(connection)


def _examples(indexes: list[int], shown: int = 5) -> str:
    more = f", ... ({len(indexes) - shown} more)" if len(indexes) > shown else ""
    return ", ".join(f"#{i}" for i in indexes[:shown]) + more


def _listed(codes: list[str], shown: int = 10) -> str:
    return ", ".join(codes[:shown]) + (f" ... ({len(codes) - shown} more)" if len(codes) > shown else "")


def idle_crews_warning(crews: Mapping[str, Iterable[str]], skills: SkillRules) -> ImportWarning | None:
    """The warning for the crews (code -> skills) whose skills meet no rule, which no incident will
    ever be given; None when there is none. The import says it of the crews stored, the crew routes
    of the crew they created or changed, in the same words."""
    idle = [code for code, held in crews.items() if not skills.can_take_some_fault(held)]
    if not idle:
        return None
    return ImportWarning("crews", f"{len(idle)} crew(s) can take no incident, their skills meet no rule: "
                                  f"{_listed(idle)}")


def _warnings(session: Session, blanks: dict[str, dict[str, list[int]]], summary: ImportSummary,
              skills: SkillRules) -> list[ImportWarning]:
    """What the import took differently than written, and what it leaves that cannot work: roads
    no crew can be routed over, crews no incident can use, zones with no crew based in them."""
    found = [ImportWarning(name, f"empty {column} taken as absent in {len(indexes)} feature(s): {_examples(indexes)}")
             for name, layer in blanks.items() for column, indexes in layer.items()]
    if summary.road_nodes_unroutable:
        found.append(ImportWarning("roads", f"{summary.road_nodes_unroutable} road node(s) outside the largest "
                                            "connected part of the road network: no crew is routed from or to them"))
    if blanks.keys() & {"zones", "depots", "crews"}:
        connection = session.connection()
        crews = store.crew_skills(connection)
        unknown = sorted({word for held in crews.values() for word in skills.unknown(held)})
        if unknown:
            found.append(ImportWarning("crews", f"skill(s) no rule knows: {_listed(unknown)} (SKILL_RULES_FILE "
                                                f"lists {', '.join(skills.labels)})"))
        if (idle := idle_crews_warning(crews, skills)) is not None:
            found.append(idle)
        uncrewed = store.zones_without_crews(connection)
        if uncrewed:
            found.append(ImportWarning("zones", f"{len(uncrewed)} zone(s) have no crew whose depot lies in them: "
                                                f"{_listed(uncrewed)}"))
    return found


def _import_grid(session: Session, directory: Path, skills: SkillRules | None,
                 progress: ImportProgress, actor: str, dispatcher: CrewDispatch | None) -> ImportSummary:
    started = time.perf_counter()
    if not directory.is_dir():
        raise ImportRejected(f"{directory} is not a directory")
    present = [name for name in IMPORT_ORDER if (directory / f"{name}.geojson").is_file()]
    if not present:
        raise ImportRejected(f"{directory} holds no layer file ({', '.join(IMPORT_ORDER)}.geojson)")
    summary = ImportSummary()
    problems: list[FieldProblem] = []
    known = _KnownKeys(session)
    #: Each layer read's blank optional fields, for the warnings (every layer read is a key).
    blanks: dict[str, dict[str, list[int]]] = {}
    try:
        store.lock_imports(session.connection())
        imported_at = clock.now()
        for name in present:
            layer = read_layer(directory / f"{name}.geojson", name, progress)
            problems += layer.problems + known.unknown_references(name, layer)
            known.incoming[name] = layer.keys
            blanks[name] = layer.blanks
            if problems:
                continue  # nothing more is written; the rest is still checked, for the report
            writing = time.perf_counter()
            if name == "crews" and dispatcher is not None:
                dispatcher.lock()  # held to the commit: the last layer, so no longer than it must be
            progress.begin(name, "write", len(layer.features))
            inserted, updated = store.upsert(session.connection(), LAYERS[name], layer.features, imported_at,
                                             progress.advance)
            progress.end()
            summary.layers.append(LayerResult(name, len(layer.features), inserted, updated,
                                              layer.seconds, time.perf_counter() - writing))
            if name == "roads":
                summary.road_directed_edges = sum(
                    2 if f.values.get("oneway", "no") == "no" else 1 for f in layer.features)
                _flag_routable_roads(session, summary)  # before the crews: outside the dispatch lock
            del layer  # let go of its features now: the last layer's would outlive the loop
        if problems:
            session.rollback()
            raise ImportRejected(f"{len(problems)} problem(s) found; nothing was imported", problems)
        changed = {r.layer for r in summary.layers if r.inserted or r.updated}
        if changed & TOPOLOGY_LAYERS:
            bump_topology_version(session.connection(), grid=True)
        if "roads" in changed:
            road_store.bump_road_version(session.connection(), network=True)
        if dispatcher is not None and summary.result("crews") is not None:
            at_work = dispatcher.requalify_crews(clock.now(), actor)
            if at_work:
                session.rollback()
                raise ImportRejected(f"{len(at_work)} crew(s) would lose a skill their job needs; nothing was imported", [
                    FieldProblem("skills", f"crew {c['crew']} is on incident {c['incident']}, which needs "
                                 f"{', '.join(c['missing'])}; finish or reassign it first", "crews.geojson")
                    for c in at_work])
        summary.warnings = _warnings(session, blanks, summary, skills or skill_rules())
        summary.id = import_report_store.record(session.connection(), imported_at, clock.now(), actor,
                                                summary.counts(), [w.as_dict() for w in summary.warnings])
        if dispatcher is not None:
            dispatcher.record_messages(clock.now())
        if changed & TILE_LAYERS.keys():  # last: an outbox message holds back later ones until commit
            bump_map_version(session.connection())
        session.commit()
    except DBAPIError as why:
        session.rollback()
        reason = str(why.orig).splitlines()[0] if why.orig else str(why)
        raise ImportRejected(f"the database refused the import; nothing was imported: {reason}") from why
    summary.seconds = time.perf_counter() - started
    return summary
