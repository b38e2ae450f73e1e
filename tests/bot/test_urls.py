"""Link identity, family by family: what merges, what stays apart, what is accepted, what is
refused and why; and properties that hold for any text a member could type."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import InvalidLink
from bot.urls import _split, has_control_characters, link_key, parse_link

# Each row: links that must be one suggestion, and the link shown for the first.
SAME_ARTICLE = [
    (
        "scheme and host spelling",
        [
            "example.com/post",
            "HTTPS://WWW.Example.COM/post/",
            "https://example.com:443/post#comments",
            "//example.com/post",
            "https://example.com./post",
            "http://example.com:80/post",
            "https:www.example.com/post",
            "http:example.com/post",
        ],
        "https://example.com/post",
    ),
    (
        "http and https are one article",
        ["http://example.com/a", "https://example.com/a"],
        "http://example.com/a",
    ),
    (
        "query order",
        ["https://example.com/p?b=2&a=1", "https://example.com/p?a=1&b=2"],
        "https://example.com/p?a=1&b=2",
    ),
    (
        "percent-escapes",
        ["https://example.com/%7Euser/a%2fb", "https://example.com/~user/a%2Fb"],
        "https://example.com/~user/a%2Fb",
    ),
    (
        "dot segments",
        ["https://example.com/a/./b/../c", "https://example.com/a/c/"],
        "https://example.com/a/c",
    ),
    (
        "credentials dropped",
        ["https://user:secret@example.com/a", "https://example.com/a"],
        "https://example.com/a",
    ),
    ("IDNA", ["https://bücher.de/x", "https://xn--bcher-kva.de/x"], "https://xn--bcher-kva.de/x"),
    (
        "utm, mtm, itm",
        [
            "https://example.com/p?utm_source=n&utm_Medium=e&mtm_campaign=c&itm_source=s&id=7",
            "https://example.com/p?id=7",
        ],
        "https://example.com/p?id=7",
    ),
    (
        "Google click ids",
        [
            "https://example.com/p?gclid=1&gbraid=2&wbraid=3&gclsrc=4&srsltid=5"
            "&_ga=6&_gl=7&dclid=8",
            "https://example.com/p",
        ],
        "https://example.com/p",
    ),
    (
        "other ad click ids",
        ["https://example.com/p?msclkid=1&yclid=2&twclid=3&igshid=4", "https://example.com/p"],
        "https://example.com/p",
    ),
    (
        "Facebook",
        [
            "https://example.com/p?fbclid=1&fb_action_ids=2&fb_source=3&action_object_map=4",
            "https://example.com/p",
        ],
        "https://example.com/p",
    ),
    (
        "HubSpot",
        [
            "https://example.com/p?_hsenc=1&_hsmi=2&__hstc=3&__hssc=4&__hsfp=5&hsCtaTracking=6",
            "https://example.com/p",
        ],
        "https://example.com/p",
    ),
    (
        "newsletter platforms",
        [
            "https://example.com/p?mc_cid=1&mc_eid=2&_bhlid=3"
            "&ck_subscriber_id=4&__s=5&vero_id=6&vero_conv=7&oly_enc_id=8"
            "&oly_anon_id=9&ml_subscriber=10&ml_subscriber_hash=11&_kx=12"
            "&bsft_clkid=13&bsft_uid=14&mkt_tok=15",
            "https://example.com/p",
        ],
        "https://example.com/p",
    ),
    (
        "Substack posts",
        [
            "https://letters.substack.com/p/issue-3?r=2x&s=r&triedRedirect=true",
            "https://letters.substack.com/p/issue-3",
        ],
        "https://letters.substack.com/p/issue-3",
    ),
    (
        "Substack on its own domain",
        ["https://news.example.org/p/issue-3?r=2x&s=w", "https://news.example.org/p/issue-3"],
        "https://news.example.org/p/issue-3",
    ),
    (
        "Medium",
        [
            "https://medium.com/@ann/a-post-1f2e?source=rss----1&sk=abc",
            "https://medium.com/@ann/a-post-1f2e",
        ],
        "https://medium.com/@ann/a-post-1f2e",
    ),
    (
        "LinkedIn",
        [
            "https://linkedin.com/pulse/a-post?trk=public_post",
            "https://www.linkedin.com/pulse/a-post",
        ],
        "https://linkedin.com/pulse/a-post",
    ),
    (
        "referral",
        ["https://example.com/post?ref=hn", "https://example.com/post"],
        "https://example.com/post",
    ),
    (
        "GitHub owner and repository",
        [
            "github.com/Rapptz/discord.py",
            "https://github.com/rapptz/discord.py/",
            "https://github.com/Rapptz/discord.py.git",
        ],
        "https://github.com/rapptz/discord.py",
    ),
    (
        "GitLab owner and repository",
        ["https://gitlab.com/GitLab-org/GitLab", "https://gitlab.com/gitlab-org/gitlab"],
        "https://gitlab.com/gitlab-org/gitlab",
    ),
    (
        "arXiv",
        [
            "https://arxiv.org/abs/2401.12345",
            "https://arxiv.org/abs/2401.12345v3",
            "http://arxiv.org/pdf/2401.12345v2",
            "arxiv.org/pdf/2401.12345.pdf",
            "https://export.arxiv.org/abs/2401.12345",
        ],
        "https://arxiv.org/abs/2401.12345",
    ),
    (
        "arXiv, old style",
        ["https://arxiv.org/abs/hep-th/9901001v1", "https://arxiv.org/abs/hep-th/9901001"],
        "https://arxiv.org/abs/hep-th/9901001",
    ),
    (
        "YouTube",
        [
            "https://youtu.be/dQw4w9WgXcQ?si=abc",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&t=42",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        ],
        "https://youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "YouTube channel",
        ["https://www.youtube.com/@channel?feature=x", "https://youtube.com/@channel"],
        "https://youtube.com/@channel",
    ),
    (
        "X posts",
        [
            "https://twitter.com/Karpathy/status/123?s=20&t=abc",
            "https://mobile.twitter.com/karpathy/status/123",
            "https://x.com/karpathy/status/123/photo/1",
        ],
        "https://x.com/karpathy/status/123",
    ),
    (
        "IPv6",
        ["https://[2606:4700:4700::1111]/", "https://[2606:4700:4700:0::1111]"],
        "https://[2606:4700:4700::1111]",
    ),
]

DIFFERENT = [
    ("path case", "https://example.com/Post", "https://example.com/post"),
    ("a query that selects", "https://example.com/p?id=1", "https://example.com/p?id=2"),
    (
        "GitHub ref picks a branch",
        "https://github.com/a/b/blob/main/x.py?ref=dev",
        "https://github.com/a/b/blob/main/x.py",
    ),
    (
        "GitHub file paths keep their case",
        "https://github.com/a/b/blob/main/README.md",
        "https://github.com/a/b/blob/main/readme.md",
    ),
    ("a #! route", "https://example.com/#!/issue/1", "https://example.com/#!/issue/2"),
    ("ports", "https://example.com:8443/p", "https://example.com/p"),
    ("Substack's s elsewhere", "https://example.com/search?s=cats", "https://example.com/search"),
]


@pytest.mark.parametrize(
    ("family", "links", "shown"), SAME_ARTICLE, ids=[f for f, _, _ in SAME_ARTICLE]
)
def test_one_article_is_one_link(family: str, links: list[str], shown: str) -> None:
    assert {link_key(link) for link in links} == {link_key(links[0])}, family
    assert parse_link(links[0]).url == shown


@pytest.mark.parametrize(("family", "first", "second"), DIFFERENT, ids=[f for f, _, _ in DIFFERENT])
def test_what_differs_stays_apart(family: str, first: str, second: str) -> None:
    assert link_key(first) != link_key(second), family


ACCEPTED = [
    "https://[2606:4700:4700::1111]/",
    "http://93.184.216.34/page",
    "https://[2a00:1450:4001:82b::200e]/search",
    "https://[2002:808:808::1]/",  # 6to4 of a public address
    "https://example.com:8080/x",
    "https://a-b.example.co.uk/x_y",
    "https://example.com/#section",
    "https://xn--bcher-kva.de/",
]


@pytest.mark.parametrize("raw", ACCEPTED)
def test_every_public_link_is_accepted(raw: str) -> None:
    link = parse_link(raw)
    assert parse_link(link.url) == link


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
    ("http://printer.local/", "isn't on the public internet"),
    ("http://db.internal/", "isn't on the public internet"),
    ("http://router.home.arpa/", "isn't on the public internet"),
    ("http://box.localdomain/", "isn't on the public internet"),
    ("http://site.test/", "isn't on the public internet"),
    ("http://site.invalid/", "isn't on the public internet"),
    ("http://hidden.onion/", "isn't on the public internet"),
    ("http://127.0.0.1/", "private or local"),
    ("http://127.1/", "private or local"),
    ("http://2130706433/", "private or local"),
    ("http://0x7f.0.0.1/", "private or local"),
    ("http://127.0.0%2E1/", "private or local"),
    ("http://%31%32%37.0.0.1/", "private or local"),
    ("http://127.0.0.1./", "private or local"),
    ("http://10.0.0.5/", "private or local"),
    ("http://192.168.1.1/", "private or local"),
    ("http://172.16.0.1/", "private or local"),
    ("http://100.64.0.1/", "private or local"),
    ("http://169.254.169.254/latest/meta-data", "private or local"),
    ("http://0.0.0.0/", "private or local"),
    ("http://240.0.0.1/", "private or local"),
    ("http://[::1]/", "private or local"),
    ("http://[fe80::1]/", "private or local"),
    ("http://[::ffff:127.0.0.1]/", "private or local"),
    ("http://[2002:7f00:1::]/", "private or local"),
    ("http://[64:ff9b::a00:1]/", "private or local"),
    ("http://[2001:db8::1]/", "private or local"),
    ("http://[ff02::1]/", "private or local"),
    ("http://[not-an-address]/", "valid"),
    ("https://intranet/page", "public domain"),
    ("hello", "public domain"),
    ("https://exa_mple..com/", "valid name"),
    ("https://exa%0A.com/", "valid name"),  # a line break, once its escape is decoded
    ("https://exa%0d%0a.example.com/", "valid name"),
    ("https://example.com/" + "a" * 2040, "longer than 2048"),
    ("https://example.com/\x00", "control characters"),
    ("https://example.com/a\nb", "control characters"),
    ("https://exa mple.com", "spaces"),
    ("https://example.com/\ud800", "aren't valid text"),
    ("http://example.com:99999/", "invalid port"),
    ("http://example.com:0/", "invalid port"),
    ("http://example.com:\uff18\uff10/", "invalid port"),  # full-width digits
]


@pytest.mark.parametrize(("raw", "reason"), REFUSED)
def test_refused_links_say_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidLink) as refused:
        parse_link(raw)
    assert reason in refused.value.message.lower()


URL_TEXT = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, host, path, query: f"{scheme}{host}{path}{query}",
        st.sampled_from(["", "http://", "https://", "HTTPS://", "//", "http:", "ftp://"]),
        st.one_of(
            st.from_regex(r"[a-z0-9.-]{1,20}\.[a-z]{2,4}", fullmatch=True),
            st.from_regex(r"\[[0-9a-f:.]{2,30}\]", fullmatch=True),
            st.text(max_size=20),
        ),
        st.text(alphabet="/abcXYZ%20.~-_", max_size=20),
        st.text(alphabet="?&=abutm_src%#!12", max_size=25),
    ),
)


@settings(max_examples=400, deadline=None)
@given(URL_TEXT)
def test_any_text_is_a_link_or_a_refusal_and_links_are_stable(raw: str) -> None:
    try:
        link = parse_link(raw)
    except InvalidLink:
        return
    again = parse_link(link.url)
    assert again == link  # idempotent: the shown link parses to itself
    assert parse_link(link.key) == parse_link("https:" + link.key)  # the key is a link too
    assert link.url.partition(":")[2] == link.key  # equal identities render to equal links
    assert not has_control_characters(link.url)  # nothing that breaks a card's line
    assert not any(char.isspace() for char in link.url)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["http", "https"]),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
)
def test_links_are_split_as_urlsplit_splits_them(scheme: str, rest: str) -> None:
    """parse_link splits the links it can quickly by itself; it must agree with urlsplit on
    anything that passes its checks (printable ASCII; the rest goes to urlsplit)."""
    try:
        expected = urlsplit(f"{scheme}://{rest}")
    except ValueError:
        return
    assert _split(scheme, rest) == expected


def test_control_characters_are_unicodes_cc_category_and_spaces_are_strs() -> None:
    """The checks are regular expressions now; they must refuse exactly what the per-character
    definitions do (Cc, and str.isspace), over the BMP."""
    for code_point in range(0x10000):
        char = chr(code_point)
        control = unicodedata.category(char) == "Cc"
        assert has_control_characters(f"a{char}b") == control, hex(code_point)
        refused = control or char.isspace()
        if 0xD800 <= code_point <= 0xDFFF:
            continue  # a lone surrogate is refused as invalid text, before this check
        refusal = _refusal(f"https://example.com/a{char}b")
        assert ("spaces or control" in refusal) == refused, hex(code_point)


def _refusal(url: str) -> str:
    try:
        parse_link(url)
    except InvalidLink as error:
        return str(error)
    return ""


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("https://support.mozilla.org/kb/x?as=u&id=1", "https://support.mozilla.org/kb/x?id=1"),
        ("https://m.bilibili.com/video/1?bbid=9&ts=1&p=2", "https://m.bilibili.com/video/1?p=2"),
        ("https://academic.oup.com/a/1?redirectedFrom=x", "https://academic.oup.com/a/1"),
        ("https://www.nikkei.com/article/1?i_cid=x&page=2", "https://nikkei.com/article/1?page=2"),
        ("https://kahoot.it/challenge/1?refer_method=link", "https://kahoot.it/challenge/1"),
        ("https://example.org/post?as=u&bbid=9&refer_method=x", None),  # their fields, elsewhere
    ],
)
def test_sites_whose_rules_name_no_host_word_are_still_found(raw: str, kept: str | None) -> None:
    """ClearURLs providers without a host word are tried through one joined search first."""
    assert parse_link(raw).url == (kept or raw)
