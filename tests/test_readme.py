"""The README, followed to the letter: its shell examples run, in order, in one shell, against the
app serving the demo data and users exactly as scripts/run.sh leaves them (on a database of the
test's own); then the README's crew walkthrough in a real browser: c01 signs in on a phone, works
the job the examples gave it to the end and files the closing report.

A block the test cannot run says why in a comment line right above it
(``<!-- README test: not run (why) -->``); every other ``sh`` block runs, so a new example is
tested the day it is written. ``curl`` fails on an HTTP error here (``--fail-with-body``), so an
example that answers 401 or 422 fails the test as it would fail a reader.
"""
from __future__ import annotations

import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from werkzeug.serving import make_server

from api import create_app
from api.cli import alembic_config
from dispatch.core.db import Database
from dispatch.gis.grid_import import import_grid
from tests.browser import ROOT, screenshot
from tests.conftest import BASE, TEST_REDIS_URL
from tests.crews.test_crew_app import phone, sign_in

README = ROOT / "README.md"
NOT_RUN = re.compile(r"<!-- README test: not run \((.+)\) -->")
README_BASE = "http://127.0.0.1:5000"
#: The README's interactive `users create` asks for a password twice.
TYPED = "a long passphrase\na long passphrase\n"
#: Files the README's examples name, as a reader would have them.
HISTORY_CSV = ("ref,started_at,restored_at,planned,cause,accounts\n"
               "H-1,2025-07-01T08:00:00+08:00,2025-07-01T09:30:00+08:00,false,weather.wind,7100000001;7100000002\n")

#: The examples take times from the machine's clock (`date`), which CLOCK_SHIFT_DAYS does not move.
ON_THE_MACHINES_CLOCK = pytest.mark.skipif(
    BASE.clock_shift_days != 0,
    reason="the README's examples take times from the machine's clock (date), which CLOCK_SHIFT_DAYS does not move")


@dataclass(frozen=True)
class Block:
    line: int
    code: str
    not_run: str | None


def shell_blocks(markdown: str) -> list[Block]:
    """Every ```sh block (indented ones too), with the reason it is not run, if one is given."""
    blocks, lines, i = [], markdown.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            reason = NOT_RUN.search(lines[i - 1]) if i else None
            start, indent = i + 1, len(lines[i]) - len(lines[i].lstrip())
            i += 1
            while lines[i].strip() != "```":
                i += 1
            blocks.append(Block(start, "\n".join(line[indent:] for line in lines[start:i]),
                                reason.group(1) if reason else None))
        i += 1
    return blocks


def test_every_shell_block_runs_or_says_why_not():
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    assert len([b for b in blocks if b.not_run is None]) >= 6  # the parser finds them (7 when written)
    assert all(len(b.not_run or "x" * 10) >= 10 for b in blocks)  # a reason a reader understands
    # A block marked not run still shows nothing that breaks the system when run (the old
    # `--rev-id 0009` wrote a revision that pointed at itself).
    assert not re.search(r"--rev-id \d", README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_site(make_database, demo_build, tmp_path_factory):
    """The app on the demo data and users as scripts/run.sh leaves them, served on a free port
    (requests at once, changes committed). Yields (app, base URL, database URL)."""
    url = make_database()
    command.upgrade(alembic_config(url), "head")
    database = Database(url)
    with database.session() as session:
        import_grid(session, demo_build[0])
        session.commit()
    database.dispose()
    app = create_app(BASE.with_overrides(database_url=url, redis_url=TEST_REDIS_URL))
    assert app.test_cli_runner().invoke(args=["demo", "users"]).exit_code == 0  # run.sh's own step
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="readme-server", daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}", url, demo_build[0]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["database"].dispose()


def run_readme(base: str, database_url: str, workdir: Path) -> subprocess.CompletedProcess:
    """The README's runnable blocks in one bash, as a reader pastes them into one terminal."""
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    (workdir / "wsgi.py").symlink_to(ROOT / "wsgi.py")
    (workdir / "history.csv").write_text(HISTORY_CSV, encoding="utf-8")
    return subprocess.run(["bash", "-c", readme_script(base)], cwd=workdir, input=TYPED, text=True,
                          capture_output=True, timeout=600, env=readme_env(database_url))


