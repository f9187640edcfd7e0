"""Roads from an OpenStreetMap file, read with pyosmium."""
from __future__ import annotations

from sqlalchemy import text

from dispatch.routing.osm import maxspeed_kmh
from tests.factories import LAT, LON

OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  {nodes}
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="Bagh Street"/></way>
  <way id="11"><nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="primary"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="30 mph"/></way>
  <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="footway"/></way>
  <way id="13"><nd ref="4"/><nd ref="5"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
  <way id="14"><nd ref="4"/><nd ref="1"/><tag k="highway" v="tertiary"/><tag k="junction" v="roundabout"/></way>
</osm>"""


def test_drivable_ways_become_roads_cut_at_junctions(cli, connection, tmp_path):
    nodes = "\n  ".join(f'<node id="{i}" lat="{LAT + 0.001 * i}" lon="{LON + 0.001 * (i % 2)}" version="1"/>'
                        for i in range(1, 6))
    path = tmp_path / "town.osm"
    path.write_text(OSM.format(nodes=nodes))
    result = cli.invoke(args=["data", "import-osm", str(path)])
    assert result.exit_code == 0, result.output
    roads = {code: (highway, oneway, maxspeed, name) for code, highway, oneway, maxspeed, name in connection.execute(
        text("SELECT code, highway, oneway, maxspeed_kmh, name FROM roads ORDER BY code")).all()}
    # way 10 is cut at node 2 (shared with way 11); the footway and the private road are left out
    assert sorted(roads.values(), key=str) == sorted([
        ("residential", "no", None, "Bagh Street"), ("residential", "no", None, "Bagh Street"),
        ("primary", "yes", 48.28032, None), ("tertiary", "yes", None, None)], key=str)
    assert connection.execute(text("SELECT count(*) FROM road_nodes")).scalar() == 4
    assert "strongly connected" in result.output


def test_unreadable_files_are_refused(cli, tmp_path):
    path = tmp_path / "broken.osm"
    path.write_text("<osm><way id='1'>")
    result = cli.invoke(args=["data", "import-osm", str(path)])
    assert result.exit_code == 1 and "not a readable OpenStreetMap file" in result.output


def test_maxspeed_values():
    assert maxspeed_kmh("50") == 50 and round(maxspeed_kmh("30 mph"), 1) == 48.3
    assert maxspeed_kmh("signals") is None and maxspeed_kmh(None) is None and maxspeed_kmh("0") is None
