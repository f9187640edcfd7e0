"""Parsers for GeoJSON property values. Each returns the clean value or raises ``ValueError``
with a reason a data engineer can act on."""
from __future__ import annotations

import math
from typing import Any, Callable

Parser = Callable[[Any], Any]


def text(value: Any) -> str:
    """A non-empty string; whole numbers are accepted (GIS exports often write codes as numbers)."""
    if type(value) is str and (stripped := value.strip()) and "\x00" not in stripped:
        return stripped
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a finite number greater than 0, not {value!r}")
    return float(value)


def positive_int(value: Any) -> int:
    number = positive_number(value)
    if number != int(number):
        raise ValueError(f"must be a whole number, not {value!r}")
    return int(number)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def one_of(values: tuple[str, ...]) -> Parser:
    def parse(value: Any) -> str:
        if value not in values:
            raise ValueError(f"must be one of {', '.join(values)}; got {value!r}")
        return value

    return parse


def text_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("must be a list of non-empty strings")
    return [v.strip() for v in value]


def crew_members(value: Any) -> list[str] | int:
    """Either the members' names or, when names are not recorded, a head count."""
    if isinstance(value, list):
        names = text_list(value)
        if not names:
            raise ValueError("must name at least one member")
        return names
    try:
        return positive_int(value)
    except ValueError:
        raise ValueError("must be a list of names or a positive head count") from None


ONEWAY_WORDS = {"yes": "yes", "true": "yes", "1": "yes", "no": "no", "false": "no", "-1": "-1",
                "reverse": "-1"}


def oneway(value: Any) -> str:
    """OSM's ``oneway``: yes, no or -1 (against the drawing direction); booleans accepted."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    word = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if word not in ONEWAY_WORDS:
        raise ValueError(f"must be yes, no, -1 or a boolean; got {value!r}")
    return ONEWAY_WORDS[word]
