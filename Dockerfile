# Shortlist in a container. Not built or run where Shortlist is developed (that machine reaches
# only the package registries, not an image registry): build it with `docker build -t shortlist .`
# and report anything that needs fixing.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 shortlist

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN pip install .

USER shortlist
# SQLite (when DATABASE_URL is not set) lives on a volume, so it survives a new container.
ENV DATABASE_PATH=/data/bot.sqlite3
VOLUME ["/data"]
# Slack's HTTP mode listens on PORT (default 3000); the other modes open no port.
EXPOSE 3000
# Exit status 1 if the settings or the database are wrong (never starts a second bot).
HEALTHCHECK --interval=5m --timeout=30s CMD ["python", "-m", "bot", "check"]
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
