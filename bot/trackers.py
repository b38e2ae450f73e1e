"""Tracking parameters: which query fields only say where a click came from.

The rules are data, not code: ClearURLs' rule set (https://docs.clearurls.xyz), as shipped by the
`unalix-rev` package, plus Shortlist's own additions in `bot/data/trackers.json` for the
newsletter platforms our users come from. Upgrading either changes `fingerprint()`, and the stored
link identities are brought in line at the next start.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

CLEARURLS_PACKAGE = "unalix"
CLEARURLS_FILE = "package_data/rulesets/data.min.json"

Pair = tuple[str, str]  # (decoded lower-case name, the raw "name=value" text)


def _union(rules: Iterable[str]) -> re.Pattern[str] | None:
    valid = []
    for rule in rules:
        try:
            re.compile(rule)
        except re.error:
            log.debug("Skipping a tracking rule Python can't read: %r", rule)
            continue
        valid.append(rule)
    return re.compile("^(?:" + "|".join(valid) + ")$", re.IGNORECASE) if valid else None


@dataclass(frozen=True, slots=True)
class _Provider:
    """One ClearURLs provider: the links it covers and the fields it removes from them."""

    covers: re.Pattern[str]
    exceptions: tuple[re.Pattern[str], ...]
    fields: re.Pattern[str] | None
    referral: re.Pattern[str] | None

    @classmethod
    def from_clearurls(cls, data: dict[str, Any]) -> _Provider | None:
        try:
            covers = re.compile(data["urlPattern"], re.IGNORECASE)
            exceptions = tuple(re.compile(e, re.IGNORECASE) for e in data.get("exceptions", ()))
        except (KeyError, re.error):
            return None
        return cls(
            covers,
            exceptions,
            _union(data.get("rules", ())),
            _union(data.get("referralMarketing", ())),
        )

    def applies_to(self, url: str) -> bool:
        return bool(self.covers.search(url)) and not any(e.search(url) for e in self.exceptions)


class TrackerRules:
    def __init__(self, clearurls: dict[str, Any], own: dict[str, Any], fingerprint: str) -> None:
        providers = (_Provider.from_clearurls(p) for p in clearurls["providers"].values())
        self._providers = tuple(p for p in providers if p is not None)
        self._global = _union(own["global"])
        self._referral = _union(own["referral"])
        self._sites = {site: _union(rules) for site, rules in own["sites"].items()}
        self._paths = [(re.compile(path), _union(rules)) for path, rules in own["paths"].items()]
        self.fingerprint = fingerprint

    def strip(self, url: str, host: str, path: str, pairs: Sequence[Pair], *, referral: bool) -> list[Pair]:
        """`pairs` without the tracking fields that apply to `url` (`referral`: also drop `ref`)."""
        patterns = [self._global]
        if referral:
            patterns.append(self._referral)
        for site, rule in self._sites.items():
            if host == site or host.endswith("." + site):
                patterns.append(rule)
        patterns += [rule for pattern, rule in self._paths if pattern.match(path)]
        for provider in self._providers:
            if provider.applies_to(url):
                patterns.append(provider.fields)
                if referral:
                    patterns.append(provider.referral)
        found = [pattern for pattern in patterns if pattern is not None]
        return [pair for pair in pairs if not any(p.match(pair[0]) for p in found)]


@functools.cache
def rules() -> TrackerRules:
    """Loaded once, on first use (not at import: start-up stays fast)."""
    clearurls = resources.files(CLEARURLS_PACKAGE).joinpath(CLEARURLS_FILE).read_bytes()
    own = resources.files("bot").joinpath("data/trackers.json").read_bytes()
    fingerprint = hashlib.sha256(clearurls + b"\0" + own).hexdigest()[:16]
    return TrackerRules(json.loads(clearurls), json.loads(own), fingerprint)
