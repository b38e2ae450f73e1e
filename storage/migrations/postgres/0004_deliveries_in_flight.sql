-- Exactly-once announcements: a delivery is marked in flight before the platform is asked.

ALTER TABLE deliveries ADD COLUMN started_at TIMESTAMPTZ;
