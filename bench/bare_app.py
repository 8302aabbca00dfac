"""The baseline for bench/ack.py: a Flask endpoint that does nothing but answer 202.

It runs under the same gunicorn settings as the real app, so the ratio between the two
measures what verifying, deduping and enqueueing cost, not what Flask and gunicorn cost.
"""
from __future__ import annotations

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/github")
def github():
    # Read the body like the real receiver does: gunicorn's sync worker closes the connection
    # after each response, and closing with unread request bytes can reset the connection
    # before the client has read the answer.
    request.get_data()
    return {"outcome": "bare"}, 202


@app.get("/healthz")
def healthz():
    return {"status": "ok"}, 200
