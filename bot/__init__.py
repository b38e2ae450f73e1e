"""Shortlist: the platform-neutral core of the newsletter community bot."""
