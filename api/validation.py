"""Reading request bodies and queries into pydantic models (errors become problem+json)."""
from __future__ import annotations

import re
from typing import Any, TypeVar

from flask import Flask, request, url_for
from pydantic import BaseModel, ConfigDict, Field

from dispatch.core.errors import DispatchError, FieldProblem, InvalidInput
from dispatch.gis.geojson import GeometryProblem, bbox_of

Model = TypeVar("Model", bound=BaseModel)
#: The largest id PostgreSQL's bigint holds: larger ones in a path are simply not found.
MAX_ID = 2**63 - 1


#: Deepest nesting of arrays and objects a JSON body may have (a GeoJSON polygon is 4 deep; Python's
#: parser gives up near 1,000 with an error that is not a ValueError).
JSON_MAX_DEPTH = 64


class Point(BaseModel):
    """A WGS 84 position in a request body (numbers only: ``false`` is not a longitude)."""

    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, strict=True)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, strict=True)


def non_null(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of an optional field that may be left out but means nothing as null:
    the document shows its type alone, not pydantic's ``anyOf [type, null]``."""
    variants = [variant for variant in schema.get("anyOf", []) if variant != {"type": "null"}]
    if len(variants) == 1:
        del schema["anyOf"]
        schema.update(variants[0])
    schema.pop("default", None)


def bbox_param(text: str | None) -> tuple[float, float, float, float] | None:
    """The ``bbox`` query parameter, or a 422 naming it."""
    if text is None:
        return None
    try:
        return bbox_of(text)
    except GeometryProblem as why:
        raise InvalidInput("bbox is not valid", [FieldProblem("bbox", str(why))]) from None


class MalformedBody(DispatchError):
    status = 400
    slug = "malformed-body"
    title = "The request body is not a JSON object"


NUL = "\x00"


def _where_nul(value: Any, path: str) -> str | None:
    """The path of the first string holding a NUL character (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and NUL in key:
            return f"{path}.{key!r}".lstrip(".")
        if (found := _where_nul(item, f"{path}.{key}".lstrip("."))) is not None:
            return found
    return None


def _reject_nul(field: str) -> None:
    raise InvalidInput("text may not contain NUL characters", [FieldProblem(field, "contains a NUL character")])


def reject_nul_in_url() -> None:
    """Before every request: a NUL in the path or the query is refused before it reaches SQL."""
    if NUL in request.path:
        _reject_nul("path")
    for name, value in request.args.items(multi=True):
        if NUL in name or NUL in value:
            _reject_nul(name)


def register_input_checks(app: Flask) -> None:
    app.before_request(reject_nul_in_url)


class TooDeep(DispatchError):
    status = 400
    slug = "too-deep"
    title = "The request body is nested too deeply"


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth_exceeds(raw: bytes, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests arrays and objects deeper than ``limit`` (brackets
    inside strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # the common case: too few brackets to matter
        return False
    depth = 0
    for bracket in _JSON_STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET):
        depth += 1 if bracket in b"[{" else -1
        if depth > limit:
            return True
    return False


def json_body(model: type[Model]) -> Model:
    raw = request.get_data(cache=True)  # a body over MAX_BODY_BYTES stops here with a 413
    if json_depth_exceeds(raw):
        raise TooDeep(f"arrays and objects may be nested at most {JSON_MAX_DEPTH} deep")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise MalformedBody("send a JSON object with Content-Type: application/json")
    # A NUL in UTF-8 JSON text is always escaped: without the escape (or any zero byte, as UTF-16
    # and UTF-32 bodies have) in the raw body, there is none to find.
    if (b"\\u0000" in raw or b"\x00" in raw) and (field := _where_nul(body, "")) is not None:
        _reject_nul(field)
    return model.model_validate(body)


def query_args(model: type[Model]) -> Model:
    return model.model_validate(request.args.to_dict())


def page_size(requested: int | None, default: int, largest: int) -> int:
    return min(requested or default, largest)


def page_links(rows: list[tuple[int, str]], limit: int, media_type: str, **view_args: Any) -> tuple[list, list[dict]]:
    """Keyset paging: ``rows`` were fetched with ``limit + 1``; returns the page and its links
    (self, and next with the cursor ``after`` while more rows remain)."""
    links = [{"rel": "self", "type": media_type, "href": request.url}]
    if len(rows) > limit:
        rows = rows[:limit]
        args = {k: v for k, v in request.args.items() if k != "after"}
        links.append({"rel": "next", "type": media_type, "href": url_for(
            request.endpoint, _external=True, **view_args, **args, after=rows[-1][0])})
    return rows, links
