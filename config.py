"""Configuration, read only from the environment, with embedded defaults."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'desk.sqlite3'}")
    # Heroku-style URLs name the old driver; psycopg 3 is the one we ship.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    """Settings for a running desk; every value can come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url()
    # PostgreSQL connections each process keeps open (create_app applies it). A gevent web
    # process serves many requests at once; with fewer pooled connections than requests in
    # flight, the pool opened and closed a connection (a server process) for every few
    # acknowledgements. No pool_pre_ping: desk.database pings only connections that sat idle.
    DESK_DB_POOL_SIZE = int(os.environ.get("DESK_DB_POOL_SIZE", "20"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # The Socket.IO channel on Redis; every side (web, workers) must name the same one.
    SOCKETIO_CHANNEL = os.environ.get("DESK_SOCKETIO_CHANNEL", "desk-socketio")
    RQ_QUEUES = ("intake", "default")
    # Unset: gevent when the server monkey-patched (gunicorn -k gevent), else threading.
    SOCKETIO_ASYNC_MODE = os.environ.get("DESK_ASYNC_MODE") or None

    DESK_TIMEZONE = os.environ.get("DESK_TIMEZONE", "Europe/Berlin")
    # Reports: business time is counted on this calendar (weekdays and hours in DESK_TIMEZONE),
    # without the holidays listed (ISO dates, comma-separated).
    DESK_BUSINESS_HOURS = os.environ.get("DESK_BUSINESS_HOURS", "mon-fri 09:00-17:00")
    DESK_HOLIDAYS = tuple(
        day for day in os.environ.get("DESK_HOLIDAYS", "").split(",") if day.strip()
    )
    # A ticket's sentiment (-1 .. 1) below this counts as negative.
    DESK_SENTIMENT_NEGATIVE_BELOW = float(os.environ.get("DESK_SENTIMENT_NEGATIVE_BELOW", "-0.25"))
    # CSAT: offer the one-question survey link under replies; links expire after this many days.
    DESK_CSAT = _flag("DESK_CSAT", True)
    DESK_CSAT_MAX_AGE_DAYS = int(os.environ.get("DESK_CSAT_MAX_AGE_DAYS", "14"))
    # Where people reach this desk, for links in e-mails sent without a request (the digest).
    DESK_BASE_URL = os.environ.get("DESK_BASE_URL", "http://127.0.0.1:5000")
    # The weekly management digest: SMTP server and recipients (comma-separated; unset: every
    # active person with the management role).
    DESK_SMTP_HOST = os.environ.get("DESK_SMTP_HOST") or None
    DESK_SMTP_PORT = int(os.environ.get("DESK_SMTP_PORT", "25"))
    DESK_SMTP_USER = os.environ.get("DESK_SMTP_USER") or None
    DESK_SMTP_PASSWORD = os.environ.get("DESK_SMTP_PASSWORD") or None
    DESK_SMTP_STARTTLS = _flag("DESK_SMTP_STARTTLS", False)
    DESK_MAIL_FROM = os.environ.get("DESK_MAIL_FROM", "desk@localhost")
    DESK_DIGEST_TO = tuple(
        a.strip() for a in os.environ.get("DESK_DIGEST_TO", "").split(",") if a.strip()
    )
    BABEL_DEFAULT_LOCALE = os.environ.get("DESK_DEFAULT_LOCALE", "de")
    BABEL_DEFAULT_TIMEZONE = "UTC"
    DESK_LOCALES = ("de", "en")

    DESK_PAGE_SIZE = int(os.environ.get("DESK_PAGE_SIZE", "25"))
    # Counts in the sidebar stop here and show "999+": counting is bounded, never a table scan.
    DESK_COUNT_CAP = int(os.environ.get("DESK_COUNT_CAP", "1000"))
    DESK_INTAKE_BATCH = int(os.environ.get("DESK_INTAKE_BATCH", "200"))
    DESK_INTAKE_LINGER_MS = int(os.environ.get("DESK_INTAKE_LINGER_MS", "50"))
    DESK_JOB_RETRIES = int(os.environ.get("DESK_JOB_RETRIES", "3"))

    MAX_CONTENT_LENGTH = 1024 * 1024  # intake and forms: 1 MiB, then 413

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("DESK_SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    # No X-RateLimit headers: each costs Redis round trips on every limited request; a
    # refusal (429) says Retry-After (desk.pages).
    RATELIMIT_HEADERS_ENABLED = False
    # Nothing lost: with the limiter's Redis down, intake still accepts (in-memory limits).
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    DESK_LOGIN_LIMIT = os.environ.get("DESK_LOGIN_LIMIT", "10 per minute")
    DESK_CONTACT_LIMIT = os.environ.get("DESK_CONTACT_LIMIT", "5 per minute")
    DESK_INTAKE_LIMIT = os.environ.get("DESK_INTAKE_LIMIT", "6000 per minute")
    DESK_FAQ_VOTE_LIMIT = os.environ.get("DESK_FAQ_VOTE_LIMIT", "10 per minute")

    API_TITLE = "desk API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # SLA and escalation (desk.sla). Risk: a message at or below DESK_RISK_NEGATIVE is
    # negative, at or below DESK_RISK_VERY_NEGATIVE very negative (sentiment is -1..1); an
    # author with DESK_RISK_REACH followers or more has a high reach.
    DESK_RISK_NEGATIVE = float(os.environ.get("DESK_RISK_NEGATIVE", "-0.3"))
    DESK_RISK_VERY_NEGATIVE = float(os.environ.get("DESK_RISK_VERY_NEGATIVE", "-0.6"))
    DESK_RISK_REACH = int(os.environ.get("DESK_RISK_REACH", "10000"))
    # Early warning: topics (comma-separated words) counted besides each whole channel; a
    # spike is DESK_ALERT_SIGMA deviations over the same hour of week in the last
    # DESK_ALERT_WEEKS weeks, and at least DESK_ALERT_MIN_COUNT negative messages in an hour.
    DESK_ALERT_TOPICS = tuple(
        t.strip().lower()
        for t in os.environ.get("DESK_ALERT_TOPICS", "verspätung,ausfall,refund,outage").split(",")
        if t.strip()
    )
    DESK_ALERT_SIGMA = float(os.environ.get("DESK_ALERT_SIGMA", "3"))
    DESK_ALERT_WEEKS = int(os.environ.get("DESK_ALERT_WEEKS", "4"))
    DESK_ALERT_MIN_COUNT = int(os.environ.get("DESK_ALERT_MIN_COUNT", "5"))
    # Escalation digest mail to supervisors; no DESK_SMTP_HOST: no mail is sent.
    DESK_SMTP_HOST = os.environ.get("DESK_SMTP_HOST") or None
    DESK_SMTP_PORT = int(os.environ.get("DESK_SMTP_PORT", "25"))
    DESK_SMTP_USER = os.environ.get("DESK_SMTP_USER") or None
    DESK_SMTP_PASSWORD = os.environ.get("DESK_SMTP_PASSWORD") or None
    DESK_SMTP_STARTTLS = _flag("DESK_SMTP_STARTTLS", False)
    DESK_MAIL_FROM = os.environ.get("DESK_MAIL_FROM", "desk@localhost")

    # Load demo data on first start (make run sets it; production does not).
    DESK_LOAD_DEMO = _flag("DESK_LOAD_DEMO", False)
