"""nginx in front of the app: writes its configuration and starts, reloads or stops it.

    .venv/bin/python scripts/edge_proxy.py start    # write var/nginx/nginx.conf, start nginx (or reload it)
    .venv/bin/python scripts/edge_proxy.py stop
    .venv/bin/python scripts/edge_proxy.py render   # print the configuration

scripts/run.sh starts it; nginx itself comes from Debian (scripts/setup.sh installs it). It runs as
the project's own process with its own configuration, prefix and pid file under ``var/nginx``,
never as the system's site. Why it is there: gunicorn's workers read a request themselves, so a
client that sends half a header or a slow body holds a worker (or a thread) until it finishes;
nginx reads every request completely first (timeouts and a size limit included) and hands the
app only whole requests, and it is where TLS ends (README, "In front of the app").

Environment: ``BIND`` (public address, default 127.0.0.1:5000), ``APP_BIND`` (gunicorn's,
default 127.0.0.1:5001), ``MAX_BODY_BYTES`` and ``GRID_IMPORT_MAX_MB`` (the app's settings, also
nginx's limits), ``NGINX_DIR`` (default var/nginx), ``NGINX_LOG_DIR`` (default var/log).
"""
from __future__ import annotations

import argparse
import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from dispatch.core.config import Settings  # noqa: E402

#: nginx's own answer when a body is over the limit, in the API's one error format.
TOO_LARGE = ('{"type": "urn:grid-dispatch:problem:too-large", "title": "Request Entity Too Large", '
             '"status": 413, "detail": "The request body is larger than the server accepts."}')
APP_DOWN = ('{"type": "urn:grid-dispatch:problem:unavailable", "title": "Service Unavailable", '
            '"status": 503, "detail": "The API server is not answering; try again shortly."}')

TEMPLATE = """\
# Written by scripts/edge_proxy.py at every start: edit the script, not this file.
worker_processes auto;
user {user};
pid {prefix}/nginx.pid;
error_log {log_dir}/nginx-error.log warn;
daemon {daemon};

events {{
    worker_connections 4096;
}}

http {{
    # Each request's id: the client's X-Request-Id if it sent one, else nginx's own. The app keeps
    # it (when sane), returns it and writes it in its log lines; nginx's access log has it too.
    map $http_x_request_id $dispatch_request_id {{
        default $http_x_request_id;
        "" $request_id;
    }}
    log_format dispatch '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time '
                        '"$dispatch_request_id"';
    access_log {log_dir}/nginx-access.log dispatch;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    default_type application/octet-stream;
    server_tokens off;

    # A client gets this long to send its request line and headers, and between two reads of its
    # body; a slow client holds only one of nginx's connections, never an app worker.
    client_header_timeout {header_timeout_s}s;
    client_body_timeout {body_timeout_s}s;
    send_timeout {send_timeout_s}s;
    keepalive_timeout 65s;
    large_client_header_buffers 4 16k;
    # The same limit as the app's MAX_BODY_BYTES: a larger body is refused here, unread.
    client_max_body_size {max_body_bytes};
    client_body_buffer_size 128k;

    upstream dispatch_app {{
        # No idle connections kept to gunicorn: it closes each after its response, so that
        # every request goes to the least busy of its processes (scripts/gunicorn.conf.py).
        server {upstream};
    }}

    server {{
        listen {listen};

        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        # Exactly one hop: the client's own X-Forwarded-For is replaced, never passed on, so the
        # app (PROXY_HOPS=1) sees the address that connected here.
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Request-Id $dispatch_request_id;
        # The whole request is read before the app sees it; so is the response, unless streamed.
        proxy_request_buffering on;
        proxy_buffering on;
        proxy_connect_timeout 5s;
        proxy_send_timeout 60s;
        proxy_read_timeout 60s;

        error_page 413 @too_large;
        location @too_large {{
            default_type application/problem+json;
            add_header X-Request-Id $dispatch_request_id always;
            return 413 '{too_large}';
        }}
        error_page 502 504 =503 @app_down;
        location @app_down {{
            default_type application/problem+json;
            add_header Retry-After 5 always;
            add_header X-Request-Id $dispatch_request_id always;
            return 503 '{app_down}';
        }}

        location / {{
            proxy_pass http://dispatch_app;
        }}

        # Grid imports: whole layer files (the app's GRID_IMPORT_MAX_MB), and a large grid takes
        # minutes to import before the answer comes.
        location = /api/v1/grid/imports {{
            proxy_pass http://dispatch_app;
            client_max_body_size {grid_import_max_mb}m;
            proxy_read_timeout 1h;
        }}

        # Live updates (server-sent events): every event leaves at once, and an idle stream (a
        # heartbeat every STREAM_HEARTBEAT_S) stays open.
        location = /api/v1/stream {{
            proxy_pass http://dispatch_app;
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
        }}
    }}

    # TLS (the crew app needs HTTPS on real phones: service workers and GPS are for secure
    # pages only). With a certificate for the server's name, add a server like this one and set
    # PROXY_HOPS=1 as for plain HTTP (README, "In front of the app"):
    #
    # server {{
    #     listen 443 ssl http2;
    #     server_name dispatch.example.org;
    #     ssl_certificate     /etc/letsencrypt/live/dispatch.example.org/fullchain.pem;
    #     ssl_certificate_key /etc/letsencrypt/live/dispatch.example.org/privkey.pem;
    #     ssl_protocols TLSv1.2 TLSv1.3;
    #     add_header Strict-Transport-Security "max-age=31536000" always;
    #     ... the same proxy settings and locations as above ...
    # }}
}}
"""


