"""The settings object and its loader."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
SECRET_VARIABLES = frozenset({"ADMIN_API_KEY", "ONDC_SIGNING_PRIVATE_KEY", "ONDC_ENCRYPTION_PRIVATE_KEY",
                              "SMTP_PASSWORD"})
ENVIRONMENTS = ("development", "staging", "preprod", "production")


class SettingsError(ValueError):
    """One or more environment variables hold a value we cannot use."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment, parsed and checked."""

    environment: str
    data_dir: Path
    database_url: str
    redis_url: str | None
    broker_url: str
    result_backend: str
    subscriber_url: str
    bind: str
    web_concurrency: int
    worker_concurrency: int
    log_level: str
    log_format: str
    # The request line of every ACKed plain search at INFO (off: at DEBUG; their stored rows are their record).
    log_search_acks: bool
    metrics_dir: Path
    task_soft_time_limit: int
    task_time_limit: int
    max_request_bytes: int
    # Plain searches are stored this long after their ACK at most, many per INSERT (0: before it, as every call).
    search_group_commit_ms: int
    readiness_timeout: float
    worker_metrics_port: int | None
    subscriber_id: str
    unique_key_id: str
    bpp_name: str
    seller_app_gstin: str | None
    ondc_base_path: str
    catalogue_max_bytes: int
    catalogue_max_rows: int
    on_search_max_bytes: int
    registry_mode: str
    registry_env: str
    registry_file: Path
    ondc_request_id: str | None
    allow_private_callbacks: bool
    require_gateway_auth: bool
    signature_clock_skew: int
    signature_validity: int
    context_max_skew: int
    callback_connect_timeout: float
    callback_read_timeout: float
    unsolicited_delivery_window: int
    retry_base_delay: float
    retry_max_delay: float
    per_buyer_concurrency: int
    delivery_lease_margin: int
    sync_debounce_seconds: int
    sync_source_retries: int
    sync_heartbeat_timeout: int
    sync_time_limit: int
    upload_inline_max_bytes: int
    upload_confirm_removal_share: float
    import_time_limit: int
    order_auto_accept: bool
    # Couriers on ONDC logistics (adapter/logistics, docs/logistics.md): where LOG searches go, and how long a
    # select waits for their quotes.
    logistics_gateway_url: str | None
    logistics_courier_urls: tuple[str, ...]
    logistics_quote_wait: float
    # The money ledger (adapter/money, docs/money.md): taxes the buyer app deducts from a settlement, in percent.
    tcs_percent: Decimal
    tds_percent: Decimal
    finder_fee_gst_percent: Decimal
    registry_cache_ttl: int
    registry_stale_ttl: int
    registry_negative_ttl: int
    # Alerts to cooperatives (adapter/alerts, docs/alerts.md): where console links point, and the mail server.
    console_url: str
    smtp_host: str | None
    smtp_port: int
    smtp_from: str | None
    smtp_user: str | None
    smtp_starttls: bool
    admin_api_key: str | None = field(default=None, repr=False)
    signing_private_key: str | None = field(default=None, repr=False)
    encryption_private_key: str | None = field(default=None, repr=False)
    smtp_password: str | None = field(default=None, repr=False)

    @property
    def mode(self) -> str:
        """``production`` with PostgreSQL and Redis, ``embedded`` otherwise."""
        if self.database_url.startswith("postgresql") and self.broker_url.startswith("redis"):
            return "production"
        return "embedded"

    @property
    def bpp_uri(self) -> str:
        """Our callback base URL as the network sees it: ONDC_SUBSCRIBER_URL plus ONDC_BASE_PATH."""
        return self.subscriber_url + self.ondc_base_path

    @property
    def bpp_id(self) -> str:
        """Our subscriber id, as it appears in context.bpp_id."""
        return self.subscriber_id

    @property
    def database_backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"


