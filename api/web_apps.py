"""Static web apps served by Flask: a page, its ES modules, the code both apps share, and a fixed
table of front-end libraries from ``node_modules`` (``npm ci`` in scripts/setup.sh). No build step.

The crew phone app (``/crew/``, api/crew_app.py) and the dispatcher's console (``/desk/``,
api/desk_app.py) are each one :func:`web_app` blueprint. Their files are not API routes: no
OpenAPI entry, and every view is public (the pages sign in through the API; the files hold no data).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

from flask import Blueprint, Response, send_file, send_from_directory
from werkzeug.exceptions import NotFound

from api.access import public

STATIC = Path(__file__).resolve().parent / "static"
#: Modules both apps use (the i18n module): served inside each app as /<app>/common/..., so that
#: each app's service worker and cache rules see them as its own files.
COMMON = STATIC / "common"
NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"
#: What every page may do, whatever the app: load only from this server, never be framed.
BASE_POLICY = {
    "default-src": "'self'", "img-src": "'self' data:", "style-src": "'self'", "connect-src": "'self'",
    "worker-src": "'self'", "manifest-src": "'self'", "base-uri": "'none'", "form-action": "'none'",
    "frame-ancestors": "'none'", "object-src": "'none'",
}


def content_security_policy(**extra: str) -> str:
    """BASE_POLICY with some directives replaced (``img_src="'self' blob:"``)."""
    policy = dict(BASE_POLICY, **{name.replace("_", "-"): value for name, value in extra.items()})
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def web_app(name: str, url_prefix: str, folder: Path, vendor: Mapping[str, str],
            policy: Callable[[], str]) -> Blueprint:
    """A blueprint serving ``folder`` under ``url_prefix``: ``/`` is its index.html, ``/vendor/<name>``
    one of the ``vendor`` table's files (name under the URL -> path under node_modules; nothing else
    in node_modules can be reached), ``/common/<path>`` the shared modules. ``policy()`` gives the
    page's Content-Security-Policy (a function: it may depend on the settings)."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix)

    @blueprint.after_request
    def restrict_the_page(response: Response) -> Response:
        if response.mimetype == "text/html":  # / and /index.html alike
            response.headers["Content-Security-Policy"] = policy()
        return response

    @blueprint.get("/")
    @public
    def index() -> Response:
        return send_from_directory(folder, "index.html")

    @blueprint.get("/vendor/<path:file>")
    @public
    def vendor_file(file: str) -> Response:
        if file not in vendor:
            raise NotFound(f"{url_prefix}/vendor/{file} is not one of the app's libraries")
        path = NODE_MODULES / vendor[file]
        if not path.is_file():
            raise NotFound(f"{vendor[file]} is not installed: run scripts/setup.sh (npm ci)")
        # .mjs is a JavaScript module; browsers refuse modules served with another type.
        return send_file(path, mimetype="text/javascript" if path.suffix in (".js", ".mjs") else None)

    @blueprint.get("/common/<path:file>")
    @public
    def common_file(file: str) -> Response:
        return send_from_directory(COMMON, file)

    @blueprint.get("/<path:file>")
    @public
    def app_file(file: str) -> Response:
        # send_from_directory refuses any path that leaves the folder (404), whatever its encoding.
        return send_from_directory(folder, file)

    return blueprint


def app_files(folder: Path, url_prefix: str) -> list[str]:
    """Every file of an app and the shared modules, as the URLs the browser asks for."""
    own = [f"{url_prefix}/{p.relative_to(folder).as_posix()}" for p in folder.rglob("*") if p.is_file()]
    common = [f"{url_prefix}/common/{p.relative_to(COMMON).as_posix()}" for p in COMMON.rglob("*") if p.is_file()]
    return sorted(own + common)
