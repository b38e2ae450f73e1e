"""Sites that serve one thing under many addresses: one form each for arXiv papers, YouTube
videos, X posts and GitHub/GitLab repositories."""

from __future__ import annotations

import re
from collections.abc import Sequence

Pair = tuple[str, str]  # (decoded lower-case name, raw "name=value")
Place = tuple[str, str, list[Pair]]  # (host, path, query pairs)

_ARXIV_HOSTS = frozenset({"arxiv.org", "export.arxiv.org"})
_ARXIV_PATH = re.compile(
    r"^/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
    r"(?:\.pdf)?/?$"
)
_YOUTUBE_HOSTS = frozenset({"youtube.com", "m.youtube.com", "music.youtube.com"})
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,}$")
_YOUTUBE_SHORT_PATH = re.compile(r"^/(?:shorts|live|embed)/(?P<id>[A-Za-z0-9_-]{6,})$")
_TWITTER_HOSTS = frozenset(
    {"twitter.com", "mobile.twitter.com", "x.com", "mobile.x.com", "fxtwitter.com", "vxtwitter.com"}
)
_TWEET_PATH = re.compile(r"^/(?P<user>[A-Za-z0-9_]{1,15}|i(?:/web)?)/status(?:es)?/(?P<id>\d+)")
_CODE_HOSTS = frozenset({"github.com", "gitlab.com"})
_REF_SELECTING = frozenset({"blob", "tree", "compare", "-"})  # GitLab's paths have a "-" first


def keeps_ref(host: str, path: str) -> bool:
    """On GitHub and GitLab, `ref` picks the branch or tag a file or tree is shown at."""
    return host in _CODE_HOSTS and bool(_REF_SELECTING.intersection(path.split("/")[3:5]))


def https_only(host: str) -> bool:
    return (
        host in _ARXIV_HOSTS
        or host in _YOUTUBE_HOSTS
        or host == "youtu.be"
        or (host in _TWITTER_HOSTS or host in _CODE_HOSTS)
    )


def one_form(host: str, path: str, pairs: Sequence[Pair]) -> Place:
    """The single address of what (host, path, query) shows, where the site has several."""
    if host in _ARXIV_HOSTS:
        match = _ARXIV_PATH.match(path)
        if match:
            return "arxiv.org", f"/abs/{match['id']}", []
    if host == "youtu.be":
        video = path.strip("/")
        if _YOUTUBE_ID.match(video):
            return "youtube.com", "/watch", [("v", f"v={video}")]
    if host in _YOUTUBE_HOSTS:
        return _youtube(path, pairs)
    if host in _TWITTER_HOSTS:
        match = _TWEET_PATH.match(path)
        if match:
            user = match["user"].lower().split("/")[0]  # handles are case-insensitive; i/web is i
            return "x.com", f"/{user}/status/{match['id']}", []
        return "x.com", path, list(pairs)
    if host in _CODE_HOSTS:
        segments = path.split("/")
        segments[1:3] = [segment.lower() for segment in segments[1:3]]  # owner and repository
        if len(segments) == 3 and segments[2].endswith(".git"):
            segments[2] = segments[2][: -len(".git")]
        return host, "/".join(segments), list(pairs)
    return host, path, list(pairs)


def _youtube(path: str, pairs: Sequence[Pair]) -> Place:
    if path == "/watch":
        video = next((raw.partition("=")[2] for name, raw in pairs if name == "v"), "")
        if _YOUTUBE_ID.match(video):
            return "youtube.com", "/watch", [("v", f"v={video}")]
    short = _YOUTUBE_SHORT_PATH.match(path)
    if short:
        return "youtube.com", "/watch", [("v", f"v={short['id']}")]
    return "youtube.com", path, list(pairs)  # a channel or playlist: only the host is unified
