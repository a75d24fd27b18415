"""Three (or more) ``nats-server`` processes on loopback ports, routed into one JetStream cluster.

For the tests and the bench: streams with three replicas, a node killed and
brought back. Each node is a ``NatsServerProcess`` with the cluster's options;
ports are fixed at construction, so a node restarts where it was.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from app.embedded.free_port import free_tcp_port
from app.embedded.nats_server_process import NatsServerProcess

logger = logging.getLogger(__name__)

_FORM_TIMEOUT = 30.0


class NatsCluster:
    """``size`` JetStream nodes named ``node-1`` ... under ``base_dir``; ``url`` lists them all."""

    def __init__(self, base_dir: Path, size: int = 3, name: str = "orders", host: str = "127.0.0.1") -> None:
        routes = {f"node-{n}": free_tcp_port(host) for n in range(1, size + 1)}
        self.nodes: dict[str, NatsServerProcess] = {}
        for node, route_port in routes.items():
            others = ",".join(f"nats://{host}:{port}" for other, port in routes.items() if other != node)
            args = [
                "--server_name", node,
                "--cluster_name", name,
                "--cluster", f"nats://{host}:{route_port}",
                "--routes", others,
            ]  # fmt: skip
            self.nodes[node] = NatsServerProcess(Path(base_dir) / node, host=host, args=args)

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated (what ``NATS_URL`` takes)."""
        return ",".join(node.url for node in self.nodes.values())

    def start(self) -> None:
        """Start every node that is not running, then wait until the cluster has formed."""
        for node in self.nodes.values():
            node.start()
        self.wait_formed()

    def wait_formed(self, timeout: float = _FORM_TIMEOUT) -> None:
        """Until every running node reports healthy, which needs a JetStream meta leader."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(node.healthy() for node in self.nodes.values() if node.is_running):
                logger.info("NATS cluster formed: %s", self.url)
                return
            time.sleep(0.1)
        raise RuntimeError(f"the NATS cluster did not form in {timeout}s")

    def kill(self, name: str) -> None:
        """SIGKILL one node (a crash); ``start`` brings it back."""
        self.nodes[name].kill()

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()

    def __enter__(self) -> NatsCluster:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
