"""The public outage map under ``/outages/``: its page and modules from ``api/static/outages``, the
shared modules, and MapLibre GL JS from ``node_modules`` (api/web_apps.py), with the desk's
Content-Security-Policy (this server, and the raster base map's server when one is configured).
No sign-in: the page reads only the public feed and road tiles (api/public_outages.py)."""
from __future__ import annotations

from api.desk_app import VENDOR, policy
from api.web_apps import STATIC, web_app

STATIC = STATIC / "outages"

blueprint = web_app("outages_app", "/outages", STATIC, VENDOR, policy)
