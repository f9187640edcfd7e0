"""The OpenAPI 3 document, generated from the routes themselves.

Each view declares its query and body models (pydantic) and its responses with :func:`operation`;
the document is assembled from the app's URL map, so it cannot drift from the code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel

from api.access import public

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}, "location": {"type": "string"}}}},
    },
    "required": ["type", "title", "status"],
}


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    #: status -> (description, JSON schema or pydantic model or None)
    responses: dict[int, tuple[str, Any]] = field(default_factory=dict)
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)


def operation(summary: str, tag: str, **details: Any) -> Callable:
    """Declare how a view appears in the OpenAPI document."""

    def mark(view: Callable) -> Callable:
        view.openapi = Operation(summary, tag, **details)
        return view

    return mark


def _schema(thing: Any) -> dict[str, Any]:
    if isinstance(thing, type) and issubclass(thing, BaseModel):
        return thing.model_json_schema(ref_template="#/components/schemas/{model}")
    return thing


def _parameters(op: Operation, path_names: list[str]) -> list[dict[str, Any]]:
    params = [{"name": n, "in": "path", "required": True, "schema": op.path_params.get(n, {"type": "string"})}
              for n in path_names]
    if op.query is not None:
        schema = op.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "description": prop.pop("description", ""), "schema": prop})
    return params


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared route of ``app``."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        op: Operation | None = getattr(app.view_functions.get(rule.endpoint), "openapi", None)
        if op is None:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        names = re.findall(r"{(\w+)}", path)
        responses = {
            str(status): {"description": text, **({"content": {
                "application/problem+json" if status >= 400 else "application/json": {"schema": _schema(schema)}
            }} if schema is not None else {})}
            for status, (text, schema) in op.responses.items()
        }
        responses.setdefault("default", {"description": "Error", "content": {
            "application/problem+json": {"schema": PROBLEM_SCHEMA}}})
        entry: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "operationId": rule.endpoint,
                                 "parameters": _parameters(op, names), "responses": responses}
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema(op.body)}}}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Grid fault dispatch API", "version": "1",
                 "description": "Fault-repair dispatch for electric distribution utilities."},
        "paths": paths,
        "components": {"schemas": {"Problem": PROBLEM_SCHEMA}},
    }


blueprint = Blueprint("openapi", __name__)


@blueprint.get("/api/v1/openapi.json")
@public
@operation("This API's OpenAPI 3 document", "meta", responses={200: ("OpenAPI document", {"type": "object"})})
def openapi_document():
    return jsonify(build_document(current_app))
