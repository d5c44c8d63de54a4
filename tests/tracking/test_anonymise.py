import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.tracking.anonymise import anonymise_ip, client_address

TRUSTED = (ipaddress.ip_network("10.0.0.0/8"),)


def test_ipv4_level_three_keeps_only_first_byte() -> None:
    assert anonymise_ip("198.51.100.23", 3) == "198.0.0.0"
    assert anonymise_ip("198.51.100.23", 2) == "198.51.0.0"
    assert anonymise_ip("198.51.100.23", 1) == "198.51.100.0"


@pytest.mark.parametrize(
    ("level", "expected"),
    [(1, "2001:db8:1234:5678::"), (2, "2001:db8:1234::"), (3, "2001:d00::")],
)
def test_ipv6_keeps_64_48_24_bits_as_matomo(level: int, expected: str) -> None:
    # Matomo's IPAnonymizer masks 64, 80 and 104 bits: ffff:ffff:ffff:ffff::, …, ffff:ff00::
    assert anonymise_ip("2001:db8:1234:5678:9abc:def0:1234:5678", level) == expected


def test_ipv4_mapped_ipv6_is_masked_as_ipv4() -> None:
    assert anonymise_ip("::ffff:192.0.2.199", 2) == "192.0.0.0"


def test_garbage_is_not_an_address() -> None:
    assert anonymise_ip("not-an-ip", 2) is None
    assert anonymise_ip("", 2) is None
    assert anonymise_ip(None, 2) is None


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    headers = {"X-Forwarded-For": "198.51.100.7"}
    assert client_address("203.0.113.5", headers, TRUSTED) == "203.0.113.5"
    assert client_address("203.0.113.5", headers, ()) == "203.0.113.5"


def test_forwarded_for_is_believed_from_a_trusted_proxy_rightmost_untrusted_wins() -> None:
    headers = {"X-Forwarded-For": "1.2.3.4, 198.51.100.7, 10.0.0.2"}
    assert client_address("10.0.0.1", headers, TRUSTED) == "198.51.100.7"


def test_rfc7239_forwarded_header_from_trusted_proxy() -> None:
    headers = {"Forwarded": 'for="[2001:db8::1]:4711";proto=https'}
    assert client_address("10.0.0.1", headers, TRUSTED) == "2001:db8::1"


@given(st.ip_addresses(v=4), st.sampled_from([1, 2, 3]))
def test_any_ipv4_masks_to_its_network_and_is_idempotent(ip, level: int) -> None:
    masked = anonymise_ip(str(ip), level)
    net = ipaddress.ip_network(f"{ip}/{32 - 8 * level}", strict=False)
    assert masked == str(net.network_address)
    assert anonymise_ip(masked, level) == masked


@given(st.ip_addresses(v=6), st.sampled_from([1, 2, 3]))
def test_any_ipv6_masks_to_its_network_and_is_idempotent(ip, level: int) -> None:
    masked = anonymise_ip(str(ip), level)
    if ip.ipv4_mapped is not None:
        net = ipaddress.ip_network(f"{ip.ipv4_mapped}/{32 - 8 * level}", strict=False)
    else:
        net = ipaddress.ip_network(f"{ip}/{ {1: 64, 2: 48, 3: 24}[level] }", strict=False)
    assert masked == str(net.network_address)
    assert anonymise_ip(masked, level) == masked
