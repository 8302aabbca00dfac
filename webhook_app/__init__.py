"""The Flask app: webhook receiver, health and metrics, and the public status pages."""
from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.middleware.proxy_fix import ProxyFix

from incident_desk.logs import configure as configure_logging
from incident_desk.settings import MAX_BODY_BYTES, Settings
from store import Store
from worker.queue import connection, deliveries_queue


def create_app(test_config: dict | None = None) -> Flask:
    """App factory; `test_config` overrides settings (tests pass SETTINGS, a Settings object)."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, SETTINGS=None)
    if test_config:
        app.config.update(test_config)
    settings: Settings = app.config["SETTINGS"] or Settings.from_env()
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set; `incident-desk serve` or `web` sets it for the embedded Redis")
    app.config["SETTINGS"] = settings
    # Short socket timeouts: a stuck Redis must not hold a webhook past the forge's 10 seconds.
    app.extensions["redis"] = connection(settings.redis_url, socket_timeout=3.0)
    app.extensions["queue"] = deliveries_queue(app.extensions["redis"])
    app.extensions["store"] = Store(settings.database_url)
    configure_logging()

    from webhook_app.alerts import bp as alerts
    from webhook_app.routes import bp
    from webhook_app.slack import bp as slack
    from webhook_app.status_page import StatusHosts
    from webhook_app.status_page import bp as status_page

    app.register_blueprint(bp)
    app.register_blueprint(slack)
    app.register_blueprint(alerts)
    app.register_blueprint(status_page)
    if settings.status_hosts:
        app.wsgi_app = StatusHosts(app, settings.status_hosts)
    if settings.trusted_proxies:  # only then are X-Forwarded-For/-Proto/-Host the proxies' word, not the client's
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    answer_errors_in_json(app)
    return app


def answer_errors_in_json(app: Flask) -> None:
    """Forges and scripts read the outcome: errors answer JSON, not Flask's HTML pages."""

    @app.errorhandler(413)
    def too_large(_error):
        return jsonify({"outcome": "too-large", "limit_bytes": MAX_BODY_BYTES}), 413

    @app.errorhandler(404)
    def not_found(_error):
        return jsonify({"outcome": "not-found"}), 404

    @app.errorhandler(405)
    def method_not_allowed(_error):
        return jsonify({"outcome": "method-not-allowed"}), 405