def render(*, listen: str, upstream: str, prefix: Path, log_dir: Path, max_body_bytes: int,
           grid_import_max_mb: int = Settings.grid_import_max_mb, daemon: bool = True, header_timeout_s: int = 10,
           body_timeout_s: int = 10, send_timeout_s: int = 30) -> str:
    """The nginx configuration: ``listen`` in front of the app at ``upstream``."""
    return TEMPLATE.format(
        listen=listen, upstream=upstream, prefix=prefix, log_dir=log_dir, max_body_bytes=max_body_bytes,
        grid_import_max_mb=grid_import_max_mb,
        daemon="on" if daemon else "off", user=getpass.getuser(), too_large=TOO_LARGE, app_down=APP_DOWN,
        header_timeout_s=header_timeout_s, body_timeout_s=body_timeout_s, send_timeout_s=send_timeout_s)


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise SystemExit("nginx is not installed (scripts/setup.sh installs it)")
    return found


def write_config(prefix: Path, log_dir: Path, **options) -> Path:
    """Write ``prefix/nginx.conf`` (and the directories nginx needs); returns its path."""
    for directory in (prefix, log_dir, *(prefix / d for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))):
        directory.mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(render(prefix=prefix, log_dir=log_dir, **options))
    return config


def command(config: Path, prefix: Path, log_dir: Path, *extra: str) -> list[str]:
    return [nginx_binary(), "-c", str(config), "-p", str(prefix), "-e", str(log_dir / "nginx-error.log"), *extra]


def running_pid(prefix: Path) -> int | None:
    try:
        pid = int((prefix / "nginx.pid").read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "render"])
    args = parser.parse_args()
    prefix = Path(os.environ.get("NGINX_DIR", ROOT / "var" / "nginx")).resolve()
    log_dir = Path(os.environ.get("NGINX_LOG_DIR", ROOT / "var" / "log")).resolve()
    settings = Settings.from_env()
    options = dict(listen=os.environ.get("BIND", "127.0.0.1:5000"), upstream=os.environ.get("APP_BIND", "127.0.0.1:5001"),
                   max_body_bytes=settings.max_body_bytes, grid_import_max_mb=settings.grid_import_max_mb)
    if args.action == "render":
        print(render(prefix=prefix, log_dir=log_dir, **options))
        return
    if args.action == "stop":
        pid = running_pid(prefix)
        if pid is None:
            print("nginx is not running")
            return
        os.kill(pid, signal.SIGQUIT)  # finish the requests in flight, then stop
        for _ in range(50):
            if running_pid(prefix) is None:
                break
            time.sleep(0.1)
        print("stopped nginx")
        return
    config = write_config(prefix, log_dir, **options)
    subprocess.run(command(config, prefix, log_dir, "-t", "-q"), check=True)
    if running_pid(prefix) is not None:
        subprocess.run(command(config, prefix, log_dir, "-s", "reload"), check=True)
        print(f"nginx reloaded: {options['listen']} -> {options['upstream']}")
    else:
        subprocess.run(command(config, prefix, log_dir), check=True)
        print(f"nginx started: {options['listen']} -> {options['upstream']}")


if __name__ == "__main__":
    main()
