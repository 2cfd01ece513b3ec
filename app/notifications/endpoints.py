"""Which Web Push endpoints the deliverer may reach: known push services only, on public addresses.

A subscription's endpoint is a URL the server will POST to, so it is checked like any outbound
request a client can aim: its host is normalised (127.1, 2130706433, 0x7f000001, `localhost.` and
IPv6 forms are the addresses they stand for), must match PUSH_ALLOWED_HOSTS, and must resolve to
public addresses only — at registration, and again at every connection (against DNS rebinding).

PUSH_ALLOWED_HOSTS is a comma-separated list of entries:
- `fcm.googleapis.com`: that host, over https;
- `*.push.apple.com`: any host under that domain, over https;
- `http://127.0.0.1:8123` (an origin: scheme, host, port): exactly that push service, trusted
  wherever it lives — for a push service on your own network, or the tests' loopback one.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedAddress(Exception):
    """The host resolves to an address the deliverer must never connect to."""


@dataclass(frozen=True)
class AllowList:
    names: frozenset[str] = frozenset()  # exact host names, https
    suffixes: tuple[str, ...] = ()  # ".push.apple.com": hosts under it, https
    origins: frozenset[tuple[str, str, int]] = frozenset()  # (scheme, host, port), trusted

    def trusts(self, scheme: str, host: str, port: int) -> bool:
        """True for an origin the operator named explicitly: no address check applies to it."""
        return (scheme, normalise_host(host), port) in self.origins

    def admits(self, scheme: str, host: str, port: int) -> bool:
        """True if the allow-list lets the deliverer POST to this origin (host already normalised)."""
        if self.trusts(scheme, host, port):
            return True
        if scheme != "https" or _literal_address(host) is not None:
            return False
        return host in self.names or host.endswith(self.suffixes)


def parse_allow_list(text: str) -> AllowList:
    """The allow-list from PUSH_ALLOWED_HOSTS; ValueError for an entry that is none of the forms."""
    names, suffixes, origins = set(), [], set()
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        if "://" in entry:
            parts = urlsplit(entry)
            if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
                raise ValueError(f"PUSH_ALLOWED_HOSTS: not an origin: {entry!r}")
            origins.add((parts.scheme, normalise_host(parts.hostname),
                         parts.port or _DEFAULT_PORTS[parts.scheme]))
        elif entry.startswith("*."):
            suffixes.append("." + normalise_host(entry[2:]))
        else:
            names.add(normalise_host(entry))
    return AllowList(frozenset(names), tuple(suffixes), frozenset(origins))


def normalise_host(host: str) -> str:
    """The host as the resolver will take it: lower case, without the root dot, and an address in
    any notation (127.1, 2130706433, 0x7f000001, ::ffff:127.0.0.1) written the canonical way."""
    host = host.strip().lower().rstrip(".")
    address = _literal_address(host)
    return str(address) if address is not None else host


def endpoint_problem(endpoint: str, *, allowed: AllowList, resolve: bool) -> str | None:
    """Why the deliverer must not POST to this endpoint, or None. `resolve`: also look the host up
    now and refuse it if any of its addresses is not public (registration does; each connection
    does it again, see GuardedConnection)."""
    try:
        parts = urlsplit(endpoint)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "推送地址不是有效的网址。"
    if not host or parts.username or parts.password or parts.scheme not in _DEFAULT_PORTS:
        return "请使用浏览器给出的推送服务地址。"
    host, port = normalise_host(host), port or _DEFAULT_PORTS[parts.scheme]
    if not allowed.admits(parts.scheme, host, port):
        return "推送地址必须属于已知的推送服务（PUSH_ALLOWED_HOSTS）。"
    if resolve and not allowed.trusts(parts.scheme, host, port):
        try:
            public_addresses(host, port)
        except RefusedAddress:
            return "推送服务的地址不是公网地址。"
    return None


def public_addresses(host: str, port: int) -> list[str]:
    """Every address the host resolves to, if all are public; RefusedAddress if any is not.
    A name that does not resolve now has no address to refuse (the deliverer looks again)."""
    try:
        found = resolve_host(host, port)
    except OSError:
        return []
    bad = [address for address in found if not is_public(address)]
    if bad:
        raise RefusedAddress(f"{host} resolves to {', '.join(bad)}")
    return found


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses a connection to host:port would try (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: str) -> bool:
    """True for a globally routable unicast address: never loopback, private, link-local,
    multicast, reserved or unspecified (an IPv4-mapped IPv6 address counts as its IPv4 one)."""
    parsed = _literal_address(address.split("%", 1)[0])
    if parsed is None:
        return False
    return parsed.is_global and not (parsed.is_multicast or parsed.is_reserved or parsed.is_loopback
                                     or parsed.is_link_local or parsed.is_private or parsed.is_unspecified)


def _literal_address(host: str) -> Address | None:
    """The address a host names literally, in any notation the C resolver accepts, else None."""
    text = host.strip("[]")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        try:  # inet_aton's forms: 127.1, 2130706433, 0x7f000001, 0177.0.0.1
            address = ipaddress.IPv4Address(socket.inet_aton(text))
        except (OSError, ValueError):
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
