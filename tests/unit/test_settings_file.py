"""The settings file `incident-desk setup` writes and every process reads (issue 19): 0600, the environment wins."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from incident_desk.settings import (
    Settings,
    read_settings_file,
    settings_file_path,
    with_settings_file,
    write_settings_file,
)

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\\IBAAK\"CAQEA\n-----END RSA PRIVATE KEY-----\n"


def test_what_is_written_reads_back_the_same_and_only_its_owner_may_read_it(tmp_path):
    path = tmp_path / "config" / "incident-desk" / "settings.env"
    values = {"GITHUB_APP_ID": "4242", "GITHUB_PRIVATE_KEY": PEM, "GITHUB_WEBHOOK_SECRET": "s3cr=t with spaces #x",
              "PUBLIC_URL": "https://desk.example.com", "EMPTY": ""}
    write_settings_file(path, values, header="written by a test")
    assert read_settings_file(path) == values
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text().startswith("# written by a test\n")
    assert list(path.parent.iterdir()) == [path]  # no partial file left behind


def test_a_second_write_keeps_the_other_lines_and_replaces_its_own(tmp_path):
    path = tmp_path / "settings.env"
    path.write_text("# mine\nexport REDIS_URL=redis://10.0.0.5:6379/0\nGITLAB_WEBHOOK_SECRET='old'\n")
    path.chmod(0o644)
    write_settings_file(path, {"GITLAB_WEBHOOK_SECRET": "new"})
    assert read_settings_file(path) == {"REDIS_URL": "redis://10.0.0.5:6379/0", "GITLAB_WEBHOOK_SECRET": "new"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_line_that_is_not_key_value_names_the_file_and_line(tmp_path):
    path = tmp_path / "settings.env"
    path.write_text("GITHUB_APP_ID=1\nthis is not a setting\n")
    with pytest.raises(ValueError, match=r"settings.env:2: want KEY=value"):
        read_settings_file(path)


def test_settings_come_from_the_file_under_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "settings.env"
    write_settings_file(path, {"GITHUB_APP_ID": "4242", "GITHUB_PRIVATE_KEY": PEM, "GITHUB_WEBHOOK_SECRET": "file",
                               "PUBLIC_URL": "https://desk.example.com"})
    for name in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INCIDENT_DESK_SETTINGS_FILE", str(path))
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "from-the-environment")
    settings = Settings.from_env()
    assert (settings.github_app_id, settings.github_private_key) == ("4242", PEM)
    assert settings.public_url == "https://desk.example.com"
    assert settings.github_webhook_secret == "from-the-environment"
    # a mapping given explicitly is the whole story (tests and benchmarks build settings that way)
    assert Settings.from_env({"INCIDENT_DESK_SETTINGS_FILE": str(path)}).github_app_id is None


def test_where_the_file_is():
    assert settings_file_path({"HOME": "/h", "XDG_CONFIG_HOME": "/x"}) == Path("/x/incident-desk/settings.env")
    assert settings_file_path({"INCIDENT_DESK_SETTINGS_FILE": "/etc/incident-desk.env"}).as_posix() == \
        "/etc/incident-desk.env"
    assert settings_file_path({"INCIDENT_DESK_SETTINGS_FILE": ""}) is None
    assert with_settings_file({"INCIDENT_DESK_SETTINGS_FILE": "", "A": "1"}) == \
        {"INCIDENT_DESK_SETTINGS_FILE": "", "A": "1"}
    missing = {"INCIDENT_DESK_SETTINGS_FILE": os.path.join(os.sep, "no", "such", "file")}
    assert with_settings_file(missing) == missing
