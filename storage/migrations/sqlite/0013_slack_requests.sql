-- Slack requests already answered, by their verified signature, for as long as Slack would
-- accept them again (5 minutes, kept 10): a replayed request is refused after a restart, or by a
-- standby that took over, as well as by the process that saw it first. Only requests whose
-- signature was verified are written, so unsigned traffic never grows the table.

CREATE TABLE slack_requests (
    signature TEXT PRIMARY KEY,
    seen_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX slack_requests_seen ON slack_requests (seen_at);
