"""Tracking parameters: which query fields only say where a click came from.

The rules are data, not code: ClearURLs' rule set (https://docs.clearurls.xyz), as shipped by the
`unalix-rev` package, plus Shortlist's own additions in `bot/data/trackers.json` for the
newsletter platforms our users come from. Upgrading either changes `fingerprint()`, and the stored
link identities are brought in line at the next start.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib.util
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CLEARURLS_PACKAGE = "unalix"
CLEARURLS_FILE = "package_data/rulesets/data.min.json"

Pair = tuple[str, str]  # (decoded lower-case name, the raw "name=value" text)
# Most ClearURLs patterns start "any subdomains of <word>": the word must be in the host.
_HOST_WORD = re.compile(
    r"^\^https\?:\\/\\/\(\?:\[a-z0-9-\]\+\\\.\)\*\?(?P<word>[a-z0-9-]+(?:\\\.[a-z0-9-]+)*)"
)


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
    host_word: str  # a word its hosts always contain ("amazon"), or "" if unknown

    @classmethod
    def from_clearurls(cls, data: dict[str, Any]) -> _Provider | None:
        try:
            covers = re.compile(data["urlPattern"], re.IGNORECASE)
            exceptions = tuple(re.compile(e, re.IGNORECASE) for e in data.get("exceptions", ()))
        except (KeyError, re.error):
            return None
        word = _HOST_WORD.match(data["urlPattern"])
        return cls(
            covers,
            exceptions,
            _union(data.get("rules", ())),
            _union(data.get("referralMarketing", ())),
            word["word"].replace("\\", "") if word else "",
        )

    def applies_to(self, host: str, url: str) -> bool:
        if self.host_word and self.host_word not in host:
            return False  # most providers are one site: a substring test spares the regex
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

    def strip(
        self, url: str, host: str, path: str, pairs: Sequence[Pair], *, referral: bool
    ) -> list[Pair]:
        """`pairs` without the tracking fields that apply to `url` (`referral`: also drop `ref`)."""
        patterns = [self._global]
        if referral:
            patterns.append(self._referral)
        for site, rule in self._sites.items():
            if host == site or host.endswith("." + site):
                patterns.append(rule)
        patterns += [rule for pattern, rule in self._paths if pattern.match(path)]
        for provider in self._providers:
            if provider.applies_to(host, url):
                patterns.append(provider.fields)
                if referral:
                    patterns.append(provider.referral)
        found = [pattern for pattern in patterns if pattern is not None]
        return [pair for pair in pairs if not any(p.match(pair[0]) for p in found)]


@functools.cache
def _sources() -> tuple[bytes, bytes]:
    # Found without importing the package: only its data is used, and its import is slow.
    spec = importlib.util.find_spec(CLEARURLS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The {CLEARURLS_PACKAGE} package with ClearURLs' rules is missing")
    clearurls = Path(spec.submodule_search_locations[0], CLEARURLS_FILE).read_bytes()
    own = resources.files("bot").joinpath("data/trackers.json").read_bytes()
    return clearurls, own


@functools.cache
def fingerprint() -> str:
    """Which tracker data is in force; cheap (no rule is compiled)."""
    clearurls, own = _sources()
    return hashlib.sha256(clearurls + b"\0" + own).hexdigest()[:16]


@functools.cache
def rules() -> TrackerRules:
    """Compiled once, on first use (about 0.1 s: `warm_up` does it in a worker thread)."""
    clearurls, own = _sources()
    return TrackerRules(json.loads(clearurls), json.loads(own), fingerprint())


async def warm_up() -> None:
    """Compile the rules off the event loop, before the first link needs them."""
    await asyncio.to_thread(rules)
