"""Crews described in the utility's own words, and the utility's rules for which of them a fault
needs (issue 18): SKILL_RULES_FILE, every skill required, the desk told why an incident waits."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from api import create_app
from dispatch.core import clock
from dispatch.gis.skills import Fault, skill_rules
from tests.conftest import BASE
from tests.factories import dispatch_grid, with_change, write_layers
from tests.helpers import assert_problem, customer, report

#: A utility's words: overhead line crews, service crews for the low-voltage side, switching
#: authorisation, live-line work for hazards.
UTILITY_RULES = {
    "skills": {"overhead": {"en": "Overhead lines", "zh-CN": "架空线路"},
               "service": {"en": "LV service", "zh-CN": "低压台区"},
               "switching": {"en": "Switching", "zh-CN": "倒闸操作"},
               "live_line": {"en": "Live-line work", "zh-CN": "带电作业"}},
    "rules": [{"when": {"level": "mv"}, "needs": ["overhead"]},
              {"when": {"level": "lv"}, "needs": ["service"]},
              {"when": {"device_kind": ["switch", "source"]}, "needs": ["switching"]},
              {"when": {"hazard": True}, "needs": ["live_line"]}],
}


def opened(client, **body) -> dict:
    """The incident a report went to, as the desk reads it."""
    brief = report(client, clock.now(), **body)["incident"]
    return client.get(f"/api/v1/incidents/{brief['id']}").get_json()


@pytest.fixture
def utility(rules, tmp_path, city, connection):
    """A client whose app reads the utility's rules; CW and CE described in its words."""
    path = tmp_path / "skills.json"
    path.write_text(json.dumps(UTILITY_RULES, ensure_ascii=False), encoding="utf-8")
    client = rules(skill_rules_file=str(path))
    assert client.patch("/api/v1/crews/CW", json={"skills": ["overhead", "switching"]}).status_code == 200
    assert client.patch("/api/v1/crews/CE", json={"skills": ["service"]}).status_code == 200
    return client


def test_an_incident_needs_the_union_of_the_rules_that_hold():
    rules = skill_rules()
    assert rules.needs(Fault("mv", "switch")) == ["mv"] and rules.needs(Fault("lv", "location", hazard=True)) == ["lv"]


def test_the_crew_with_every_skill_needed_is_sent_not_the_nearest(utility, connection):
    incident = opened(utility, account_no=customer(2))
    # CW is nearer (tests/crews/test_assignment.py) but holds no "service": CE goes.
    assert incident["required_skills"] == ["service"] and incident["crew"] == "CE"
    candidates = utility.get(f"/api/v1/incidents/{incident['id']}/candidates").get_json()["candidates"]
    assert {c["crew"]: c["qualified"] for c in candidates} == {"CW": False, "CE": True}


def test_an_unqualified_crew_is_refused_with_the_skills_it_lacks(utility, connection):
    incident = opened(utility, account_no=customer(2))
    problem = assert_problem(utility.post(f"/api/v1/incidents/{incident['id']}/assign", json={"crew": "CW"}), 409)
    assert "lacks skills this incident needs: service" in problem["detail"]


def test_a_hazard_waits_for_live_line_and_the_desk_is_told_why(utility, connection):
    hazard = opened(utility, account_no=customer(1), hazard=True)
    assert hazard["required_skills"] == ["live_line", "service"] and hazard["crew"] is None
    shown = utility.get(f"/api/v1/incidents/{hazard['id']}").get_json()
    assert shown["status"] == "new" and shown["no_qualified_crew"] is True
    listed = {i["id"]: i for i in utility.get("/api/v1/incidents").get_json()["incidents"]}
    assert listed[hazard["id"]]["no_qualified_crew"] is True
    # A crew with both comes on duty: it takes the hazard, and the reason is gone.
    assert utility.patch("/api/v1/crews/CL", json={"skills": ["live_line", "service"], "on_duty": True}).status_code == 200
    shown = utility.get(f"/api/v1/incidents/{hazard['id']}").get_json()
    assert shown["crew"] == "CL" and shown["no_qualified_crew"] is False


