-- Page titles: what the suggested page calls itself, fetched after /suggest (bot/pages.py).

ALTER TABLE suggestions ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE suggestions ADD COLUMN description TEXT NOT NULL DEFAULT '';
