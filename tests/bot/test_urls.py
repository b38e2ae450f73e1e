from __future__ import annotations

import pytest

from bot.errors import InvalidLink
from bot.urls import canonical_url

SAME_ARTICLE = [
    ("example.com/post", "https://example.com/post"),
    ("HTTPS://WWW.Example.COM/Post/", "https://example.com/Post"),
    ("https://example.com:443/post#comments", "https://example.com/post"),
    ("http://example.com:80/post", "http://example.com/post"),
    ("https://example.com:8443/post", "https://example.com:8443/post"),
    ("example.com:8080/post", "https://example.com:8080/post"),
    ("//example.com/post", "https://example.com/post"),
    ("https://example.com", "https://example.com"),
    ("https://example.com/", "https://example.com"),
    ("https://example.com./post", "https://example.com/post"),
    (
        "https://example.com/post?utm_source=news&utm_Medium=email&id=7&fbclid=x&gclid=y",
        "https://example.com/post?id=7",
    ),
    ("https://example.com/post?mc_cid=1&mc_eid=2&ref=hn", "https://example.com/post"),
    ("https://example.com/post?b=2&a=1", "https://example.com/post?b=2&a=1"),
    ("https://example.com/Post/Case", "https://example.com/Post/Case"),
    ("https://example.com/a%20b", "https://example.com/a%20b"),
    ("https://bücher.de/x", "https://xn--bcher-kva.de/x"),
    # arXiv: abstract, PDF and versions are one paper
    ("https://arxiv.org/abs/2401.12345", "https://arxiv.org/abs/2401.12345"),
    ("https://arxiv.org/abs/2401.12345v3", "https://arxiv.org/abs/2401.12345"),
    ("http://arxiv.org/pdf/2401.12345v2", "https://arxiv.org/abs/2401.12345"),
    ("arxiv.org/pdf/2401.12345.pdf", "https://arxiv.org/abs/2401.12345"),
    ("https://export.arxiv.org/abs/2401.12345", "https://arxiv.org/abs/2401.12345"),
    ("https://arxiv.org/abs/hep-th/9901001v1", "https://arxiv.org/abs/hep-th/9901001"),
    # YouTube: one video whatever the address
    ("https://youtu.be/dQw4w9WgXcQ?si=abc", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&t=42",
        "https://youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
    ("https://www.youtube.com/@channel?feature=x", "https://youtube.com/@channel"),
    # X / Twitter: one post
    ("https://twitter.com/Karpathy/status/123?s=20&t=abc", "https://x.com/karpathy/status/123"),
    ("https://mobile.twitter.com/karpathy/status/123", "https://x.com/karpathy/status/123"),
    ("https://x.com/karpathy/status/123/photo/1", "https://x.com/karpathy/status/123"),
    ("https://www.x.com/karpathy?s=09", "https://x.com/karpathy"),
]


@pytest.mark.parametrize(("raw", "canonical"), SAME_ARTICLE)
def test_canonical_form(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


def test_canonical_form_is_stable() -> None:
    for raw, canonical in SAME_ARTICLE:
        assert canonical_url(canonical) == canonical, raw


REFUSED = [
    ("", "give a link"),
    ("   ", "give a link"),
    ("ftp://example.com/file", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("mailto:someone@example.com", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("https://", "no host"),
    ("https://localhost/admin", "localhost"),
    ("http://api.localhost:8000", "localhost"),
    ("http://127.0.0.1/", "private or local"),
    ("http://127.1/", "private or local"),
    ("http://2130706433/", "private or local"),
    ("http://0x7f.0.0.1/", "private or local"),
    ("http://10.0.0.5/", "private or local"),
    ("http://192.168.1.1/", "private or local"),
    ("http://172.16.0.1/", "private or local"),
    ("http://169.254.169.254/latest/meta-data", "private or local"),
    ("http://0.0.0.0/", "private or local"),
    ("http://[::1]/", "private or local"),
    ("http://[fe80::1]/", "private or local"),
    ("http://[::ffff:127.0.0.1]/", "private or local"),
    ("http://240.0.0.1/", "private or local"),
    ("https://intranet/page", "public domain"),
    ("hello", "public domain"),
    ("https://example.com/" + "a" * 2040, "longer than 2048"),
    ("https://example.com/\x00", "control characters"),
    ("https://example.com/a\nb", "control characters"),
    ("https://exa mple.com", "spaces"),
    ("http://example.com:99999/", "valid link"),
]


@pytest.mark.parametrize(("raw", "reason"), REFUSED)
def test_refused_links_say_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidLink) as refused:
        canonical_url(raw)
    assert reason in refused.value.message.lower()


def test_public_ip_literal_is_allowed() -> None:
    assert canonical_url("http://93.184.216.34/page") == "http://93.184.216.34/page"
