"""Push endpoint rules without the network: host normalisation, the allow-list, public addresses."""
from __future__ import annotations

import pytest

from app.notifications.endpoints import is_public, normalise_host, parse_allow_list

DEFAULT = parse_allow_list("fcm.googleapis.com,updates.push.services.mozilla.com,*.push.apple.com,"
                           "*.notify.windows.com,http://127.0.0.1:8123")


@pytest.mark.parametrize("host, canonical", [
    ("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("LOCALHOST.", "localhost"), ("[::ffff:127.0.0.1]", "127.0.0.1"), ("::1", "::1"),
    ("FCM.GoogleAPIs.com.", "fcm.googleapis.com"), ("10.1", "10.0.0.1"),
])
def test_hosts_are_written_the_way_the_resolver_reads_them(host, canonical):
    assert normalise_host(host) == canonical


@pytest.mark.parametrize("scheme, host, port, admitted", [
    ("https", "fcm.googleapis.com", 443, True),
    ("https", "web.push.apple.com", 443, True),
    ("https", "push.apple.com", 443, False),  # `*.` names the hosts under the domain
    ("https", "push.apple.com.evil.example", 443, False),
    ("https", "evilpush.apple.com", 443, False),
    ("http", "fcm.googleapis.com", 80, False),  # host entries are https only
    ("http", "127.0.0.1", 8123, True),  # an origin entry: exactly that one
    ("http", "127.0.0.1", 8124, False),
    ("https", "127.0.0.1", 8123, False),
])
def test_the_allow_list(scheme, host, port, admitted):
    assert DEFAULT.admits(scheme, normalise_host(host), port) is admitted


@pytest.mark.parametrize("address, public", [
    ("142.250.72.10", True), ("2a00:1450:4001::200e", True), ("127.0.0.1", False), ("10.0.0.5", False),
    ("172.16.0.1", False), ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("0.0.0.0", False), ("224.0.0.1", False), ("240.0.0.1", False), ("::1", False), ("fe80::1", False),
    ("fc00::1", False), ("::ffff:10.0.0.1", False), ("ff02::1", False),
])
def test_only_public_unicast_addresses_are_public(address, public):
    assert is_public(address) is public
