"""The managers' reports page under ``/reports/``: its page and modules from ``api/static/reports``,
the shared modules, Apache ECharts for the charts and MapLibre GL JS for the hotspot map, both from
``node_modules`` (api/web_apps.py)."""
from __future__ import annotations

from api.desk_app import VENDOR as DESK_VENDOR
from api.desk_app import policy as desk_policy
from api.web_apps import STATIC, web_app

STATIC = STATIC / "reports"
#: The only third-party files served, by their path under /reports/vendor/: the desk's MapLibre
#: and ECharts' self-contained ES module build.
VENDOR = {
    **DESK_VENDOR,
    "echarts/echarts.esm.min.mjs": "echarts/dist/echarts.esm.min.mjs",
}

#: The same rules as the desk's page: this server only, plus the raster base map when configured.
blueprint = web_app("reports_app", "/reports", STATIC, VENDOR, desk_policy)
