from pathlib import Path

import pytest

from config import SettingsError, load_settings


def test_defaults_give_the_embedded_mode() -> None:
    settings = load_settings({})
    assert settings.mode == "embedded"
    assert settings.data_dir == Path("var")
    assert settings.database_url == "sqlite:///var/odop.sqlite3"
    assert settings.broker_url == "sqla+sqlite:///var/broker.sqlite3"
    assert settings.result_backend == "db+sqlite:///var/results.sqlite3"
    assert settings.redis_url is None
    assert settings.admin_api_key is None
    assert settings.bind == "127.0.0.1:8080"
    assert settings.subscriber_url == "http://127.0.0.1:8080"
    assert settings.bpp_uri == "http://127.0.0.1:8080/ondc"
    assert settings.subscriber_id == "odop-seller.localhost"
    assert load_settings({"ONDC_SUBSCRIBER_URL": "https://seller.example.org"}).subscriber_id == "seller.example.org"
    assert settings.registry_mode == "static"
    assert settings.allow_private_callbacks is False
    assert settings.signing_private_key is None
    assert settings.task_time_limit > settings.task_soft_time_limit
    assert settings.search_group_commit_ms == 5
    assert load_settings({"SEARCH_GROUP_COMMIT_MS": "0"}).search_group_commit_ms == 0  # off


def test_data_dir_moves_every_embedded_file() -> None:
    settings = load_settings({"DATA_DIR": "/srv/odop"})
    assert settings.database_url == "sqlite:////srv/odop/odop.sqlite3"
    assert settings.broker_url == "sqla+sqlite:////srv/odop/broker.sqlite3"
    assert settings.metrics_dir == Path("/srv/odop/metrics")


def test_postgres_and_redis_give_production_mode() -> None:
    settings = load_settings({
        "DATABASE_URL": "postgres://odop:pw@db:5432/odop",
        "REDIS_URL": "redis://redis:6379/0",
        "ENVIRONMENT": "production",
        "ADMIN_API_KEY": "x" * 32,
    })
    assert settings.mode == "production"
    assert settings.database_url == "postgresql+psycopg://odop:pw@db:5432/odop"
    assert settings.broker_url == "redis://redis:6379/0"
    assert settings.result_backend == "redis://redis:6379/0"
    assert settings.database_backend == "postgresql"


