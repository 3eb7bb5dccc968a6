"""The address guard: only public addresses, in every notation, unless a network is allowed."""

import ipaddress

import pytest

from lead_events.http.guard import refusal_reason


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fd00::1",
        "fe80::1",
        "ff02::1",
        "::ffff:169.254.169.254",
        "::ffff:a9fe:a9fe",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:a9fe:a9fe::1",  # 6to4 wrapping 169.254.169.254
        "fe80::1%eth0",
    ],
)
def test_internal_addresses_are_refused(ip: str) -> None:
    assert refusal_reason(ip, ()) is not None


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(ip: str) -> None:
    assert refusal_reason(ip, ()) is None


def test_allowed_networks_open_exactly_those_ranges() -> None:
    allowed = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("10.1.0.0/16"))
    assert refusal_reason("127.0.0.1", allowed) is None
    assert refusal_reason("::ffff:127.0.0.1", allowed) is None
    assert refusal_reason("10.1.2.3", allowed) is None
    assert refusal_reason("10.2.0.1", allowed) is not None
    assert refusal_reason("169.254.169.254", allowed) is not None
