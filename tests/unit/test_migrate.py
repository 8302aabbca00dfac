"""`store.migrate` at start-up: nothing but one query when the schema is current, Alembic's upgrade otherwise."""
from __future__ import annotations

import alembic.command
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

import store
from store import MIGRATIONS, database_revisions, head_revision, migrate


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    return config


def test_the_head_read_from_the_files_is_alembics_head():
    assert head_revision() == ScriptDirectory.from_config(_config("sqlite://")).get_current_head()


def test_a_current_database_is_not_upgraded(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'current.db'}"
    migrate(url)
    assert database_revisions(url) == [head_revision()]
    monkeypatch.setattr(alembic.command, "upgrade", lambda *a, **k: pytest.fail("upgraded a current schema"))
    migrate(url)


def test_a_new_or_older_database_is_upgraded_to_the_head(tmp_path):
    url = f"sqlite:///{tmp_path / 'older.db'}"
    assert database_revisions(url) == []
    alembic.command.upgrade(_config(url), "0006")
    migrate(url)
    assert database_revisions(url) == [head_revision()]


def test_migrations_the_files_do_not_chain_plainly_are_left_to_alembic(tmp_path, monkeypatch):
    versions = tmp_path / "versions"
    versions.mkdir()
    for name, revision in (("a.py", "'a'"), ("b.py", "'b'")):  # two heads
        (versions / name).write_text(f"revision = {revision}\ndown_revision = None\n")
    monkeypatch.setattr(store, "MIGRATIONS", tmp_path)
    assert head_revision() is None
