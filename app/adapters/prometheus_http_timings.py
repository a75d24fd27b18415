"""HTTP request durations for Prometheus, recorded at the lowest cost per request.

prometheus_client's ``Histogram.labels(...).observe`` costs a few microseconds
a call (label lookup, a lock, a bucket loop in Python), a tenth of a cached
lookup. Here a series is one plain list: a count per bucket (the last for
+Inf), then the sum of seconds. A request costs a dict lookup, a bisect and
two additions; the lists become a regular histogram family when ``/metrics``
is scraped.
"""

from bisect import bisect_left

from prometheus_client.core import HistogramMetricFamily

NAME = "http_request_duration_seconds"


class HttpTimings:
    """Per (route, method, status) bucket counts and sums; a Prometheus collector.

    ``observe`` records one request. A hot path may instead keep the live list
    ``series`` hands out and add to it as ``observe`` does: one call less.
    """

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self._series: dict[tuple[str, str, int], list] = {}

    def series(self, route: str, method: str, status: int) -> list:
        """The live list of one series: ``len(buckets) + 1`` counts, then the sum of seconds."""
        key = (route, method, status)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = [0] * (len(self.buckets) + 1) + [0.0]
        return found

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        series = self.series(route, method, status)
        series[bisect_left(self.buckets, seconds)] += 1
        series[-1] += seconds

    def collect(self):
        family = HistogramMetricFamily(NAME, "HTTP request duration", labels=("route", "method", "status"))
        bounds = [str(b) for b in self.buckets] + ["+Inf"]
        for (route, method, status), series in list(self._series.items()):
            cumulative, running = [], 0
            for bound, count in zip(bounds, series):
                running += count
                cumulative.append((bound, running))
            family.add_metric([route, method, str(status)], cumulative, series[-1])
        yield family
