-- Reactions that did not count, and why ('self': the suggestion's author; 'bot'; 'closed': cast
-- after its cycle closed; 'withdrawn': on a withdrawn suggestion), for "/shortlist why <n>".

CREATE TABLE uncounted_votes (
    suggestion_id INTEGER NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    platform      TEXT NOT NULL,
    voter_id      TEXT NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('self', 'bot', 'closed', 'withdrawn')),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (suggestion_id, platform, voter_id, reason)
) WITHOUT ROWID;
