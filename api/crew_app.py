"""The crew phone app under ``/crew/``: its page, modules and service worker from ``api/static/crew``,
and the few front-end libraries it uses, served from ``node_modules`` (``npm ci`` in scripts/setup.sh).

These are files, not API routes: no OpenAPI entry, and every view is public (the page signs in
through the API; the files hold no data).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Response, send_file, send_from_directory
from werkzeug.exceptions import NotFound

from api.access import public

STATIC = Path(__file__).resolve().parent / "static" / "crew"
NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"
#: The only third-party files served, by their path under /crew/vendor/: a fixed table rather than
#: a directory, so that nothing else in node_modules (nor outside it) can be reached.
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
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
                           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'")

blueprint = Blueprint("crew_app", __name__, url_prefix="/crew")


@blueprint.after_request
def restrict_the_page(response: Response) -> Response:
    if response.mimetype == "text/html":  # /crew/ and /crew/index.html alike
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@blueprint.get("/")
@public
def index() -> Response:
    return send_from_directory(STATIC, "index.html")


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


@blueprint.get("/vendor/<path:name>")
@public
def vendor_file(name: str) -> Response:
    if name not in VENDOR:
        raise NotFound(f"/crew/vendor/{name} is not one of the app's libraries")
    path = NODE_MODULES / VENDOR[name]
    if not path.is_file():
        raise NotFound(f"{VENDOR[name]} is not installed: run scripts/setup.sh (npm ci)")
    return send_file(path)


@blueprint.get("/<path:name>")
@public
def app_file(name: str) -> Response:
    # send_from_directory refuses any path that leaves STATIC (404), whatever its encoding.
    return send_from_directory(STATIC, name)


def shell_version() -> str:
    """A digest of the app's own files and its libraries (a few hundred kB: cheap per request)."""
    digest = hashlib.sha256()
    files = sorted(p for p in STATIC.rglob("*") if p.is_file() and p.name != "sw.js")
    files += [NODE_MODULES / v for v in sorted(VENDOR.values())]
    for path in files:
        digest.update(path.name.encode())
        if path.is_file():
            digest.update(path.read_bytes())
    digest.update((STATIC / "sw.js").read_bytes())
    return digest.hexdigest()[:16]
