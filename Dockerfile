# syntax=docker/dockerfile:1
# The service's image: `orders serve` on port 8080, as an unprivileged user.
#   docker build -t order-service .
#   docker compose up --build        # the whole stack (docker-compose.yml, docs/deployment.md)
# Two stages: the wheel is built and installed into a venv in the first, and only that venv
# reaches the second (no compilers, no build files, no pip cache).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
RUN python -m venv /opt/orders
COPY pyproject.toml README.md ./
COPY templates/ templates/
COPY migrations/ migrations/
COPY app/ app/
# app/templates and app/migrations are links to the folders beside it; the wheel carries their files.
RUN /opt/orders/bin/pip install --no-cache-dir --disable-pip-version-check . \
    && /opt/orders/bin/pip uninstall --yes pip

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
