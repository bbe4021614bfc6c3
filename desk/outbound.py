"""The one outbound HTTP client: feeds, platform APIs and media all go through `fetch()`.

Every address the server reaches is checked (SSRF guard): the host is resolved
and each resolved address must be public. Loopback, private, link-local,
shared, multicast, reserved and cloud-metadata addresses are refused, in
whatever spelling the URL used (decimal `2130706433`, octal `0177.0.0.1`, hex
`0x7f.1`, IPv4-mapped `::ffff:127.0.0.1`, 6to4, NAT64, ...): the URL's host is
read the way the resolver reads it, and the check runs on the numbers that
come back. The request then connects to the very address that was checked
(the `Host` header and TLS name stay the original host), so a second DNS
answer cannot swap in another address (DNS rebinding). Redirects are followed
by hand, each target checked the same way. Body size and total time are capped.

A channel with `allow_private` may reach loopback and private addresses (a
feed on the intranet, the local test servers); cloud metadata stays refused.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from desk.errors import Invalid

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 15.0  # seconds for the whole exchange, redirects included
MAX_REDIRECTS = 5
USER_AGENT = "desk/0.1 (+https://github.com/desk; customer care listener)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Refused even for channels that may reach private networks: the cloud's metadata service
# hands out credentials.
METADATA = (
    ipaddress.ip_network("169.254.169.254/32"),
    ipaddress.ip_network("169.254.170.2/32"),
    ipaddress.ip_network("100.100.100.200/32"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)
METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog"})
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(Invalid):
    """The address may not be reached from this server."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {"url": [detail]})


class OutboundError(Exception):
    """The remote end could not be reached or answered unusably (network, size, time).

    `sent` tells whether the request may have reached the remote end (a timeout
    while waiting for the answer): then it must not be blindly sent again.
    """

    def __init__(self, detail: str, *, sent: bool = False) -> None:
        super().__init__(detail)
        self.sent = sent


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str
    history: list[str] = field(default_factory=list)

    def json(self) -> Any:
        import json

        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64, compatible)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip))
    return None


