"""Metric definitions and the scrape function.

Gunicorn and Celery run several processes, so metrics use prometheus-client's multiprocess mode when
``PROMETHEUS_MULTIPROC_DIR`` is set (``odop-adapter`` sets it from METRICS_DIR for the processes it
starts). prometheus-client reads that variable itself when it is imported, which is why it is set in the
environment of each process rather than passed in.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "odop_http_requests_total", "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "odop_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS = Counter(
    "odop_celery_tasks_total", "Celery tasks finished, by task name and final state.", ["task", "state"]
)
TASK_DURATION = Histogram(
    "odop_celery_task_duration_seconds", "Celery task run time, by task name.", ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)

INBOUND_FAILURES = Counter(
    "odop_inbound_failures_total",
    "ACKed requests a handler failed on, answered with an error callback; kind is invalid (30000) or internal "
    "(31001, a bug).", ["action", "kind"],
)

INBOUND_EXPIRED = Counter(
    "odop_inbound_expired_total",
    "ACKed requests whose ttl passed before a worker took them up, so nothing was sent, by action.", ["action"],
)


def scrape_registry() -> CollectorRegistry:
    """The registry to expose: every process's metrics in multiprocess mode, this process's otherwise."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def scrape(extra: Collector | None = None) -> tuple[bytes, str]:
    """The exposition text of all processes' metrics (plus `extra`, read at scrape time) and its content type."""
    registry = scrape_registry()
    text = generate_latest(registry)
    if extra is not None:
        own = CollectorRegistry()
        own.register(extra)
        text += generate_latest(own)
    return text, CONTENT_TYPE_LATEST


class StateCollector(Collector):
    """Gauges read from the database at scrape time (outbox depth, sync jobs, catalogue size), so they are
    right whichever process last changed them."""

    def __init__(self, read: Callable[[], Mapping[str, Mapping[tuple[str, ...], float]]],
                 labels: Mapping[str, tuple[str, ...]], help_texts: Mapping[str, str]) -> None:
        self.read, self.labels, self.help_texts = read, labels, help_texts

    def collect(self) -> Iterator[Metric]:
        """One gauge family per metric name."""
        for name, samples in self.read().items():
            family = GaugeMetricFamily(name, self.help_texts[name], labels=list(self.labels[name]))
            for label_values, value in samples.items():
                family.add_metric(list(label_values), value)
            yield family


def reset_multiprocess_dir(path: Path) -> None:
    """Empty the multiprocess directory before a fresh set of processes starts (stale files skew counts)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)


def mark_process_dead(pid: int) -> None:
    """Tell the multiprocess collector a worker process has exited (gunicorn's child_exit hook)."""
    if os.environ.get(MULTIPROC_ENV):
        _multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
