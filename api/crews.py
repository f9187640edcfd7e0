"""Crews: the dispatcher's roster and the phones' position reports."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from api.access import DESK, MANAGERS, READERS, actor, allow
from api.context import dispatcher, session, settings
from api.idempotency import idempotent
from api.openapi import operation
from api.times import recent
from api.validation import Point, json_body, non_null, query_args
from dispatch.core import clock
from dispatch.core.errors import FieldProblem, InvalidInput
from dispatch.crews.roster import create_crew, crew_or_404, record_positions, update_crew
from dispatch.crews.store import crews, trails
from dispatch.gis.grid_import import idle_crews_warning
from dispatch.gis.skills import skill_rules

blueprint = Blueprint("crews", __name__, url_prefix="/api/v1/crews")
Skills = list[str]


def _skills(value: Skills | None) -> Skills | None:
    if value is not None and any(not s.strip() or len(s) > 40 for s in value):
        raise ValueError("skills are short non-empty names")
    return value


def _members(value: Any) -> Any:
    """Names or a head count (checked before pydantic would turn ``true`` into 1)."""
    if isinstance(value, bool):
        raise ValueError("members are names or a head count")
    if isinstance(value, int) and not 0 < value <= 50 or isinstance(value, list) and not 0 < len(value) <= 50:
        raise ValueError("a crew has 1 to 50 members")
    if isinstance(value, list) and any(not isinstance(n, str) or not n.strip() or len(n) > 100 for n in value):
        raise ValueError("member names are 1 to 100 characters")
    return value


MEMBERS_SCHEMA = {
    "description": "names (1 to 50), or a head count",
    "anyOf": [{"type": "array", "minItems": 1, "maxItems": 50,
               "items": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"}},
              {"type": "integer", "minimum": 1, "maximum": 50}],
}
SKILL_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": r"\S"}


def _members_schema(schema: dict[str, Any]) -> None:
    schema.clear()
    schema.update(MEMBERS_SCHEMA)


def _skills_schema(schema: dict[str, Any]) -> None:
    non_null(schema)
    schema["items"] = SKILL_SCHEMA


class CrewIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    depot: str = Field(min_length=1, max_length=40)
    members: list[str] | int = Field(json_schema_extra=_members_schema)
    phone: str = Field(min_length=1, max_length=32)
    skills: Skills = Field(default_factory=lambda: ["lv"], max_length=20, json_schema_extra=_skills_schema)
    on_duty: bool = Field(True, strict=True)

    _check_skills = field_validator("skills")(_skills)
    _check_members = field_validator("members", mode="before")(_members)


class CrewChange(BaseModel):
    """Only the fields sent change; none may be null."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, min_length=1, max_length=200, json_schema_extra=non_null)
    depot: str | None = Field(None, min_length=1, max_length=40, json_schema_extra=non_null)
    members: list[str] | int | None = Field(None, json_schema_extra=_members_schema)
    phone: str | None = Field(None, min_length=1, max_length=32, json_schema_extra=non_null)
    skills: Skills | None = Field(None, max_length=20, json_schema_extra=_skills_schema)
    on_duty: bool | None = Field(None, strict=True, json_schema_extra=non_null)

    _check_skills = field_validator("skills")(_skills)
    _check_members = field_validator("members", mode="before")(_members)

    @model_validator(mode="before")
    @classmethod
    def no_nulls(cls, values: Any) -> Any:
        if isinstance(values, dict) and (nulls := sorted(k for k, v in values.items() if v is None)):
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return values


class Position(Point):
    at: AwareDatetime
    accuracy_m: float | None = Field(None, ge=0, le=100_000, allow_inf_nan=False, strict=True)
    speed: float | None = Field(None, ge=0, le=100, allow_inf_nan=False, strict=True, description="m/s")
    heading: float | None = Field(None, ge=0, le=360, allow_inf_nan=False, strict=True, description="degrees")

    _at = field_validator("at")(recent)


class PositionBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    positions: list[Position] = Field(min_length=1, max_length=1000)


def position_rows(batch: PositionBatch) -> list[dict]:
    return [{"at": p.at, "lon": p.lon, "lat": p.lat, "accuracy": p.accuracy_m, "speed": p.speed, "heading": p.heading}
            for p in batch.positions]


