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
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CLEARURLS_PACKAGE = "unalix"
CLEARURLS_FILE = "package_data/rulesets/data.min.json"

Pair = tuple[str, str]  # (decoded lower-case name, the raw "name=value" text)
# Most ClearURLs patterns start "any subdomains of <word>": the word must be in the host.
_EVERYTHING = {".*", "^.*", ".*$", "^.*$"}  # a provider whose rules apply to every link
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
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


def _either(patterns: list[re.Pattern[str]]) -> tuple[re.Pattern[str], ...]:
    """One pattern that matches where any of `patterns` does (one search for the dozens of
    exceptions some providers list), or the patterns themselves where joining could change
    what they mean (a backreference) or Python can't join them."""
    if len(patterns) < 2 or any(_BACKREFERENCE.search(p.pattern) for p in patterns):
        return tuple(patterns)
    try:
        return (re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE),)
    except re.error:
        return tuple(patterns)


class _Provider:
    """One ClearURLs provider: the links it covers and the fields it removes from them.

    Its patterns are compiled the first time a link from its site comes by: a bot sees links
    from a few dozen sites, not from all the providers' (memory and start-up stay small).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        word = _HOST_WORD.match(str(data.get("urlPattern", "")))
        self.host_word = word["word"].replace("\\", "") if word else ""  # "amazon", or ""
        self._compiled: tuple[Any, ...] | None = None

    def _patterns(self) -> tuple[Any, ...]:
        if self._compiled is None:
            data = self._data
            try:
                covers = re.compile(data["urlPattern"], re.IGNORECASE)
                exceptions = _either(
                    [re.compile(e, re.IGNORECASE) for e in data.get("exceptions", ())]
                )
            except (KeyError, re.error):
                covers, exceptions = None, ()
            fields = _union(data.get("rules", ()))
            referral = _union(data.get("referralMarketing", ()))
            self._compiled = (covers, exceptions, fields, referral)
        return self._compiled

    def url_pattern(self) -> re.Pattern[str] | None:
        return self._patterns()[0]  # type: ignore[no-any-return]

    def fields_for(self, host: str, url: str, *, referral: bool) -> list[re.Pattern[str]]:
        """The field patterns this provider removes from `url`, if it covers it."""
        covers, exceptions, fields, referral_fields = self._patterns()
        if covers is None or not covers.search(url) or any(e.search(url) for e in exceptions):
            return []
        found = [fields] if fields is not None else []
        if referral and referral_fields is not None:
            found.append(referral_fields)
        return found


class TrackerRules:
    def __init__(self, clearurls: dict[str, Any], own: dict[str, Any], fingerprint: str) -> None:
        self._providers = tuple(_Provider(p) for p in clearurls["providers"].values())
        # Providers by the word their hosts contain, so a link is tried against a few of them.
        self._by_word: dict[str, list[_Provider]] = {}
        for provider in self._providers:
            self._by_word.setdefault(provider.host_word, []).append(provider)
        self._global = _union(own["global"])
        self._referral = _union(own["referral"])
        self._sites = {site: _union(rules) for site, rules in own["sites"].items()}
        self._site_names = tuple(self._sites)  # one test first: most hosts are none of them
        self._paths = [(re.compile(path), _union(rules)) for path, rules in own["paths"].items()]
        self.fingerprint = fingerprint
        # (one search over their sites, all of them, those that cover every link)
        self._wordless: tuple[re.Pattern[str] | None, list[_Provider], list[_Provider]] | None
        self._wordless = None

    def _without_word(self, url: str) -> list[_Provider]:
        """The providers without a host word that may cover `url`: one search over all their
        sites' patterns first (compiled at the first link), since most links are on none."""
        if self._wordless is None:
            providers = self._by_word.get("", [])
            patterns = [p.url_pattern() for p in providers]
            joinable = [p for p in patterns if p is not None and p.pattern not in _EVERYTHING]
            one = _either(joinable)
            everywhere = [  # never in the joined search, so always tried
                provider
                for provider, pattern in zip(providers, patterns, strict=True)
                if pattern is not None and pattern.pattern in _EVERYTHING
            ]
            self._wordless = (one[0] if len(one) == 1 else None, providers, everywhere)
        joined, providers, everywhere = self._wordless
        return list(providers if joined is None or joined.search(url) else everywhere)

    def strip(
        self, url: str, host: str, path: str, pairs: Sequence[Pair], *, referral: bool
    ) -> list[Pair]:
        """`pairs` without the tracking fields that apply to `url` (`referral`: also drop `ref`)."""
        patterns = [self._global]
        if referral:
            patterns.append(self._referral)
        if host.endswith(self._site_names):
            for site, rule in self._sites.items():
                if host == site or host.endswith("." + site):
                    patterns.append(rule)
        patterns += [rule for pattern, rule in self._paths if pattern.match(path)]
        left = _without(pairs, patterns)
        if not left:
            return left  # nothing for ClearURLs' providers to decide: skip their patterns
        found: list[re.Pattern[str] | None] = []
        for provider in self._candidates(host, url):
            found += provider.fields_for(host, url, referral=referral)
        return _without(left, found)

    def _candidates(self, host: str, url: str) -> list[_Provider]:
        """Providers whose host word is a run of the host's labels (or who have none and may
        cover `url`)."""
        labels = host.split(".")
        found = self._without_word(url)
        for start in range(len(labels)):
            for end in range(start + 1, len(labels) + 1):
                found += self._by_word.get(".".join(labels[start:end]), ())
        return found


def _without(pairs: Sequence[Pair], patterns: list[re.Pattern[str] | None]) -> list[Pair]:
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


async def warm_up(delay: float = 2.0) -> None:
    """Load the rules off the event loop (once start-up is done), before a link needs them."""
    await asyncio.sleep(delay)
    await asyncio.to_thread(
        lambda: rules().strip("https://example.com/", "example.com", "/", [], referral=True)
    )
