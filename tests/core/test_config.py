"""Settings read from the environment: the token-signing key found the way scripts/run.sh keeps it."""
from __future__ import annotations

from datetime import time

import pytest

from dispatch.core.config import Settings


def test_the_secret_key_comes_from_the_installation_file_when_not_set(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("kept-by-run-sh\n")
    assert Settings.from_env({"SECRET_KEY_FILE": str(key_file)}).secret_key == "kept-by-run-sh"
    # The environment wins over the file, and no file means no key (a per-process one, with a warning).
    assert Settings.from_env({"SECRET_KEY_FILE": str(key_file), "SECRET_KEY": "exported"}).secret_key == "exported"
    assert Settings.from_env({"SECRET_KEY_FILE": str(tmp_path / "absent")}).secret_key == ""


def test_notification_settings_are_checked_at_start():
    assert Settings.from_env({"NOTIFY_QUIET_HOURS": "23:30-06:00"}).quiet_hours == (time(23, 30), time(6, 0))
    assert Settings.from_env({"NOTIFY_QUIET_HOURS": ""}).quiet_hours is None
    for bad in ({"NOTIFY_QUIET_HOURS": "late"}, {"NOTIFY_QUIET_HOURS": "22:00"}, {"NOTIFY_ADAPTER": "fax"},
                {"NOTIFY_LEASE_S": "60"}, {"NOTIFY_CONCURRENCY": "0"}):
        with pytest.raises(ValueError):
            Settings.from_env(bad)
