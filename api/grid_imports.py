"""Grid imports over HTTP: the same import as ``flask data import DIR`` for an administrator who has
the layer files but no shell on the server, and the reports every import leaves, from either way
in (dispatch/gis/grid_import.py, dispatch/gis/import_report_store.py)."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from api.access import allow, identity
from api.context import dispatcher, session, settings
from api.openapi import operation
from api.validation import MAX_ID, query_args
from dispatch.core.errors import FieldProblem, InvalidInput, NotFound
from dispatch.gis import import_report_store
from dispatch.gis.grid_import import import_grid
from dispatch.gis.layers import IMPORT_ORDER
from dispatch.gis.skills import skill_rules

blueprint = Blueprint("grid_imports", __name__, url_prefix="/api/v1/grid/imports")
#: Administrators only: an import rewrites the grid, the crews and the roads everyone works on.
IMPORTERS = ("admin",)
#: A field name shown back in a problem is cut to this (a client may send any name).
NAME_SHOWN = 60

FORM = {
    "type": "object",
    "description": "One file per layer, each part named by its layer (the files `flask data import` reads from a "
                   "directory as LAYER.geojson; docs/data-format.md); at least one",
    "properties": {name: {"type": "string", "format": "binary", "description": f"{name}.geojson"}
                   for name in IMPORT_ORDER},
    "additionalProperties": False,
    "minProperties": 1,
}
REPORT = {
    "type": "object",
    "required": ["id", "started_at", "finished_at", "actor", "counts", "warnings"],
    "properties": {
        "id": {"type": "integer"},
        "started_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": "string", "format": "date-time"},
        "actor": {"type": "string", "description": "`cli` (the command line) or the user's name"},
        "counts": {"type": "object", "description": "per layer imported: features, inserted, updated, unchanged "
                                                    "(roads also: directed_edges, components, unroutable_nodes)",
                   "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}}},
        "warnings": {"type": "array", "items": {"type": "object", "required": ["layer", "message"], "properties": {
            "layer": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
ID = {"import_id": {"type": "integer"}}


def _layer_files() -> dict[str, Any]:
    """The uploaded file of each layer sent, or a 422 naming every part that is not one."""
    problems = []
    for name in request.form:
        why = "send the layer as a file" if name in IMPORT_ORDER else "is not a layer"
        problems.append(FieldProblem(name[:NAME_SHOWN], why))
    files = {}
    for name, uploads in request.files.lists():
        if name not in IMPORT_ORDER:
            problems.append(FieldProblem(name[:NAME_SHOWN], "is not a layer"))
        elif len(uploads) > 1:
            problems.append(FieldProblem(name, "one file per layer"))
        else:
            files[name] = uploads[0]
    if not files and not problems:
        problems.append(FieldProblem("body", "send at least one layer file"))
    if problems:
        raise InvalidInput(f"send multipart/form-data with one file per layer, each part named by its layer: "
                           f"{', '.join(IMPORT_ORDER)}", problems)
    return files


@blueprint.post("")
@allow(*IMPORTERS)
@operation("Import grid layers (all or nothing, as `flask data import`); the import report", "grid", form=FORM,
           responses={201: ("The import report: {id, started_at, finished_at, actor, counts, warnings}", REPORT),
                      413: ("The body is larger than GRID_IMPORT_MAX_MB", None),
                      422: ("A part that is not a layer's file, or the import refused: every problem found "
                            "(`errors`: field, message, location = file and feature); nothing was imported", None)})
def import_layers():
    # Before anything reads the body: whole layers, not MAX_BODY_BYTES, are this route's measure.
    request.max_content_length = settings().grid_import_max_mb * 1024 * 1024
    files = _layer_files()
    with tempfile.TemporaryDirectory(prefix="grid-import-") as directory:
        for name, upload in files.items():
            upload.save(Path(directory) / f"{name}.geojson")  # the client's file name is never used
        summary = import_grid(session(), Path(directory), skill_rules(settings().skill_rules_file),
                              actor=identity().username, dispatcher=dispatcher())
    return jsonify(import_report_store.one(session().connection(), summary.id)), 201


class ImportsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(20, ge=1, le=200, description="how many, newest first (default 20)")


@blueprint.get("")
@allow(*IMPORTERS)
@operation("The latest grid imports' reports, newest first (the command line's too)", "grid", query=ImportsQuery,
           responses={200: ("{imports: [report, ...]}", {"type": "object", "required": ["imports"], "properties": {
               "imports": {"type": "array", "items": REPORT}}})})
def list_imports():
    return jsonify(imports=import_report_store.latest(session().connection(), query_args(ImportsQuery).limit))


@blueprint.get("/<int:import_id>")
@allow(*IMPORTERS)
@operation("One grid import's report", "grid", path_params=ID,
           responses={200: ("The import report", REPORT), 404: ("No such import", None)})
def show_import(import_id: int):
    row = import_report_store.one(session().connection(), min(import_id, MAX_ID))
    if row is None:
        raise NotFound(f"there is no grid import {import_id}")
    return jsonify(row)
