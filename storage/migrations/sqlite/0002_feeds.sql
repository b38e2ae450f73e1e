-- Newsletter feeds, the issues seen in them, and which channels each announcement reached.

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    source          TEXT NOT NULL UNIQUE,
    fetch_url       TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    etag            TEXT,
    last_modified   TEXT,
    body_sha256     TEXT,
    last_success_at TEXT,
    last_error      TEXT,
    last_error_at   TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    alerted         INTEGER NOT NULL DEFAULT 0,
    disabled_at     TEXT
);

CREATE TABLE feed_entries (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER NOT NULL REFERENCES feeds (id),
    title        TEXT NOT NULL,
    link         TEXT NOT NULL,
    published_at TEXT,
    summary      TEXT NOT NULL,
    seen_at      TEXT NOT NULL,
    announced    INTEGER NOT NULL,  -- 0: seen silently (first sight, backlog); 1: announced
    cycle_rolled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX feed_entries_unrolled ON feed_entries (id) WHERE announced = 1 AND cycle_rolled = 0;

-- Every key, canonical link and normalised title an entry has been seen under.
CREATE TABLE feed_identities (
    feed_id  INTEGER NOT NULL REFERENCES feeds (id),
    kind     TEXT NOT NULL CHECK (kind IN ('key', 'link', 'title')),
    value    TEXT NOT NULL,
    entry_id INTEGER NOT NULL REFERENCES feed_entries (id),
    PRIMARY KEY (feed_id, kind, value)
) WITHOUT ROWID;

CREATE TABLE deliveries (
    entry_id     INTEGER NOT NULL REFERENCES feed_entries (id),
    platform     TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    delivered_at TEXT,
    message_id   TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    PRIMARY KEY (entry_id, platform, channel_id)
) WITHOUT ROWID;
CREATE INDEX deliveries_pending ON deliveries (created_at) WHERE delivered_at IS NULL;

CREATE INDEX cycles_issue_link ON cycles (issue_link) WHERE issue_link IS NOT NULL;