def address_refusal(ip: IPAddress, allow_private: bool) -> str | None:
    """Why this address may not be reached, or None when it may."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        reason = address_refusal(inner, allow_private)
        return f"{reason} (inside {ip})" if reason else None
    if any(ip in network for network in METADATA):
        return f"{ip} is a cloud metadata address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is not a unicast address"
    if allow_private:
        return None
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_private or not ip.is_global:
        return f"{ip} is a private or internal address"
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the resolver gives for host (it reads all numeric spellings too)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundError(f"cannot resolve {host}: {exc}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int


def parse_target(url: str) -> Target:
    """Split and sanity-check a URL we are asked to reach."""
    if not isinstance(url, str) or not url.strip():
        raise OutboundRefused("the URL is empty")
    if any(ord(ch) < 33 for ch in url.strip()):
        raise OutboundRefused("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"the URL is not valid: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("only http and https URLs can be fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundRefused("the URL has no host")
    if host.lower() in METADATA_NAMES:
        raise OutboundRefused(f"{host} is a cloud metadata host")
    return Target(url.strip(), parts.scheme, host, port or (443 if parts.scheme == "https" else 80))


def check_url(url: str, allow_private: bool = False) -> list[IPAddress]:
    """Refuse a URL whose host is, or resolves to, a forbidden address; return its addresses.

    Used at save time (a name that does not resolve yet is let through; the
    fetch checks again) and before every request and redirect.
    """
    target = parse_target(url)
    return _allowed_addresses(target, allow_private)


def check_url_at_save(url: str, allow_private: bool = False) -> None:
    """The save-time check: forbidden addresses refused, unresolvable names accepted."""
    try:
        check_url(url, allow_private)
    except OutboundError:
        return


def _allowed_addresses(target: Target, allow_private: bool) -> list[IPAddress]:
    addresses = resolve(target.host, target.port)
    for address in addresses:
        # One forbidden answer refuses the host: a name that mixes public and private
        # answers is exactly what a rebinding attack looks like.
        reason = address_refusal(address, allow_private)
        if reason:
            raise OutboundRefused(f"{target.host} may not be reached: {reason}")
    if not addresses:
        raise OutboundError(f"{target.host} has no address")
    return addresses


def fetch(
    method: str,
    url: str,
    *,
    allow_private: bool = False,
    headers: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
    json: Any = None,
    content: bytes | None = None,
    max_bytes: int = MAX_BYTES,
    timeout: float | None = None,
    follow_redirects: bool = True,
) -> Response:
    """One guarded HTTP exchange; raises OutboundRefused, or OutboundError for the network."""
    for name, value in (headers or {}).items():
        refuse_header_injection(name, value)
    deadline = time.monotonic() + (timeout or TIMEOUT)
    history: list[str] = []
    current, current_method = url, method.upper()
    body_args: dict[str, Any] = {"data": data, "json": json, "content": content}
    for _hop in range(MAX_REDIRECTS + 1):
        target = parse_target(current)
        address = _allowed_addresses(target, allow_private)[0]
        response = _exchange(current_method, target, address, headers or {}, body_args,
                             max_bytes, deadline)
        location = response.headers.get("location")
        if not follow_redirects or response.status not in (301, 302, 303, 307, 308) \
                or not location:
            response.history = history
            return response
        history.append(current)
        current = urljoin(current, location)
        if response.status in (301, 302, 303) and current_method != "HEAD":
            current_method, body_args = "GET", {}
    raise OutboundError(f"more than {MAX_REDIRECTS} redirects")


def refuse_header_injection(name: str, value: str) -> None:
    """A header we send must not smuggle another header (CRLF) or a NUL."""
    if any(ch in str(name) + str(value) for ch in "\r\n\0"):
        raise Invalid(f"header {name!r} contains a line break or NUL",
                      {"headers": ["line breaks are not allowed in header values"]})


def _exchange(method: str, target: Target, address: IPAddress, headers: dict[str, str],
              body_args: dict[str, Any], max_bytes: int, deadline: float) -> Response:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundError("the time limit ran out", sent=method not in ("GET", "HEAD"))
    pinned = _pinned_url(target, address)
    request_headers = {"User-Agent": USER_AGENT, **headers, "Host": _host_header(target)}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(remaining, connect=min(remaining, 10.0))
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(method, pinned, headers=request_headers,
                                       extensions=extensions,
                                       **{k: v for k, v in body_args.items() if v is not None})
        try:
            response = client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise OutboundError(f"cannot connect to {target.host}: {exc}") from exc
        except httpx.TimeoutException as exc:
            # The request went out; whether the remote end acted on it is unknown.
            raise OutboundError(f"{target.host} did not answer in time", sent=True) from exc
        except httpx.HTTPError as exc:
            raise OutboundError(f"request to {target.host} failed: {exc}", sent=True) from exc
        try:
            body = _read_capped(response, max_bytes, deadline, target.host)
        finally:
            response.close()
    return Response(response.status_code, response.headers, body, target.url)


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float, host: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise OutboundError(f"{host} sent {declared} bytes, more than the {max_bytes} allowed",
                            sent=True)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise OutboundError(f"{host} sent more than the {max_bytes} bytes allowed",
                                    sent=True)
            if time.monotonic() > deadline:
                raise OutboundError(f"{host} was too slow sending its answer", sent=True)
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise OutboundError(f"{host} was too slow sending its answer", sent=True) from exc
    except httpx.HTTPError as exc:
        raise OutboundError(f"reading from {host} failed: {exc}", sent=True) from exc
    return b"".join(chunks)


def _pinned_url(target: Target, address: IPAddress) -> str:
    parts = urlsplit(target.url)
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{host}:{target.port}"
    return parts._replace(netloc=netloc).geturl()


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"
