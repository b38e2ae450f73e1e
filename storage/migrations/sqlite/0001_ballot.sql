-- Cycles, suggestions, votes and the platform cards members vote on.

CREATE TABLE cycles (
    id          INTEGER PRIMARY KEY,
    opened_at   TEXT NOT NULL,
    closed_at   TEXT,
    issue_title TEXT,
    issue_link  TEXT
);
-- At most one cycle is open at a time.
CREATE UNIQUE INDEX cycles_one_open ON cycles ((closed_at IS NULL)) WHERE closed_at IS NULL;

CREATE TABLE suggestions (
    id              INTEGER PRIMARY KEY,
    cycle_id        INTEGER NOT NULL REFERENCES cycles (id),
    number          INTEGER NOT NULL,
    url             TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    author_platform TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    author_name     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    withdrawn_at    TEXT,
    UNIQUE (cycle_id, number)
);
-- A link is on a cycle's ballot once; a withdrawn suggestion frees it.
CREATE UNIQUE INDEX suggestions_live_url ON suggestions (cycle_id, url) WHERE withdrawn_at IS NULL;
CREATE INDEX suggestions_author ON suggestions (cycle_id, author_platform, author_id);

CREATE TABLE votes (
    suggestion_id INTEGER NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    platform      TEXT NOT NULL,
    voter_id      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (suggestion_id, platform, voter_id)
) WITHOUT ROWID;

CREATE TABLE cards (
    platform      TEXT NOT NULL,
    channel_id    TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    suggestion_id INTEGER NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    PRIMARY KEY (platform, channel_id, message_id)
) WITHOUT ROWID;
CREATE INDEX cards_suggestion ON cards (suggestion_id, platform);
