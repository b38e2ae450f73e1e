"""Host names and addresses in links: decoded as a browser decodes them, refused unless public.

A link may be suggested only if its host is a public domain name or a globally routable address.
The host is decoded first (percent-encoding, IDNA, a trailing dot, the shorthand IPv4 forms
browsers accept) so that no spelling of a private address slips through.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import unquote

from bot.errors import InvalidLink

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that never reach the public internet (RFC 6761, 6762, 8375, 7686 and common practice).
SPECIAL_USE_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "home.arpa",
    "localdomain",
    "test",
    "invalid",
    "onion",
)
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")  # dot-separated labels, none empty
_SHORTHAND_IPV4 = re.compile(r"^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+)){0,3}$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")

NOT_PUBLIC = "Links to private or local network addresses can't be suggested."


def public_host(raw_host: str) -> str:
    """The host as it should be compared (lower-case ASCII, IPv6 in brackets), if it is public.

    Raises `InvalidLink` with the reason otherwise.
    """
    if raw_host.startswith("["):
        return f"[{_public_address(_ipv6(raw_host))}]"
    host = unquote(raw_host, errors="strict").strip().rstrip(".").lower()
    if not host:
        raise InvalidLink("That link has no host name.")
    if not host.isascii():
        host = _idna(host)
    if _SHORTHAND_IPV4.match(host):
        return str(_public_address(_ipv4(host)))
    if ":" in host:  # an IPv6 address needs its brackets
        raise InvalidLink("That link's host isn't a valid name or address.")
    if not _NAME.fullmatch(host):
        raise InvalidLink("That link's host isn't a valid name or address.")
    if host.endswith(SPECIAL_USE_SUFFIXES) and any(
        host == suffix or host.endswith("." + suffix) for suffix in SPECIAL_USE_SUFFIXES
    ):
        raise InvalidLink(f"Links to {host} can't be suggested: it isn't on the public internet.")
    if "." not in host:
        raise InvalidLink("That link's host isn't a public domain name.")
    return host


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidLink("That link's host isn't a valid name.") from None


def _ipv6(bracketed: str) -> ipaddress.IPv6Address:
    inside = bracketed[1:].partition("]")[0]
    try:
        return ipaddress.IPv6Address(unquote(inside).partition("%")[0])
    except ValueError:
        raise InvalidLink("That link's host isn't a valid address.") from None


def _ipv4(host: str) -> ipaddress.IPv4Address:
    """127.1, 0x7f.0.0.1, 2130706433 and 127.0.0.1 are one address to a browser."""
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        raise InvalidLink("That link's host isn't a valid address.") from None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: mapped, 6to4, NAT64 or Teredo."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or address in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Globally routable, and so is any IPv4 address it embeds."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    return address.is_global and not address.is_multicast


def _public_address(address: IPAddress) -> IPAddress:
    if not is_public(address):
        raise InvalidLink(NOT_PUBLIC)
    return address
