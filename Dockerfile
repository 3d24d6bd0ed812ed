# syntax=docker/dockerfile:1
# Tender's production image: the runtime dependencies (requirements-runtime.lock, hash-checked)
# and the `tender` package only. No tests, no dev tools, no Stripe test mode.
#   docker build -t tender .
#   docker run --env-file .env -p 8000:8000 tender            # tender serve
#   docker run --env-file .env tender migrate upgrade          # one-shot migrations
#   docker run --env-file .env tender doctor                   # any other tender command

FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements-build.lock requirements-runtime.lock ./
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes --no-deps -r requirements-build.lock \
    && python -m venv /opt/tender \
    && /opt/tender/bin/pip install --require-hashes --no-deps -r requirements-runtime.lock
COPY pyproject.toml README.md ./
COPY src/tender ./src/tender
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && /opt/tender/bin/pip install --no-deps /wheels/tender-*.whl

FROM python:3.12-slim AS runtime
ENV PATH=/opt/tender/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/var/lib/tender
RUN groupadd --system --gid 10001 tender \
    && useradd --system --uid 10001 --gid tender --home-dir /var/lib/tender --create-home \
       --shell /usr/sbin/nologin tender
COPY --from=build /opt/tender /opt/tender
USER 10001:10001
WORKDIR /var/lib/tender
EXPOSE 8000
# /livez answers while the process serves; /readyz (database) is for the orchestrator.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('PORT', '8000'), timeout=2)"]
ENTRYPOINT ["tender"]
CMD ["serve"]
