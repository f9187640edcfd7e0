"""Which crews an incident needs: the utility's own skill words, and the rules that say which of
them a fault asks for.

Utilities describe crews in their own words (overhead, underground, switching, live-line work...)
and have their own rules (a medium-voltage fault needs an overhead crew, a hazard a live-line one,
a zone of cables an underground one). So both are data: the default in skills.json (``mv`` above
the transformers, ``lv`` at or below them), or the utility's file named by SKILL_RULES_FILE, in the
same format::

    {"skills": {"word": {"en": "label", "zh-CN": "label"}, ...},
     "rules": [{"when": {"level": "mv", "device_kind": ["switch"], "hazard": true,
                         "zone": ["Z3"], "zone_class": ["rural"]},
                "needs": ["word", ...]}, ...]}

An incident needs the union of what every rule whose conditions all hold needs (a condition with
a list holds for any of its values; a rule with no conditions holds always), and a crew qualifies
when it has all of those skills.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Any, Iterable

from dispatch.gis.models import DEVICE_KINDS, ZONE_CLASSES

DEFAULT = Path(__file__).with_name("skills.json")
#: A device above the transformers is on the medium-voltage network; at or below them, low voltage.
LEVELS = ("mv", "lv")
CONDITIONS = ("level", "device_kind", "hazard", "zone", "zone_class")


def has_skills(held: Iterable[str], needed: Iterable[str]) -> bool:
    """A crew holding ``held`` qualifies for a fault that needs ``needed``: every one of them."""
    return set(needed) <= set(held)


@dataclass(frozen=True)
class Fault:
    """What the rules look at."""

    level: str
    device_kind: str
    hazard: bool = False
    zone: str | None = None
    zone_class: str | None = None


@dataclass(frozen=True)
class SkillRule:
    when: tuple[tuple[str, frozenset], ...]
    needs: frozenset[str]

    def holds(self, fault: Fault) -> bool:
        return all(getattr(fault, name) in values for name, values in self.when)


@dataclass(frozen=True)
class SkillRules:
    labels: dict[str, dict[str, str]]
    rules: tuple[SkillRule, ...]

    def needs(self, fault: Fault) -> list[str]:
        """The skills a crew must have, all of them, to take this fault (sorted)."""
        return sorted(set().union(*(rule.needs for rule in self.rules if rule.holds(fault))))

    def unknown(self, skills: Iterable[str]) -> list[str]:
        return sorted(set(skills) - self.labels.keys())

    def can_take_some_fault(self, skills: Iterable[str]) -> bool:
        """Whether a crew with ``skills`` qualifies for any ordinary fault (no hazard, any zone):
        one that does not is sent to nothing."""
        return any(has_skills(skills, self.needs(Fault(level, kind))) for level, kind in product(LEVELS, DEVICE_KINDS))


def _condition(source: Path, name: str, value: Any) -> tuple[str, frozenset]:
    allowed = {"level": LEVELS, "device_kind": DEVICE_KINDS, "zone_class": ZONE_CLASSES}.get(name)
    if name not in CONDITIONS:
        raise ValueError(f"the skill rules {source}: unknown condition {name!r} (known: {', '.join(CONDITIONS)})")
    if name == "hazard":
        if not isinstance(value, bool):
            raise ValueError(f"the skill rules {source}: hazard must be true or false")
        return name, frozenset({value})
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"the skill rules {source}: {name} must be a name or a list of names")
    if allowed and set(values) - set(allowed):
        raise ValueError(f"the skill rules {source}: {name} must be among {', '.join(allowed)}")
    return name, frozenset(values)


@lru_cache(maxsize=4)
def skill_rules(path: str = "") -> SkillRules:
    """The rules in ``path`` (default: the shipped ones), checked once per process."""
    source = Path(path) if path else DEFAULT
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as why:
        raise ValueError(f"the skill rules {source} cannot be read: {why}") from why
    labels = data.get("skills") if isinstance(data, dict) else None
    if not isinstance(labels, dict) or not labels or not all(isinstance(v, dict) for v in labels.values()):
        raise ValueError(f"the skill rules {source} need a 'skills' object: word -> labels per language")
    rules = []
    for number, rule in enumerate(data.get("rules") or [], 1):
        if not isinstance(rule, dict) or not isinstance(rule.get("when", {}), dict) \
                or not isinstance(rule.get("needs"), list) or not rule["needs"]:
            raise ValueError(f"the skill rules {source}: rule {number} needs 'when' (an object) and 'needs' (a list)")
        unknown = set(rule["needs"]) - labels.keys()
        if unknown:
            raise ValueError(f"the skill rules {source}: rule {number} needs {', '.join(sorted(map(str, unknown)))}, "
                             "which 'skills' does not list")
        when = tuple(_condition(source, name, value) for name, value in rule.get("when", {}).items())
        rules.append(SkillRule(when, frozenset(rule["needs"])))
    return SkillRules(labels, tuple(rules))
