# Shortlist in a container. Not built or run where Shortlist is developed (that machine reaches
# only the package registries, not an image registry); CI lints this file with hadolint and runs
# its CMD as its user against a fresh data folder (tests/test_deploy.py). Build it with
# `docker build -t shortlist .` and report anything that needs fixing.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# The bot's user, and the folder its SQLite file lives in, owned by it before it becomes a
# volume (a volume takes the ownership of the image's folder when it is first created).
RUN useradd --create-home --uid 10001 shortlist \
    && install --directory --owner=10001 --group=10001 --mode=0700 /data

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN pip install --no-cache-dir .

USER 10001:10001
# SQLite (when DATABASE_URL is not set) lives on a volume, so it survives a new container.
ENV DATABASE_PATH=/data/bot.sqlite3
VOLUME ["/data"]
# Slack's HTTP mode listens on PORT (default 3000) and answers /healthz there; the other modes
# open no port.
EXPOSE 3000
# Healthy while a bot runs on the database with every platform connected (its heartbeat).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "check", "--live"]
STOPSIGNAL SIGTERM
# --no-console: with no platform configured, say which settings are missing (exit 2) instead of
# running the console on a container's empty input.
CMD ["python", "-m", "bot", "run", "--no-console"]
