"""Which addresses postbacks may reach: public ones, plus the networks a deployment allows.

Checked on the address actually connected to (after DNS), so a hostname cannot resolve to a
public address when saved and to the metadata service when sent.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

from lead_events.config import Network, settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedDestination(Exception):
    """The destination is not a public address (nor in POSTBACK_ALLOWED_NETWORKS): `ip`, and why (`reason`)."""

    def __init__(self, ip: str, reason: str) -> None:
        super().__init__(f"{ip} is a {reason} address; postbacks may only reach public addresses")
        self.ip = ip
        self.reason = reason


def _effective(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if address.teredo:
            return address.teredo[1]
    return address


def refusal_reason(ip: str, allowed: Sequence[Network]) -> str | None:
    """Why `ip` may not be a postback destination, or None when it may."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    effective = _effective(address)
    if any(address in net or effective in net for net in allowed):
        return None
    for label, flag in (
        ("loopback", effective.is_loopback),
        ("link-local", effective.is_link_local),
        ("multicast", effective.is_multicast),
        ("unspecified", effective.is_unspecified),
        ("reserved", effective.is_reserved),
        ("private", effective.is_private),
    ):
        if flag:
            return label
    if not effective.is_global:
        return "non-public"
    return None


def check_destination(ip: str, allowed: Sequence[Network]) -> None:
    reason = refusal_reason(ip, allowed)
    if reason:
        raise BlockedDestination(ip, reason)


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a postback URL, as far as can be told without resolving it."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        _ = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not hostname:
        return "has no host"
    if parts.username or parts.password:
        return "may not carry a user name or password; use a header"
    reason = refusal_reason(hostname, settings().allowed_networks)
    if reason and reason != "not an IP address":
        return f"points at a {reason} address; postbacks may only reach public addresses"
    return None