def _view(crew: dict) -> dict:
    return {k: v for k, v in crew.items() if k != "id"}


def _with_warnings(crew: dict) -> dict:
    """The crew as created or changed, with what will not work as it is: a crew whose skills meet
    no rule is sent to nothing, which the desk should hear when it saves the crew, not when it
    wonders why the crew stays idle (the import's warning, in its words)."""
    idle = idle_crews_warning({crew["code"]: crew["skills"]}, skill_rules(settings().skill_rules_file))
    return {**_view(crew), "warnings": [idle.message] if idle else []}


#: A created or changed crew: the crew, and its warnings.
CREW_WITH_WARNINGS = {"type": "object", "required": ["code", "skills", "warnings"], "properties": {
    "warnings": {"type": "array", "items": {"type": "string"},
                 "description": "e.g. that no incident will be given to the crew: its skills meet no rule"}}}


def _known_skills(skills: list[str] | None) -> None:
    """A skill word the utility's rules do not know would leave the crew sent to nothing."""
    rules = skill_rules(settings().skill_rules_file)
    if skills is not None and (unknown := rules.unknown(skills)):
        raise InvalidInput("unknown skills", [FieldProblem(
            "skills", f"unknown {', '.join(unknown)}; the skills are {', '.join(rules.labels)} (SKILL_RULES_FILE)")])


@blueprint.post("")
@idempotent
@allow(*MANAGERS)
@operation("Create a crew", "crews", body=CrewIn, responses={201: ("The crew, with warnings", CREW_WITH_WARNINGS),
                                                              409: ("The code is taken", None)})
def add_crew():
    crew = json_body(CrewIn)
    _known_skills(crew.skills)
    return jsonify(_with_warnings(create_crew(session(), dispatcher(), **crew.model_dump()))), 201


@blueprint.get("")
@allow(*READERS)
@operation("Every crew with status, duty and last position", "crews",
           responses={200: ("{crews: [...]}", {"type": "object"})})
def list_crews():
    return jsonify(crews=[_view(c) for c in crews(session().connection())])


class TrailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: float = Field(30, gt=0, le=24 * 60, description="how far back (default 30)")


@blueprint.get("/trails")
@allow(*READERS)
@operation("Where each crew has been in the last minutes, oldest point first", "crews", query=TrailQuery,
           responses={200: ("{trails: [{crew, points: [[lon, lat, at], ...]}]}", {"type": "object"})})
def crew_trails():
    now = clock.now()
    since = now - timedelta(minutes=query_args(TrailQuery).minutes)
    return jsonify(trails=trails(session().connection(), since, now))


@blueprint.get("/<code>")
@allow(*READERS)
@operation("One crew", "crews", responses={200: ("The crew", {"type": "object"}), 404: ("No such crew", None)})
def get_crew(code: str):
    return jsonify(_view(crew_or_404(session(), code)))


@blueprint.patch("/<code>")
@allow(*DESK)
@operation("Change a crew: duty, skills, depot, members...", "crews", body=CrewChange,
           responses={200: ("The crew, with warnings", CREW_WITH_WARNINGS), 404: ("No such crew", None),
                      409: ("Off duty, or without a skill its job needs, while on a job", None)})
def change_crew(code: str):
    changes = json_body(CrewChange).model_dump(exclude_unset=True)
    _known_skills(changes.get("skills"))
    return jsonify(_with_warnings(update_crew(session(), dispatcher(), code, changes, actor())))


@blueprint.post("/<code>/positions")
@allow("admin")
@operation("A batch of a crew's GPS positions from a vehicle tracker (phones use /me/positions)", "crews",
           body=PositionBatch,
           responses={202: ("Stored", {"type": "object"}), 404: ("No such crew", None)})
def add_positions(code: str):
    batch = json_body(PositionBatch)
    stored = record_positions(session(), crew_or_404(session(), code), position_rows(batch),
                              arrival_radius_m=settings().arrival_radius_m,
                              position_max_age_s=settings().crew_position_max_age_s)
    return jsonify(stored=stored), 202
