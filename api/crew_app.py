"""The crew phone app under ``/crew/``: its page and modules from ``api/static/crew``, the shared
modules, its service worker, and the few front-end libraries it uses (api/web_apps.py)."""
from __future__ import annotations

import hashlib

from flask import Response

from api.access import public
from api.web_apps import COMMON, NODE_MODULES, STATIC, content_security_policy, web_app

STATIC = STATIC / "crew"
#: The only third-party files served, by their path under /crew/vendor/.
VENDOR = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "idb-keyval/index.js": "idb-keyval/dist/index.js",
}
#: Replaced in sw.js by a digest of every file the app caches: any change to them makes a new
#: service worker, which installs the new files, without anyone having to bump a number.
VERSION_MARK = "__SHELL_VERSION__"
#: The page may load nothing from elsewhere (the crews' network has no internet, and a phone app
#: must not leak positions to third parties); Leaflet sets styles from script, which this allows.
CONTENT_SECURITY_POLICY = content_security_policy()

blueprint = web_app("crew_app", "/crew", STATIC, VENDOR, lambda: CONTENT_SECURITY_POLICY)


@blueprint.get("/sw.js")
@public
def service_worker() -> Response:
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    response = Response(source.replace(VERSION_MARK, shell_version()), mimetype="text/javascript")
    # Scope /crew/ is the worker's own folder already; the header keeps it valid if it moves.
    response.headers["Service-Worker-Allowed"] = "/crew/"
    # Browsers must see a new worker as soon as it exists: never from a cache.
    response.headers["Cache-Control"] = "no-cache, max-age=0"
    return response


def shell_version() -> str:
    """A digest of the app's own files, the shared ones and its libraries (a few hundred kB: cheap
    per request)."""
    digest = hashlib.sha256()
    files = sorted(p for p in STATIC.rglob("*") if p.is_file() and p.name != "sw.js")
    files += sorted(p for p in COMMON.rglob("*") if p.is_file())
    files += [NODE_MODULES / v for v in sorted(VENDOR.values())]
    for path in files:
        digest.update(path.name.encode())
        if path.is_file():
            digest.update(path.read_bytes())
    digest.update((STATIC / "sw.js").read_bytes())
    return digest.hexdigest()[:16]
