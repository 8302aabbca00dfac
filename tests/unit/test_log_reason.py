"""What the product's log says of a job's error: never a database statement nor its parameters, which hold what
people wrote (private incidents' titles too); the driver's own first line is enough to act on."""
from __future__ import annotations

import sqlite3

from sqlalchemy import exc

from forges.errors import TransientForgeError
from worker.retry import log_reason


def test_a_database_error_is_its_kind_and_the_driver_s_first_line():
    locked = exc.OperationalError("UPDATE incidents SET title=? WHERE id=?", ("Breach of the payroll db", 7),
                                  sqlite3.OperationalError("database is locked"))
    assert log_reason(locked) == "OperationalError: database is locked"
    refused = exc.DataError("INSERT INTO incidents (title) VALUES (%(title)s)", {"title": "secret\x00"},
                            ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes\nLINE 1: INSERT"))
    assert log_reason(refused) == "DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes"


def test_other_errors_keep_their_words_and_are_cut_at_500_characters():
    assert log_reason(TransientForgeError("GitHub answered 502", status=502)) == "GitHub answered 502"
    assert log_reason(KeyError("x")) == "KeyError: 'x'"
    assert len(log_reason(ValueError("y" * 2000))) == 500
