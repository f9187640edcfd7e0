"""The dispatcher's console under ``/desk/``: its page and modules from ``api/static/desk``, the
shared modules, and MapLibre GL JS from ``node_modules`` (api/web_apps.py)."""
from __future__ import annotations

from urllib.parse import urlsplit

from api.context import settings
from api.web_apps import STATIC, content_security_policy, web_app

STATIC = STATIC / "desk"
#: The only third-party files served, by their path under /desk/vendor/. MapLibre starts its worker
#: from the module's own folder (maplibre-gl-worker.mjs next to maplibre-gl.mjs).
VENDOR = {
    "maplibre-gl/maplibre-gl.mjs": "maplibre-gl/dist/maplibre-gl.mjs",
    "maplibre-gl/maplibre-gl-worker.mjs": "maplibre-gl/dist/maplibre-gl-worker.mjs",
    "maplibre-gl/maplibre-gl.css": "maplibre-gl/dist/maplibre-gl.css",
}


def policy() -> str:
    """Only this server, plus the raster base map's server when one is configured (MapLibre fetches
    its tiles and decodes them as images, some through blob: URLs)."""
    basemap = settings().desk_basemap_url
    extra = ""
    if basemap:
        parts = urlsplit(basemap)
        extra = f" {parts.scheme}://{parts.netloc}"
    return content_security_policy(img_src=f"'self' data: blob:{extra}", connect_src=f"'self'{extra}")


blueprint = web_app("desk_app", "/desk", STATIC, VENDOR, policy)