class _Reader:
    """Reads variables one by one and collects every problem before failing."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.problems: list[str] = []

    def raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def parse(self, name: str, default: T, parser: Callable[[str], T], expected: str) -> T:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return parser(value)
        except ValueError:
            # Never echo the value of a secret-bearing variable.
            shown = "<hidden>" if name in SECRET_VARIABLES else repr(value)
            self.problems.append(f"{name}={shown}: expected {expected}")
            return default


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise ValueError(value)
    return number


def _share(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError(value)
    return number


def _percent(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation as error:
        raise ValueError(value) from error
    if not number.is_finite() or not 0 <= number <= 100:
        raise ValueError(value)
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError(value)
    return number


def _subscriber_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,251}[A-Za-z0-9])?", value):
        raise ValueError(value)
    return value


def _base_path(value: str) -> str:
    if not re.fullmatch(r"(/[A-Za-z0-9_\-]+)+/?", value):
        raise ValueError(value)
    return value.rstrip("/")


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def _gstin(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]", value):
        raise ValueError(value)
    return value


def _key_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._\-]{1,64}", value):
        raise ValueError(value)
    return value


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise ValueError("not base64") from error
    return value


def _default_subscriber_id(url: str) -> str:
    """The host of our public URL, or a local name when that host is an address or localhost."""
    host = urlsplit(url).hostname or ""
    if not host or host == "localhost" or re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", host):
        return "odop-seller.localhost"
    return host


def _choice(options: tuple[str, ...], *, upper: bool = False) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.upper() if upper else value.lower()
        if value not in options:
            raise ValueError(value)
        return value

    return parse


def _database_url(value: str) -> str:
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        # psycopg 3 is the driver we ship; it upserts several times faster than psycopg2.
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if scheme == "sqlite" and value.startswith("sqlite:///"):
        return value
    raise ValueError(value)


def _redis_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(value)
    return value


def _broker_url(value: str) -> str:
    scheme = value.split("://", 1)[0].lower()
    if scheme not in ("redis", "rediss", "sqla+sqlite", "sqla+postgresql", "memory"):
        raise ValueError(value)
    return value


def _result_backend(value: str) -> str:
    scheme = value.split("://", 1)[0].lower()
    if scheme not in ("redis", "rediss", "db+sqlite", "db+postgresql", "db+postgresql+psycopg", "disabled"):
        raise ValueError(value)
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(value)
    return value.rstrip("/")


def _http_urls(value: str) -> tuple[str, ...]:
    urls = tuple(dict.fromkeys(_http_url(part.strip()) for part in value.split(",") if part.strip()))
    if not urls:
        raise ValueError(value)
    return urls


# A select's answer is due within its ttl (PT30S): the wait for courier quotes must leave room for the answer.
MAX_QUOTE_WAIT = 10.0
# A longer wait only gathers more searches for a crash to lose; the upper end is for tests of the shutdown.
MAX_GROUP_COMMIT_MS = 60_000


def _quote_wait(value: str) -> float:
    number = float(value)
    if not 0 < number <= MAX_QUOTE_WAIT:
        raise ValueError(value)
    return number


def _group_commit_ms(value: str) -> int:
    number = int(value)
    if not 0 <= number <= MAX_GROUP_COMMIT_MS:
        raise ValueError(value)
    return number


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
        raise ValueError(value)
    return value


def _bind(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}", value) or int(value.rsplit(":", 1)[1]) > 65535:
        raise ValueError(value)
    return value


def _api_key(value: str) -> str:
    # Long random keys only: a short admin key is a guessable admin key.
    if len(value) < 24 or not re.fullmatch(r"[A-Za-z0-9_\-.]+", value):
        raise ValueError("too short")
    return value


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build the settings from an environment mapping; raise SettingsError naming every bad variable."""
    r = _Reader(environ)
    data_dir = Path(r.raw("DATA_DIR") or "./var")
    redis_url = r.parse("REDIS_URL", None, _redis_url, "a redis:// or rediss:// URL with a host")
    # The embedded broker is kombu's SQLAlchemy transport on a SQLite file: no server to install,
    # durable across restarts, and fast enough for one cooperative's traffic (see docs/configuration.md).
    default_broker = redis_url or f"sqla+sqlite:///{data_dir / 'broker.sqlite3'}"
    default_backend = redis_url or f"db+sqlite:///{data_dir / 'results.sqlite3'}"
    soft_limit = r.parse("TASK_SOFT_TIME_LIMIT", 60, _positive_int, "a positive number of seconds")
    hard_limit = r.parse("TASK_TIME_LIMIT", 90, _positive_int, "a positive number of seconds")
    if hard_limit <= soft_limit:
        r.problems.append(
            f"TASK_TIME_LIMIT={hard_limit}: expected more seconds than TASK_SOFT_TIME_LIMIT ({soft_limit})"
        )
    subscriber_url = r.parse(
        "ONDC_SUBSCRIBER_URL", "http://127.0.0.1:8080", _http_url, "an http(s)://host[:port] URL"
    )
    settings = Settings(
        environment=r.parse("ENVIRONMENT", "development", _choice(ENVIRONMENTS), " | ".join(ENVIRONMENTS)),
        data_dir=data_dir,
        database_url=r.parse(
            "DATABASE_URL",
            f"sqlite:///{data_dir / 'odop.sqlite3'}",
            _database_url,
            "a sqlite:///path or postgresql://user:pass@host/db URL",
        ),
        redis_url=redis_url,
        broker_url=r.parse(
            "BROKER_URL", default_broker, _broker_url, "a redis://, rediss:// or sqla+sqlite:/// URL"
        ),
        result_backend=r.parse(
            "RESULT_BACKEND", default_backend, _result_backend, "a redis://, db+sqlite:/// or db+postgresql:// URL"
        ),
        subscriber_url=subscriber_url,
        bind=r.parse("BIND", "127.0.0.1:8080", _bind, "HOST:PORT, e.g. 0.0.0.0:8080"),
        web_concurrency=r.parse("WEB_CONCURRENCY", 2, _positive_int, "a positive number of gunicorn workers"),
        worker_concurrency=r.parse("WORKER_CONCURRENCY", 2, _positive_int, "a positive number of processes"),
        log_level=r.parse("LOG_LEVEL", "INFO", _choice(LOG_LEVELS, upper=True), " | ".join(LOG_LEVELS)),
        log_format=r.parse("LOG_FORMAT", "json", _choice(LOG_FORMATS), "json | text"),
        log_search_acks=r.parse("LOG_SEARCH_ACKS", False, _bool, "true or false"),
        metrics_dir=Path(r.raw("METRICS_DIR") or data_dir / "metrics"),
        task_soft_time_limit=soft_limit,
        task_time_limit=hard_limit,
        max_request_bytes=r.parse("MAX_REQUEST_BYTES", 2 * 1024 * 1024, _positive_int, "a positive byte count"),
        search_group_commit_ms=r.parse(
            "SEARCH_GROUP_COMMIT_MS", 5, _group_commit_ms,
            f"0 to {MAX_GROUP_COMMIT_MS} milliseconds (0: every search stored before its ACK)"),
        readiness_timeout=r.parse("READINESS_TIMEOUT", 2.0, _positive_float, "a positive number of seconds"),
        worker_metrics_port=r.parse("WORKER_METRICS_PORT", None, _port, "a TCP port number (1-65535)"),
        subscriber_id=r.parse("ONDC_SUBSCRIBER_ID", _default_subscriber_id(subscriber_url),
                              _subscriber_id, "a subscriber id: a domain name such as seller.example.org"),
        unique_key_id=r.parse("ONDC_UNIQUE_KEY_ID", "odop-key-1", _key_id,
                              "1-64 letters, digits, '.', '_' or '-' (the ukId registered with the key)"),
        bpp_name=r.raw("BPP_NAME") or "ODOP Cooperatives",
        seller_app_gstin=r.parse("SELLER_APP_GSTIN", None, _gstin, "a 15-character GSTIN such as 02AAACB1234C1Z5"),
        ondc_base_path=r.parse("ONDC_BASE_PATH", "/ondc", _base_path, "a path starting with '/', e.g. /ondc"),
        catalogue_max_bytes=r.parse("CATALOGUE_MAX_BYTES", 10 * 1024 * 1024, _positive_int, "a positive byte count"),
        catalogue_max_rows=r.parse("CATALOGUE_MAX_ROWS", 50_000, _positive_int, "a positive number of rows"),
        on_search_max_bytes=r.parse("ON_SEARCH_MAX_BYTES", 1_000_000, _positive_int, "a positive byte count"),
        registry_mode=r.parse("REGISTRY_MODE", "static", _choice(("ondc", "static")), "ondc | static"),
        registry_env=r.parse("REGISTRY_ENV", "staging", _choice(("staging", "preprod", "prod")),
                             "staging | preprod | prod"),
        registry_file=Path(r.raw("REGISTRY_FILE") or data_dir / "registry.json"),
        ondc_request_id=r.raw("ONDC_REQUEST_ID"),
        allow_private_callbacks=r.parse("ALLOW_PRIVATE_CALLBACKS", False, _bool, "true or false"),
        require_gateway_auth=r.parse("REQUIRE_GATEWAY_AUTH", False, _bool, "true or false"),
        signature_clock_skew=r.parse("SIGNATURE_CLOCK_SKEW", 5, _non_negative_int, "0 or more seconds"),
        signature_validity=r.parse("SIGNATURE_VALIDITY", 300, _positive_int, "a positive number of seconds"),
        context_max_skew=r.parse("CONTEXT_MAX_SKEW", 30, _non_negative_int, "0 or more seconds"),
        callback_connect_timeout=r.parse("CALLBACK_CONNECT_TIMEOUT", 3.0, _positive_float,
                                         "a positive number of seconds"),
        callback_read_timeout=r.parse("CALLBACK_READ_TIMEOUT", 10.0, _positive_float, "a positive number of seconds"),
        unsolicited_delivery_window=r.parse("UNSOLICITED_DELIVERY_WINDOW", 3600, _positive_int,
                                            "a positive number of seconds"),
        retry_base_delay=r.parse("RETRY_BASE_DELAY", 1.0, _positive_float, "a positive number of seconds"),
        retry_max_delay=r.parse("RETRY_MAX_DELAY", 300.0, _positive_float, "a positive number of seconds"),
        sync_debounce_seconds=r.parse("SYNC_DEBOUNCE_SECONDS", 60, _positive_int,
                                      "a positive number of seconds (ONDC pushes every 1-30 minutes)"),
        sync_source_retries=r.parse("SYNC_SOURCE_RETRIES", 5, _non_negative_int, "0 or more retries"),
        sync_heartbeat_timeout=r.parse("SYNC_HEARTBEAT_TIMEOUT", 300, _positive_int, "a positive number of seconds"),
        sync_time_limit=r.parse("SYNC_TIME_LIMIT", 900, _positive_int, "a positive number of seconds"),
        upload_inline_max_bytes=r.parse("UPLOAD_INLINE_MAX_BYTES", 256 * 1024, _non_negative_int,
                                        "0 or more bytes (0: every upload is imported by a worker)"),
        upload_confirm_removal_share=r.parse("UPLOAD_CONFIRM_REMOVAL_SHARE", 0.2, _share,
                                             "a share between 0 and 1 (0.2: removing over 20% needs a confirmation)"),
        import_time_limit=r.parse("IMPORT_TIME_LIMIT", 300, _positive_int, "a positive number of seconds"),
        order_auto_accept=r.parse("ORDER_AUTO_ACCEPT", True, _bool, "true or false"),
        logistics_gateway_url=r.parse("LOGISTICS_GATEWAY_URL", None, _http_url,
                                      "the http(s) URL of an ONDC logistics gateway"),
        logistics_courier_urls=r.parse("LOGISTICS_COURIER_URLS", (), _http_urls,
                                       "comma-separated http(s) subscriber URLs of courier seller apps"),
        logistics_quote_wait=r.parse("LOGISTICS_QUOTE_WAIT", 3.0, _quote_wait,
                                     f"seconds a select waits for courier quotes, more than 0 and at most "
                                     f"{MAX_QUOTE_WAIT:g}"),
        # GST Act s.52 (TCS by the e-commerce operator): 0.5% of the net taxable value since 10 July 2024 (1% before).
        tcs_percent=r.parse("TCS_PERCENT", Decimal("0.5"), _percent, "a percentage between 0 and 100, e.g. 0.5"),
        # Income-tax Act s.194-O (TDS by the e-commerce operator): 0.1% since 1 October 2024 (1% before).
        tds_percent=r.parse("TDS_PERCENT", Decimal("0.1"), _percent, "a percentage between 0 and 100, e.g. 0.1"),
        finder_fee_gst_percent=r.parse("FINDER_FEE_GST_PERCENT", Decimal("18"), _percent,
                                       "a percentage between 0 and 100, e.g. 18"),
        delivery_lease_margin=r.parse("DELIVERY_LEASE_MARGIN", 30, _positive_int, "a positive number of seconds"),
        per_buyer_concurrency=r.parse("PER_BUYER_CONCURRENCY", 4, _positive_int, "a positive number"),
        registry_cache_ttl=r.parse("REGISTRY_CACHE_TTL", 3600, _positive_int, "a positive number of seconds"),
        registry_stale_ttl=r.parse("REGISTRY_STALE_TTL", 86400, _non_negative_int, "0 or more seconds"),
        registry_negative_ttl=r.parse("REGISTRY_NEGATIVE_TTL", 60, _non_negative_int, "0 or more seconds"),
        console_url=r.parse("CONSOLE_URL", subscriber_url, _http_url, "an http(s)://host[:port] URL"),
        smtp_host=r.raw("SMTP_HOST"),
        smtp_port=r.parse("SMTP_PORT", 587, _port, "a TCP port number (1-65535)"),
        smtp_from=r.parse("SMTP_FROM", None, _email, "an email address such as alerts@example.org"),
        smtp_user=r.raw("SMTP_USER"),
        smtp_password=r.raw("SMTP_PASSWORD"),
        smtp_starttls=r.parse("SMTP_STARTTLS", True, _bool, "true or false"),
        signing_private_key=r.parse("ONDC_SIGNING_PRIVATE_KEY", None, _base64,
                                    "base64 of the 64-byte ed25519 secret key or its 32-byte seed"),
        encryption_private_key=r.parse("ONDC_ENCRYPTION_PRIVATE_KEY", None, _base64,
                                       "base64 of the X25519 private key (PKCS#8 DER)"),
        admin_api_key=r.parse(
            "ADMIN_API_KEY", None, _api_key, "at least 24 characters of letters, digits, '-', '_' or '.'"
        ),
    )
    if settings.environment == "production" and settings.mode != "production":
        r.problems.append(
            "ENVIRONMENT=production: expected DATABASE_URL (PostgreSQL) and REDIS_URL to be set"
        )
    if settings.environment == "production" and settings.allow_private_callbacks:
        # A buyer app chooses its bap_uri: allowing private addresses in production lets anyone on the network
        # make us POST into our own network.
        r.problems.append("ENVIRONMENT=production: ALLOW_PRIVATE_CALLBACKS must be false")
    logistics = [url for url in (settings.logistics_gateway_url, *settings.logistics_courier_urls) if url]
    if settings.environment == "production" and any(not url.startswith("https://") for url in logistics):
        # We sign what we send there: in production only over TLS, as callbacks are (adapter.delivery.urls).
        r.problems.append("ENVIRONMENT=production: LOGISTICS_GATEWAY_URL and LOGISTICS_COURIER_URLS must be https")
    if settings.smtp_host and not settings.smtp_from:
        r.problems.append("SMTP_HOST is set: expected SMTP_FROM too (the address alerts are sent from)")
    if r.problems:
        raise SettingsError(r.problems)
    return settings
