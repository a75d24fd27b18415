"""``orders serve --workers N``: N full instances of the service on one port, under gunicorn.

gunicorn's arbiter forks the workers, each binding the port with SO_REUSEPORT; each is aiohttp's
``GunicornUVLoopWebWorker`` serving the async app factory
``bootstrap.create_app``, so each builds its own container from ``Settings()``
(its own connections, cache, consumer and announcements: one instance of the
service). The arbiter replaces a worker that dies; SIGTERM stops them all,
each finishing its batch in hand (the app's cleanup). No access log: it would
cost more than a cached lookup. gunicorn's own messages go to the root logger,
configured by ``cli.py`` like everything else.
"""

import logging
import os
import socket
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.workers.base import Worker

from app.entrypoints import bootstrap
from app.entrypoints.gc_tuning import collect_less_often, freeze_startup_objects
from app.entrypoints.settings import Settings
from app.service_layer.service import STOP_TIMEOUT

WORKER_CLASS = "aiohttp.worker.GunicornUVLoopWebWorker"
# How long SIGTERM waits for a worker: its requests, then its batch in hand (STOP_TIMEOUT).
GRACEFUL_SECONDS = int(STOP_TIMEOUT) + 15
KEEPALIVE_SECONDS = 75  # as aiohttp's own runner (``orders serve`` with one worker) keeps connections
# Where each worker keeps its heartbeat file. Docker and podman mount /dev/shm in every container,
# even on a read-only root with no tmpfs (`--read-only`), where /tmp cannot be written.
HEARTBEAT_DIR = "/dev/shm"


class RootLogger(glogging.Logger):
    """gunicorn's logger, with no handlers of its own: its records go to the root logger."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True


def worker_started(worker: Worker) -> None:
    """In each worker, once it has imported the app: collect less often, and never the modules."""
    collect_less_often()
    freeze_startup_objects()


def gunicorn_options(settings: Settings, workers: int) -> dict[str, Any]:
    return {
        "bind": f"{settings.http_host}:{settings.http_port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": KEEPALIVE_SECONDS,
        "backlog": 2048,
        # Each worker binds its own SO_REUSEPORT socket, and the kernel spreads connections across
        # them; on one shared socket the first worker to wake accepts a client's connections in bulk.
        "reuse_port": True,
        "worker_tmp_dir": HEARTBEAT_DIR if os.path.isdir(HEARTBEAT_DIR) else None,  # None: the temp dir
        "accesslog": None,
        "errorlog": "-",
        "loglevel": logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower(),
        "logger_class": RootLogger,
        "post_worker_init": worker_started,
        "proc_name": "orders",
    }


class ServiceWorkers(BaseApplication):
    """gunicorn's documented way to run it from Python: options in, the app factory out."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 24+: no runtime control socket in $HOME
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        return bootstrap.create_app


def serve_with_workers(settings: Settings, workers: int) -> None:
    """Serve until SIGTERM (graceful) or SIGINT; returns only through gunicorn's exit."""
    bootstrap.container_for(settings)  # fails now, not in every worker, without NATS_URL or DATABASE_URL
    _check_port(settings.http_host, settings.http_port)
    ServiceWorkers(gunicorn_options(settings, workers)).run()


def _check_port(host: str, port: int) -> None:
    """One line and exit 1 when the address cannot be bound: each worker binds it (``reuse_port``),
    and gunicorn would replace the workers that fail, one error after another, for ever."""
    try:
        socket.create_server((host, port), reuse_port=True).close()
    except OSError as error:
        raise SystemExit(f"orders serve: cannot listen on {host}:{port}: {error.strerror or error}") from None