def test_secrets_are_not_in_repr() -> None:
    settings = load_settings({"ADMIN_API_KEY": "s3cret-admin-key-abcdefghijklmnop",
                              "ONDC_SIGNING_PRIVATE_KEY": "c2VjcmV0LXNpZ25pbmcta2V5"})
    assert "s3cret" not in repr(settings)
    assert "c2VjcmV0" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL='mysql://x/y': expected a sqlite:///path or postgresql://"),
        ("REDIS_URL", "http://redis", "REDIS_URL='http://redis': expected a redis:// or rediss:// URL"),
        ("BROKER_URL", "amqp://rabbit", "BROKER_URL='amqp://rabbit': expected a redis://"),
        ("RESULT_BACKEND", "rpc://", "RESULT_BACKEND='rpc://': expected a redis://"),
        ("ONDC_SUBSCRIBER_URL", "ftp://x", "ONDC_SUBSCRIBER_URL='ftp://x': expected an http(s)://host[:port] URL"),
        ("ONDC_SUBSCRIBER_ID", "a b", "ONDC_SUBSCRIBER_ID='a b': expected a subscriber id"),
        ("ONDC_UNIQUE_KEY_ID", "k|1", "ONDC_UNIQUE_KEY_ID='k|1': expected 1-64 letters"),
        ("ONDC_SIGNING_PRIVATE_KEY", "***", "ONDC_SIGNING_PRIVATE_KEY=<hidden>: expected base64"),
        ("REGISTRY_MODE", "dns", "REGISTRY_MODE='dns': expected ondc | static"),
        ("REGISTRY_ENV", "dev", "REGISTRY_ENV='dev': expected staging | preprod | prod"),
        ("ALLOW_PRIVATE_CALLBACKS", "maybe", "ALLOW_PRIVATE_CALLBACKS='maybe': expected true or false"),
        ("ONDC_BASE_PATH", "ondc", "ONDC_BASE_PATH='ondc': expected a path starting with '/'"),
        ("BIND", "8000", "BIND='8000': expected HOST:PORT"),
        ("BIND", "0.0.0.0:99999", "BIND='0.0.0.0:99999': expected HOST:PORT"),
        ("WEB_CONCURRENCY", "zero", "WEB_CONCURRENCY='zero': expected a positive number of gunicorn workers"),
        ("WORKER_CONCURRENCY", "-1", "WORKER_CONCURRENCY='-1': expected a positive number of processes"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD': expected DEBUG | INFO | WARNING | ERROR | CRITICAL"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml': expected json | text"),
        ("TASK_SOFT_TIME_LIMIT", "1.5", "TASK_SOFT_TIME_LIMIT='1.5': expected a positive number of seconds"),
        ("MAX_REQUEST_BYTES", "0", "MAX_REQUEST_BYTES='0': expected a positive byte count"),
        ("READINESS_TIMEOUT", "soon", "READINESS_TIMEOUT='soon': expected a positive number of seconds"),
        ("ENVIRONMENT", "prod", "ENVIRONMENT='prod': expected development | staging | preprod | production"),
        ("ADMIN_API_KEY", "short", "ADMIN_API_KEY=<hidden>: expected at least 24 characters"),
        ("SELLER_APP_GSTIN", "GST123", "SELLER_APP_GSTIN='GST123': expected a 15-character GSTIN"),
        ("LOGISTICS_GATEWAY_URL", "gateway.example", "LOGISTICS_GATEWAY_URL='gateway.example': expected the "
         "http(s) URL of an ONDC logistics gateway"),
        ("LOGISTICS_COURIER_URLS", "https://a.example, ftp://b", "LOGISTICS_COURIER_URLS='https://a.example, ftp://b':"
         " expected comma-separated http(s) subscriber URLs"),
        ("LOGISTICS_COURIER_URLS", " , ", "LOGISTICS_COURIER_URLS=',': expected comma-separated"),
        ("LOGISTICS_QUOTE_WAIT", "30", "LOGISTICS_QUOTE_WAIT='30': expected seconds a select waits for courier "
         "quotes, more than 0 and at most 10"),
        ("LOGISTICS_QUOTE_WAIT", "0", "LOGISTICS_QUOTE_WAIT='0': expected seconds"),
        ("SEARCH_GROUP_COMMIT_MS", "-1", "SEARCH_GROUP_COMMIT_MS='-1': expected 0 to 60000 milliseconds"),
        ("SEARCH_GROUP_COMMIT_MS", "60001", "SEARCH_GROUP_COMMIT_MS='60001': expected 0 to 60000 milliseconds"),
        ("SEARCH_GROUP_COMMIT_MS", "5ms", "SEARCH_GROUP_COMMIT_MS='5ms': expected 0 to 60000 milliseconds"),
    ],
)
def test_each_bad_value_is_named_with_what_was_expected(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({name: value})
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(expected)
    if name == "ADMIN_API_KEY":
        assert value not in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({"WEB_CONCURRENCY": "x", "LOG_LEVEL": "y", "BIND": "z"})
    assert [p.split("=")[0] for p in info.value.problems] == ["BIND", "WEB_CONCURRENCY", "LOG_LEVEL"]


def test_hard_time_limit_must_exceed_soft_limit() -> None:
    with pytest.raises(SettingsError, match="TASK_TIME_LIMIT=30: expected more seconds than TASK_SOFT_TIME_LIMIT"):
        load_settings({"TASK_SOFT_TIME_LIMIT": "60", "TASK_TIME_LIMIT": "30"})


def test_production_refuses_private_callbacks() -> None:
    with pytest.raises(SettingsError, match="ALLOW_PRIVATE_CALLBACKS must be false"):
        load_settings({"ENVIRONMENT": "production", "DATABASE_URL": "postgres://odop:pw@db:5432/odop",
                       "REDIS_URL": "redis://redis:6379/0", "ADMIN_API_KEY": "x" * 32,
                       "ALLOW_PRIVATE_CALLBACKS": "true"})


def test_production_environment_requires_postgres_and_redis() -> None:
    with pytest.raises(SettingsError, match="ENVIRONMENT=production: expected DATABASE_URL"):
        load_settings({"ENVIRONMENT": "production"})


def test_the_seller_app_gstin_is_read_in_capitals() -> None:
    assert load_settings({}).seller_app_gstin is None
    assert load_settings({"SELLER_APP_GSTIN": " 02aaacb1234c1z5 "}).seller_app_gstin == "02AAACB1234C1Z5"


def test_couriers_are_read_once_and_in_production_only_over_https() -> None:
    settings = load_settings({"LOGISTICS_COURIER_URLS": "https://a.example/log/, https://b.example,https://a.example/log",
                              "LOGISTICS_QUOTE_WAIT": "2.5"})
    assert settings.logistics_courier_urls == ("https://a.example/log", "https://b.example")
    assert (settings.logistics_gateway_url, settings.logistics_quote_wait) == (None, 2.5)
    assert load_settings({}).logistics_courier_urls == ()
    with pytest.raises(SettingsError, match="LOGISTICS_GATEWAY_URL and LOGISTICS_COURIER_URLS must be https"):
        load_settings({"ENVIRONMENT": "production", "DATABASE_URL": "postgres://odop:pw@db:5432/odop",
                       "REDIS_URL": "redis://redis:6379/0", "ADMIN_API_KEY": "x" * 32,
                       "LOGISTICS_COURIER_URLS": "http://courier.example"})
