# syntax=docker/dockerfile:1
# The service's image: `orders serve` on port 8080, as an unprivileged user.
#   docker build -t order-service .
#   podman build --format docker -t order-service .   # podman, buildah: only the docker format keeps HEALTHCHECK
#   docker compose up --build        # the whole stack (docker-compose.yml, docs/deployment.md)
#   make image-test                  # builds it and runs it against the test suite's servers (tests/image)
# Two stages: the third-party packages are installed from requirements.lock (every one pinned and
# hashed), then the project's wheel, into a venv that never had pip or setuptools; only that venv
# reaches the second stage (no compilers, no build files, no pip cache).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
# pip runs from a venv of its own and installs into the service's (`pip --python`).
RUN python -m venv /opt/pip \
    && python -m venv --without-pip /opt/orders
COPY requirements.lock ./
RUN /opt/pip/bin/pip --python /opt/orders/bin/python install --no-cache-dir --disable-pip-version-check \
    --require-hashes --requirement requirements.lock
COPY pyproject.toml README.md ./
COPY templates/ templates/
COPY migrations/ migrations/
COPY app/ app/
# app/templates and app/migrations are links to the folders beside it; the wheel carries their files.
RUN /opt/pip/bin/pip wheel --no-cache-dir --disable-pip-version-check --no-deps --wheel-dir /wheels . \
    && /opt/pip/bin/pip --python /opt/orders/bin/python install --no-cache-dir --disable-pip-version-check \
    --no-deps /wheels/order_service-*.whl \
    && /opt/pip/bin/pip --python /opt/orders/bin/python check

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 orders \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin orders
COPY --from=build /opt/orders /opt/orders
ENV PATH=/opt/orders/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
WORKDIR /srv/orders
USER 10001:10001
EXPOSE 8080
# Ready, not just alive: migrations applied, cache warm, consumer running, servers reachable.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HTTP_PORT', '8080') + '/readyz', timeout=2)"]
# SIGTERM: stop fetching, finish the batch in hand, close the connections (HTTP_WORKERS > 1: every worker).
STOPSIGNAL SIGTERM
CMD ["orders", "serve"]
