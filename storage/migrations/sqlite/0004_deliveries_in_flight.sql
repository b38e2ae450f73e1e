-- Exactly-once announcements: a delivery is marked in flight before the platform is asked to
-- post it. One found in flight later (after a crash) is looked up on the platform before any
-- second post.

ALTER TABLE deliveries ADD COLUMN started_at TEXT;