def test_a_free_crew_given_the_skills_takes_the_waiting_incident_at_once(utility):
    """Not at the next sweep: the incident would wait while a qualified crew stands idle."""
    hazard = opened(utility, account_no=customer(1), hazard=True)
    assert hazard["crew"] is None and hazard["no_qualified_crew"] is True
    changed = utility.patch("/api/v1/crews/CE", json={"skills": ["service", "live_line"]})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["incident"] == hazard["id"] and changed.get_json()["status"] == "assigned"
    shown = utility.get(f"/api/v1/incidents/{hazard['id']}").get_json()
    assert (shown["status"], shown["crew"], shown["no_qualified_crew"]) == ("assigned", "CE", False)


def test_the_default_rules_keep_mv_and_lv(client, city, connection):
    incident = opened(client, account_no=customer(2))
    assert incident["required_skills"] == ["lv"] and incident["no_qualified_crew"] is False


@pytest.mark.parametrize("broken, why", [
    ({"skills": {}, "rules": []}, "need a 'skills' object"),
    ({"skills": {"a": {"en": "A"}}, "rules": [{"when": {"level": "mv"}, "needs": ["b"]}]}, "which 'skills' does not list"),
    ({"skills": {"a": {"en": "A"}}, "rules": [{"when": {"voltage": "mv"}, "needs": ["a"]}]}, "unknown condition 'voltage'"),
    ({"skills": {"a": {"en": "A"}}, "rules": [{"when": {"level": "hv"}, "needs": ["a"]}]}, "level must be among mv, lv"),
    ({"skills": {"a": {"en": "A"}}, "rules": [{"when": {"hazard": "yes"}, "needs": ["a"]}]}, "hazard must be true or false"),
])
def test_rules_that_cannot_work_stop_the_start(database_url, tmp_path, broken, why):
    path = tmp_path / "skills.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(ValueError, match=why):
        create_app(BASE.with_overrides(database_url=database_url, skill_rules_file=str(path)))


def test_the_import_warns_about_the_utility_s_words_under_the_default_rules(cli, tmp_path, connection):
    layers = with_change(dispatch_grid(), "crews", 0, skills=["overhead", "climbing"])
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path, layers))])
    assert result.exit_code == 0, result.output
    assert "warning: crews: skill(s) no rule knows: climbing (SKILL_RULES_FILE lists mv, lv, overhead, cable, live_line, tree_trimming)" in result.output
    code = connection.execute(text("SELECT code FROM crews ORDER BY id LIMIT 1")).scalar_one()
    assert f"can take no incident, their skills meet no rule: {code}" in result.output


def test_the_desk_cannot_give_a_crew_a_word_the_rules_do_not_know(utility, client, connection):
    problem = assert_problem(utility.patch("/api/v1/crews/CE", json={"skills": ["service", "cable"]}), 422)
    assert problem["errors"][0]["field"] == "skills"
    assert "unknown cable; the skills are overhead, service, switching, live_line" in problem["errors"][0]["message"]
    assert_problem(client.post("/api/v1/crews", json={"code": "CN", "name": "N", "depot": "DE", "members": 2,
                                                      "phone": "1", "skills": ["aerial"]}), 422)
    skills = connection.execute(text("SELECT skills FROM crews WHERE code = 'CE'")).scalar_one()
    assert skills == ["service"]


