"""The fault-cause taxonomy of crews' closing reports: categories of causes, each cause with its
label per language. Utilities have their own (and managers count faults by it), so it is data: the
default in causes.json, or the utility's file named by CAUSE_TAXONOMY_FILE, in the same format.
A cause is named by its path, ``category.cause`` (e.g. ``weather.lightning``)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DEFAULT = Path(__file__).with_name("causes.json")


@lru_cache(maxsize=4)
def taxonomy(path: str = "") -> dict[str, Any]:
    """The taxonomy in ``path`` (default: the shipped one), checked once per process."""
    source = Path(path) if path else DEFAULT
    try:
        tree = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as why:
        raise ValueError(f"the cause taxonomy {source} cannot be read: {why}") from why
    if not isinstance(tree, dict) or not tree:
        raise ValueError(f"the cause taxonomy {source} must be an object of categories")
    for category, body in tree.items():
        causes = body.get("causes") if isinstance(body, dict) else None
        if not isinstance(causes, dict) or not causes or "." in category or not isinstance(body.get("label"), dict):
            raise ValueError(f"the cause taxonomy {source}: category {category!r} needs a label and causes")
    return tree


def cause_codes(path: str = "") -> frozenset[str]:
    return frozenset(f"{category}.{cause}" for category, body in taxonomy(path).items() for cause in body["causes"])
