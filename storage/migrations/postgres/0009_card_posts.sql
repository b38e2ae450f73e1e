-- Cards being posted: recorded before the post and removed once the card itself is recorded, so
-- a card posted just before a crash is found in its channel (or posted) at the next start
-- instead of being left where the bot never counts its reactions.

CREATE TABLE card_posts (
    suggestion_id BIGINT NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    platform      TEXT NOT NULL,
    channel_id    TEXT NOT NULL,
    PRIMARY KEY (suggestion_id, platform, channel_id)
);
