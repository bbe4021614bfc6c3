"""desk: a shared inbox for social customer care."""

import logging

from flask import Flask
from redis import Redis

from config import INSTANCE_DIR, Config


def create_app(config_class: type = Config) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI and signal handlers."""
    app = Flask(__name__, static_folder="../static", instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("desk").setLevel(logging.INFO)

    _init_extensions(app)
    _register_blueprints(app)

    from desk import cli, commits, jobs, pages
    from desk.assignment import jobs as assignment_jobs
    from desk.faq import jobs as faq_jobs
    from desk.live import broadcast, sockets
    from desk.sla import live as sla_live

    commits.install()
    jobs.install()
    broadcast.install()
    sockets.install()
    faq_jobs.install()
    sla_live.install()
    assignment_jobs.install()
    pages.install(app)
    cli.install(app)
    return app


def _init_extensions(app: Flask) -> None:
    from desk import database, models  # noqa: F401 - engine events; every model registered
    from desk.auth import sessions
    from desk.extensions import api, babel, csrf, db, limiter, login, migrate, socketio
    from desk.i18n import install_template_gettext, select_locale, select_timezone

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite's pools take no size; a server database gets DESK_DB_POOL_SIZE.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": app.config["DESK_DB_POOL_SIZE"], "max_overflow": 20,
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    login.init_app(app)
    sessions.install(login)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    limiter.init_app(app)
    api.init_app(app)

    redis_url = app.config["REDIS_URL"]
    if redis_url:
        app.extensions["desk.redis"] = Redis.from_url(redis_url)
    options = {}
    if redis_url:
        from desk.live.publisher import BatchingRedisManager

        options["client_manager"] = BatchingRedisManager(
            redis_url, channel=app.config["SOCKETIO_CHANNEL"])
    socketio.init_app(
        app,
        cors_allowed_origins=None,  # same origin only
        async_mode=_async_mode(app),
        **options,
    )


def _async_mode(app: Flask) -> str:
    """gevent under a gevent server (production: gunicorn -k gevent), threads otherwise."""
    if app.config.get("SOCKETIO_ASYNC_MODE"):
        return app.config["SOCKETIO_ASYNC_MODE"]
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def _register_blueprints(app: Flask) -> None:
    from desk.admin import people as _admin_people  # noqa: F401 - its routes join admin_bp
    from desk.admin.views import bp as admin_bp
    from desk.api.views import register as register_api
    from desk.assignment import teams as _assignment_teams  # noqa: F401 - routes join its bp
    from desk.assignment.views import bp as assignment_bp
    from desk.auth.views import bp as auth_bp
    from desk.canned.views import bp as canned_bp
    from desk.channels.views import bp as channels_bp
    from desk.contacts.views import bp as contacts_bp
    from desk.faq.views import bp as faq_bp
    from desk.inbox.views import bp as inbox_bp
    from desk.intake.views import bp as intake_bp
    from desk.live.views import bp as live_bp
    from desk.replies.views import bp as replies_bp
    from desk.reports.views import bp as reports_bp
    from desk.sla.views import bp as sla_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(faq_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(replies_bp)
    app.register_blueprint(canned_bp)
    app.register_blueprint(channels_bp)
    app.register_blueprint(contacts_bp)
    app.register_blueprint(sla_bp)
    app.register_blueprint(assignment_bp)
    app.register_blueprint(reports_bp)
    register_api(app)
