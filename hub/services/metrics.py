"""Prometheus metrics of the hub (one registry per process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector


class HubMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)  # process_cpu_seconds_total, RSS: the whole process
        # hub.services.stage_costs: seconds per stage of the alert path
        self.stage_cpu_s = Counter(
            "gridwall_hub_stage_cpu_seconds", "Thread CPU s per stage", ["stage"], registry=r
        )
        self.stage_wait_s = Counter(
            "gridwall_hub_stage_wait_seconds", "Wall s awaiting per stage", ["stage"], registry=r
        )
        self.ingested = Counter("gridwall_hub_ingested", "Messages accepted into Redis", registry=r)
        self.dead_letters = Counter("gridwall_hub_dead_letters", "Messages parked", registry=r)
        self.ingest_batch = Histogram(
            "gridwall_hub_ingest_batch_size",
            "Messages per Redis pipeline",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 5000),
            registry=r,
        )
        self.correlated = Counter("gridwall_hub_correlated", "Alerts correlated", registry=r)
        self.cases_created = Counter("gridwall_hub_cases_created", "Cases created", registry=r)
        self.alert_age_ms = Histogram(
            "gridwall_hub_alert_age_ms",
            "From an alert's updated_at_ms (edge clock) to its correlation in Redis",
            buckets=(
                1,
                2,
                3,
                5,
                7,
                10,
                15,
                20,
                30,
                50,
                75,
                100,
                150,
                200,
                300,
                500,
                750,
                1000,
                1500,
                2000,
                3000,
                5000,
                10000,
                30000,
            ),
            registry=r,
        )
        # hub/push: what the fan-out handed to a push service, and sends that failed
        self.webpush_sent = Counter(
            "gridwall_hub_webpush_sent", "Web Push requests a push service accepted", registry=r
        )
        self.push_failures = Counter(
            "gridwall_hub_push_failures", "Pushes a channel failed to send", registry=r
        )
        self.sessions_swept = Counter(
            "gridwall_hub_sessions_swept", "Sessions of dead hubs taken over and ended", registry=r
        )
        self.swept_messages = Counter(
            "gridwall_hub_swept_messages", "Messages taken from swept sessions", registry=r
        )
        self.lag = Gauge("gridwall_hub_inbox_lag", "Inbox entries not yet correlated", registry=r)
        self.open_cases = Gauge("gridwall_hub_open_cases", "Cases not closed", registry=r)
        self.overdue_cases = Gauge(
            "gridwall_hub_overdue_cases", "Open cases past dispose_due", registry=r
        )
        # hub/records: the copy of the case events into PostgreSQL
        self.records_copied = Counter(
            "gridwall_hub_records_copied", "Case events copied into PostgreSQL", registry=r
        )
        self.clip_fetches = Counter(
            "gridwall_hub_clip_fetches",
            "Closed cases' clip fetches from boxes, by outcome (done, retried, gave_up, skipped)",
            ["outcome"],
            registry=r,
        )
        self.records_lag_s = Gauge(
            "gridwall_hub_records_lag_s",
            "Age of the oldest case change not yet copied into PostgreSQL (0: all copied)",
            registry=r,
        )


METRICS = HubMetrics()
