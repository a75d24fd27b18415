"""HttpTimings for Prometheus, recorded at the lowest cost per request.

A series is one plain list: a count per bucket (the last for +Inf), then the
sum of seconds. A request costs a dict lookup, a bisect and two additions; the
lists become a regular histogram family when ``/metrics`` is scraped.
(prometheus_client's ``Histogram.labels(...).observe`` takes a lock and loops
over the buckets in Python: ``docs/performance.md``.)
"""

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

NAME = "http_request_duration_seconds"


class PrometheusHttpTimings(Collector):
    """Per (route, method, status) bucket counts and sums; a Prometheus collector."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self._buckets = buckets
        self._series: dict[tuple[str, str, int], list[float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = [0] * (len(self._buckets) + 1) + [0.0]
        series[bisect_left(self._buckets, seconds)] += 1
        series[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(NAME, "HTTP request duration", labels=("route", "method", "status"))
        bounds = [str(b) for b in self._buckets] + ["+Inf"]
        for (route, method, status), series in list(self._series.items()):
            cumulative, running = [], 0.0
            for bound, count in zip(bounds, series, strict=False):  # the sum follows the counts
                running += count
                cumulative.append((bound, running))
            family.add_metric([route, method, str(status)], cumulative, series[-1])
        yield family