def readme_script(base: str) -> str:
    script = ["set -euo pipefail", 'curl() { command curl --fail-with-body "$@"; }']
    for block in shell_blocks(README.read_text(encoding="utf-8")):
        if block.not_run is None:
            script += [f"echo '>>> README.md line {block.line}' >&2", block.code.replace(README_BASE, base)]
    return "\n".join(script)


def readme_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": TEST_REDIS_URL,
            "SECRET_KEY": BASE.secret_key, "PYTHONPATH": str(ROOT), "FLASK_APP": "wsgi"}


@ON_THE_MACHINES_CLOCK
def test_the_readme_examples_work_and_c01_finishes_its_job_on_the_phone(demo_site, tmp_path):
    from playwright.sync_api import expect

    app, base, url, demo_dir = demo_site
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "demo").symlink_to(demo_dir)  # `flask data import data/demo` from the checkout
    ran = run_readme(base, url, tmp_path)
    last = re.findall(r">>> (README.md line \d+)", ran.stderr)
    assert ran.returncode == 0, f"{last[-1] if last else 'README'} failed:\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
    assert (tmp_path / "review-2026-11.xlsx").stat().st_size > 0  # `flask reports monthly` wrote its pack

    # The README's report went to crew C01 and its phone accepted it: c01 sees it on the phone.
    with app.extensions["database"].engine.connect() as connection:
        job_id, status, lon, lat = connection.execute(text(
            "SELECT i.id, i.status, ST_X(i.geom), ST_Y(i.geom) FROM incidents i JOIN crews c ON c.id = i.crew_id "
            "WHERE c.code = 'C01' AND i.status NOT IN ('closed', 'cancelled', 'merged')")).one()
        address, caller_phone = connection.execute(text(
            "SELECT c.address, c.phone FROM reports r JOIN customers c ON c.id = r.customer_id "
            "WHERE r.incident_id = :id ORDER BY r.received_at, r.id LIMIT 1"), {"id": job_id}).one()
    assert status == "accepted"
    c01 = {"username": "c01", "password": "demo-crew"}
    with phone(app, lon, lat) as (phone_base, context, page, problems):
        page.goto(f"{phone_base}/crew/")
        sign_in(page, c01)
        card = page.locator(f'a.job-card[data-job="{job_id}"]')
        expect(card).to_contain_text("Accepted")
        screenshot(page, tmp_path, "readme-crew-jobs.png")
        card.click()
        # Where and who: the calling customer's address, a tap to navigate, a tap to call back.
        expect(page.locator("#job-place")).to_have_text(address)
        assert page.locator("#navigate").get_attribute("href") == f"geo:{lat},{lon}?q={lat},{lon}"
        expect(page.locator(".callers a.call")).to_have_attribute("href", f"tel:{caller_phone}")
        zoom = page.locator(".leaflet-control-zoom-in").bounding_box()
        assert zoom["width"] >= 48 and zoom["height"] >= 48  # thumb-sized, like the other buttons
        screenshot(page, tmp_path, "readme-crew-job.png")
        status_line = page.locator("#job-status")
        for action, shown in (("en_route", "En route"), ("on_site", "On site")):
            page.click(f'button[data-action="{action}"]')
            expect(status_line).to_have_text(shown)
        page.click('button[data-action="restored"]')
        page.click("#send-restored")
        expect(page.locator("#report-state")).to_have_attribute("data-state", "due")
        page.select_option("#report-category", label="Weather")
        page.select_option("#report-cause", label="Wind or typhoon")
        page.fill("#report-work", "Branch on the line cleared, fuse replaced")
        page.fill("#report-workers", "Yu Ming, Xie Mei")
        page.click("#report-send")
        expect(page.locator("#report-state")).to_have_attribute("data-state", "pending")
        screenshot(page, tmp_path, "readme-crew-finished.png")
    assert problems == []
    with app.extensions["database"].engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM incidents WHERE id = :id"), {"id": job_id}).scalar() == "restored"
