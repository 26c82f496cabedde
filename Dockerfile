# One image, two roles: `qingeban serve` (default) or `qingeban worker` (override the command).
# The base is pinned to one Python release and one Debian release (the ones CI tests on). Pin it
# by digest too where the registry can be reached — `docker buildx imagetools inspect
# python:3.11.7-slim-bookworm` prints it — as `FROM python:3.11.7-slim-bookworm@sha256:…`.
ARG BASE=python:3.11.7-slim-bookworm
FROM ${BASE} AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md requirements.lock ./
COPY app ./app
# The locked versions with their hashes, then the project without resolving again.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r requirements.lock \
    && /opt/venv/bin/pip install --no-deps .

FROM ${BASE} AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    QE_ENV=production QE_MIGRATIONS_DIR=/srv/migrations
RUN groupadd --system qingeban && useradd --system --gid qingeban --home /srv qingeban \
    && mkdir -p /srv/var && chown qingeban:qingeban /srv/var
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY --chown=qingeban:qingeban migrations ./migrations
USER qingeban
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["qingeban", "serve", "--host", "0.0.0.0", "--port", "8000"]
