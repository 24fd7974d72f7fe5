"""Prometheus metrics: one vocabulary with the outbox statuses; queue depth read at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from smtp_connector.outbox.types import MessageStatus

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)


class _QueueDepth(Collector):
    def __init__(self) -> None:
        self.source: Callable[[], dict[MessageStatus, int]] | None = None

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "smtp_connector_queue_messages", "Messages in the outbox by status.", labels=["status"]
        )
        if self.source is not None:
            for status, count in self.source().items():
                gauge.add_metric([status.value], count)
        yield gauge


class Metrics:
    """Counters of this process, and the outbox's queue depth (shared, from the database)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.accepted = Counter(
            "smtp_connector_messages_accepted",
            "Messages committed to the outbox.",
            ["connection"],
            registry=self.registry,
        )
        self.sent_total = Counter(
            "smtp_connector_messages_sent",
            "Messages the SMTP server accepted.",
            ["connection"],
            registry=self.registry,
        )
        self.failed_total = Counter(
            "smtp_connector_messages_failed",
            "Messages that failed for good.",
            ["connection"],
            registry=self.registry,
        )
        self.retried_total = Counter(
            "smtp_connector_messages_retried",
            "Attempts that failed and were scheduled again.",
            ["connection"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "smtp_connector_delivery_seconds",
            "From commit to the server's acceptance.",
            ["connection"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._depth = _QueueDepth()
        self.registry.register(self._depth)

    def watch_queue(self, source: Callable[[], dict[MessageStatus, int]]) -> None:
        self._depth.source = source

    def sent(self, connection: str, latency_seconds: float) -> None:
        self.sent_total.labels(connection).inc()
        self.latency.labels(connection).observe(max(latency_seconds, 0.0))

    def failed_attempt(self, connection: str, status: MessageStatus | None) -> None:
        if status is MessageStatus.RETRYING:
            self.retried_total.labels(connection).inc()
        elif status is MessageStatus.FAILED:
            self.failed_total.labels(connection).inc()


METRICS = Metrics()
