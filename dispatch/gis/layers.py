"""What each importable layer must contain, and the check of one FeatureCollection against it.

The layer specifications below are the executable form of docs/data-format.md.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from dispatch.core.errors import FieldProblem
from dispatch.gis import values as v
from dispatch.gis.geojson import GeometryProblem, check_geometry, ewkb_hex
from dispatch.gis.models import CUSTOMER_PRIORITIES, SWITCH_KINDS, ZONE_CLASSES

POINT = ("Point",)


@dataclass(frozen=True)
class Field:
    name: str
    parse: v.Parser
    required: bool = True
    #: The layer whose key this value must name (a bus code, a depot code...).
    refers_to: str | None = None


@dataclass(frozen=True)
class Layer:
    name: str
    key: str
    geometry_types: tuple[str, ...]
    fields: tuple[Field, ...]
    geometry_optional: bool = False
    #: Rules across fields: returns (field, why) pairs.
    rule: Callable[[dict[str, Any]], list[tuple[str, str]]] = lambda values: []

    @cached_property
    def field_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)


@dataclass
class Feature:
    """A feature that passed every check: clean values, its geometry and the properties kept aside."""

    index: int
    key: str
    values: dict[str, Any]
    geometry: dict[str, Any] | None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def geometry_ewkb(self) -> str | None:
        return None if self.geometry is None else ewkb_hex(self.geometry)

    @property
    def extra_json(self) -> str:
        return json.dumps(self.extra, default=str) if self.extra else "{}"


#: Deepest nesting of arrays and objects a kept property may have: the JSON encoder that stores it
#: gives up near a thousand, and no property of a real export is more than a few deep.
EXTRA_MAX_DEPTH = 32


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests arrays and objects more than ``limit`` deep (no recursion: the
    point is values too deep for it)."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth >= limit:
                return True
            pending.extend((inner, depth + 1) for inner in (item.values() if isinstance(item, dict) else item))
    return False


def _distinct(*names: str) -> Callable[[dict[str, Any]], list[tuple[str, str]]]:
    def rule(values: dict[str, Any]) -> list[tuple[str, str]]:
        a, b = (values.get(n) for n in names)
        return [(names[1], f"must differ from {names[0]}")] if a is not None and a == b else []

    return rule


def _attached(values: dict[str, Any]) -> list[tuple[str, str]]:
    if values.get("bus") is None and values.get("transformer") is None:
        return [("bus", "a customer needs a bus or a transformer")]
    return []


def _code() -> Field:
    return Field("code", v.text)


def _bus(name: str) -> Field:
    return Field(name, v.text, refers_to="buses")


LAYERS: dict[str, Layer] = {layer.name: layer for layer in (
    Layer("zones", "code", ("Polygon", "MultiPolygon"), (
        _code(), Field("name", v.text), Field("class", v.one_of(ZONE_CLASSES)),
        Field("arrival_target_min", v.positive_int, required=False),
        Field("restore_target_min", v.positive_int, required=False),
    )),
    Layer("buses", "code", POINT, (_code(), Field("voltage_kv", v.positive_number))),
    Layer("sources", "code", POINT, (_code(), Field("name", v.text), _bus("bus"))),
    Layer("lines", "code", ("LineString",), (
        _code(), _bus("from_bus"), _bus("to_bus"), Field("voltage_kv", v.positive_number),
        Field("feeder", v.text, required=False),
    ), rule=_distinct("from_bus", "to_bus")),
    Layer("switches", "code", POINT, (
        _code(), _bus("from_bus"), _bus("to_bus"), Field("kind", v.one_of(SWITCH_KINDS)),
        Field("normally_open", v.boolean),
    ), rule=_distinct("from_bus", "to_bus")),
    Layer("transformers", "code", POINT, (
        _code(), Field("name", v.text), _bus("hv_bus"), _bus("lv_bus"), Field("kva", v.positive_number),
    ), rule=_distinct("hv_bus", "lv_bus")),
    Layer("customers", "account_no", POINT, (
        Field("account_no", v.text), Field("name", v.text), Field("phone", v.text),
        Field("address", v.text), Field("bus", v.text, required=False, refers_to="buses"),
        Field("transformer", v.text, required=False, refers_to="transformers"),
        Field("priority", v.one_of(CUSTOMER_PRIORITIES)),
    ), rule=_attached),
    Layer("depots", "code", POINT, (_code(), Field("name", v.text))),
    Layer("crews", "code", POINT, (
        _code(), Field("name", v.text), Field("depot", v.text, refers_to="depots"),
        Field("members", v.crew_members), Field("phone", v.text), Field("skills", v.text_list),
    ), geometry_optional=True),
    Layer("roads", "code", ("LineString",), (
        Field("code", v.text, required=False), Field("highway", v.text),
        Field("maxspeed", v.positive_number, required=False),
        Field("oneway", v.oneway, required=False), Field("name", v.text, required=False),
    )),
)}

#: Import order: every layer after the layers it refers to; crews last, for an import that writes
#: crews holds the dispatch lock from then to its commit (dispatch/gis/grid_import.py).
IMPORT_ORDER = ("zones", "buses", "sources", "lines", "switches", "transformers", "customers",
                "depots", "roads", "crews")


@dataclass
class ParsedLayer:
    features: list[Feature] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    #: Every key named in the file, valid feature or not (so one bad bus does not also make
    #: every line that names it "unknown").
    keys: set[str] = field(default_factory=set)
    #: Optional fields sent as blank strings (real exports write "" for "no value"), taken as
    #: absent: field -> the features' indexes, for the import's warnings.
    blanks: dict[str, list[int]] = field(default_factory=dict)
    #: Time spent reading and checking the file.
    seconds: float = 0.0


#: Features between two calls of parse_collection's ``advance``.
ADVANCE_EVERY = 10_000


def parse_collection(layer: Layer, collection: Any, source: str,
                     advance: Callable[[int], None] | None = None) -> ParsedLayer:
    """Check every feature of ``collection``; return the clean features and every problem found.
    ``advance`` is told the features checked, :data:`ADVANCE_EVERY` at a time (an import's progress)."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection" \
            or not isinstance(collection.get("features"), list):
        problem = FieldProblem("type", "must be a GeoJSON FeatureCollection with a features list", source)
        return ParsedLayer(problems=[problem])
    parsed = ParsedLayer()
    features, problems = parsed.features, parsed.problems
    seen: dict[str, int] = {}
    for index, raw in enumerate(collection["features"]):
        where = f"{source} #{index}"
        found: list[FieldProblem] = []
        feature = _parse_feature(layer, index, raw, where, found, parsed.blanks)
        if feature is not None and not found and layer.name == "roads" and feature.key is None:
            feature.key = feature.values["code"] = _unique(road_key(feature.geometry, feature.values), seen)
        if feature is not None and feature.key is not None:
            if feature.key in seen:
                found.append(FieldProblem(layer.key, f"duplicate {layer.key} {feature.key!r} (also #{seen[feature.key]})", where))
            else:
                seen[feature.key] = index
        if found:
            problems.extend(found)
        elif feature is not None:
            features.append(feature)
        if advance is not None and (index + 1) % ADVANCE_EVERY == 0:
            advance(ADVANCE_EVERY)
    if advance is not None and len(collection["features"]) % ADVANCE_EVERY:
        advance(len(collection["features"]) % ADVANCE_EVERY)
    parsed.keys = set(seen)
    return parsed


def _parse_feature(
    layer: Layer, index: int, raw: Any, where: str, problems: list[FieldProblem], blanks: dict[str, list[int]]
) -> Feature | None:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        problems.append(FieldProblem("type", "must be a GeoJSON Feature", where))
        return None
    geometry = raw.get("geometry")
    if geometry is not None or not layer.geometry_optional:
        try:
            check_geometry(geometry, layer.geometry_types)
        except GeometryProblem as why:
            problems.append(FieldProblem("geometry", str(why), where))
    properties = raw.get("properties") or {}
    if not isinstance(properties, dict):
        problems.append(FieldProblem("properties", "must be an object", where))
        return None
    values: dict[str, Any] = {}
    for spec in layer.fields:
        value = properties.get(spec.name)
        if not spec.required and isinstance(value, str) and not value.strip():
            blanks.setdefault(spec.name, []).append(index)
            value = None
        if value is None:
            if spec.required:
                problems.append(FieldProblem(spec.name, "is required", where))
            continue
        try:
            values[spec.name] = spec.parse(value)
        except ValueError as why:
            problems.append(FieldProblem(spec.name, str(why), where))
    for name, why in layer.rule(values):
        problems.append(FieldProblem(name, why, where))
    known = layer.field_names
    extra = {k: val for k, val in properties.items() if k not in known}
    for name, value in extra.items():
        if isinstance(value, (dict, list)) and _deeper_than(value, EXTRA_MAX_DEPTH):
            problems.append(FieldProblem(name, f"nests arrays and objects more than {EXTRA_MAX_DEPTH} deep", where))
    return Feature(index, values.get(layer.key), values, geometry, extra)


def road_key(geometry: dict[str, Any], values: dict[str, Any]) -> str:
    """A stable key for a road without a code, from what the road is: its whole line (to 1e-7
    degrees), direction rule and class. Two parallel carriageways between the same junctions
    differ in their vertices, so they get different keys; re-importing the file gives the same."""
    line = ";".join(end_point_key(x, y) for x, y, *_ in geometry["coordinates"])
    what = f"{line}|{values.get('oneway', 'no')}|{values.get('highway')}"
    return f"road:{hashlib.blake2b(what.encode(), digest_size=10).hexdigest()}"


def _unique(key: str, seen: dict[str, int]) -> str:
    """``key``, or for the n-th road drawn exactly like an earlier one, ``key~n`` (stable while
    the file keeps its order)."""
    n, candidate = 1, key
    while candidate in seen:
        n += 1
        candidate = f"{key}~{n}"
    return candidate


def end_point_key(lon: float, lat: float) -> str:
    """Road-graph node identity: coordinates in whole 1e-7 degrees."""
    return f"{round(lon * 1e7)},{round(lat * 1e7)}"
