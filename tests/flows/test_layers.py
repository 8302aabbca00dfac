"""Layers that only point down: the web process enqueues jobs by name and never imports the handlers."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rq.utils import import_attribute

ROOT = Path(__file__).resolve().parent.parent.parent
NEVER_IN_THE_WEB_PROCESS = ("handlers", "worker.jobs", "worker.notify", "worker.chat_jobs", "worker.alert_jobs",
                            "github", "gitlab",
                            "chat.slack", "chat.announce", "apprise")

CREATE_APP = """
import sys
from webhook_app import create_app

create_app()
print("\\n".join(sorted(sys.modules)))
"""


def test_create_app_imports_no_handler_no_job_and_no_forge_client(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), REDIS_URL="redis://127.0.0.1:1/0",
               DATABASE_URL=f"sqlite:///{tmp_path / 'desk.db'}")
    result = subprocess.run([sys.executable, "-c", CREATE_APP], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, check=True)
    modules = set(result.stdout.split())
    assert "webhook_app" in modules and "flask" in modules  # the app was made
    imported = {name for name in modules for top in NEVER_IN_THE_WEB_PROCESS
                if name == top or name.startswith(top + ".")}
    assert imported == set()


def test_the_jobs_named_by_the_web_process_exist():
    from webhook_app.deliveries import PROCESS_DELIVERY
    from webhook_app.status_page import SEND_CONFIRMATION
    from worker.jobs import process_delivery
    from worker.notify import send_confirmation

    assert import_attribute(PROCESS_DELIVERY) is process_delivery
    assert import_attribute(SEND_CONFIRMATION) is send_confirmation
    from webhook_app.slack import PROCESS_SLACK
    from worker.chat_jobs import process_slack

    assert import_attribute(PROCESS_SLACK) is process_slack
    from webhook_app.alerts import PROCESS_ALERT
    from worker.alert_jobs import process_alert

    assert import_attribute(PROCESS_ALERT) is process_alert


def test_the_worker_imports_every_job_module_before_it_forks_its_work_horses():
    """A job named by the receiver or a handler runs in a forked horse: its module is loaded once, in the parent."""
    from incident_desk.cli.run import JOB_MODULES
    from webhook_app.alerts import PROCESS_ALERT
    from webhook_app.deliveries import PROCESS_DELIVERY
    from webhook_app.slack import PROCESS_SLACK
    from webhook_app.status_page import SEND_CONFIRMATION
    from worker.deferred import ANNOUNCE_JOB, ARCHIVE_JOB, BLOG_JOB, CHAT_ANNOUNCE_JOB, FOLLOW_JOB, REMINDER_JOB

    named = {job.rsplit(".", 1)[0] for job in (PROCESS_DELIVERY, SEND_CONFIRMATION, ANNOUNCE_JOB, BLOG_JOB,
                                               REMINDER_JOB, PROCESS_SLACK, FOLLOW_JOB, CHAT_ANNOUNCE_JOB,
                                               ARCHIVE_JOB, PROCESS_ALERT)}
    assert named <= set(JOB_MODULES)