def test_the_readme_s_example_rules_work(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("utility's file, for example:", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    path = tmp_path / "skills.json"
    path.write_text(example, encoding="utf-8")
    rules = skill_rules(str(path))
    assert rules.needs(Fault("lv", "transformer", hazard=True)) == ["live_line", "service"]
    assert rules.needs(Fault("mv", "switch")) == ["overhead"]


def test_a_crew_whose_skills_meet_no_rule_is_saved_with_the_import_s_warning(client, city, connection):
    """Under the default rules "overhead" is a known word that no rule asks for: such a crew would
    be sent to nothing, and the desk hears it when it saves the crew."""
    created = client.post("/api/v1/crews", json={"code": "CN", "name": "North", "depot": "DW", "members": 2,
                                                 "phone": "1", "skills": ["overhead"]})
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["warnings"] == ["1 crew(s) can take no incident, their skills meet no rule: CN"]
    changed = client.patch("/api/v1/crews/CN", json={"skills": ["overhead", "lv"]})
    assert changed.status_code == 200 and changed.get_json()["warnings"] == []
    idle = client.patch("/api/v1/crews/CE", json={"skills": []}).get_json()
    assert idle["skills"] == [] and idle["warnings"] == ["1 crew(s) can take no incident, their skills meet no rule: CE"]
    assert client.patch("/api/v1/crews/CE", json={"on_duty": False}).get_json()["warnings"] == idle["warnings"]
    assert "warnings" not in client.get("/api/v1/crews/CE").get_json()  # said when saved, not a property


def test_the_utility_s_rules_decide_which_crews_are_warned_about(utility):
    # "switching" alone meets no rule of the utility's: every fault asks overhead or service too.
    answer = utility.patch("/api/v1/crews/CL", json={"skills": ["switching"]}).get_json()
    assert answer["warnings"] == ["1 crew(s) can take no incident, their skills meet no rule: CL"]
    assert utility.patch("/api/v1/crews/CL", json={"skills": ["service"]}).get_json()["warnings"] == []


#: The default rules, and a zone whose network is cables (Z1, urban) and rural places, where trees
#: are cleared before the repair: an extra skill each.
ZONE_RULES = {
    "skills": json.loads((Path(__file__).resolve().parents[2] / "dispatch/gis/skills.json").read_text())["skills"],
    "rules": [{"when": {"level": "mv"}, "needs": ["mv"]},
              {"when": {"level": "lv"}, "needs": ["lv"]},
              {"when": {"zone": ["Z1"]}, "needs": ["cable"]},
              {"when": {"zone_class": "rural"}, "needs": ["tree_trimming"]}],
}


@pytest.fixture
def zoned(rules, tmp_path, city):
    path = tmp_path / "skills.json"
    path.write_text(json.dumps(ZONE_RULES, ensure_ascii=False), encoding="utf-8")
    return rules(skill_rules_file=str(path))


def test_a_zone_s_rule_asks_its_skill_and_the_incident_waits_for_a_crew_with_it(zoned, connection):
    incident = opened(zoned, account_no=customer(2))  # behind T2, in zone Z1
    assert incident["zone"] == "Z1"
    assert incident["required_skills"] == ["cable", "lv"]
    assert incident["crew"] is None and incident["no_qualified_crew"] is True
    # CL (off duty) has what Z1 asks: once on duty it takes the incident.
    answer = zoned.patch("/api/v1/crews/CL", json={"skills": ["lv", "cable"], "on_duty": True})
    assert answer.status_code == 200 and answer.get_json()["warnings"] == []
    shown = zoned.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert shown["crew"] == "CL" and shown["no_qualified_crew"] is False


def test_a_zone_class_rule_holds_where_the_class_is_defaulted_too(zoned, connection):
    """T5's customers lie outside every zone: the class is DEFAULT_ZONE_CLASS (rural), and the rural
    rule asks tree trimming there; the Z1 rule does not hold outside Z1."""
    incident = opened(zoned, account_no=customer(5))
    assert incident["zone"] is None and incident["zone_defaulted"] and incident["class"] == "rural"
    assert incident["required_skills"] == ["lv", "tree_trimming"] and incident["no_qualified_crew"] is True
    assert zoned.patch("/api/v1/crews/CL", json={"skills": ["lv", "tree_trimming"], "on_duty": True}).status_code == 200
    shown = zoned.get(f"/api/v1/incidents/{incident['id']}").get_json()
    assert shown["crew"] == "CL" and shown["no_qualified_crew"] is False
