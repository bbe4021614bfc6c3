"""The SSRF guard: one outbound client that refuses internal addresses in every spelling.

The servers here are local stand-ins (tests/platforms.py); reaching them needs
`allow_private`, which these tests grant explicitly.
"""

import pytest

from desk import outbound
from desk.errors import Invalid
from tests.platforms import Reply

FORBIDDEN = [
    "http://127.0.0.1/", "http://localhost/", "http://2130706433/", "http://0177.0.0.1/",
    "http://0x7f.0.0.1/", "http://0x7f000001/", "http://127.1/", "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[2002:7f00:1::]/",
    "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.0.1./", "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://[fe80::1]/", "http://0.0.0.0/", "http://[::]/",
    "http://224.0.0.1/", "http://metadata.google.internal/", "https://[fc00::1]:8443/x",
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_internal_addresses_are_refused_at_save_and_at_fetch(url):
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url_at_save(url)
    with pytest.raises(outbound.OutboundRefused):
        outbound.fetch("GET", url)


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "file:///etc/passwd",
                                 "gopher://x/", "http://", "http://exa mple.org/", ""])
def test_other_schemes_and_broken_urls_are_refused(url):
    with pytest.raises(Invalid):
        outbound.check_url_at_save(url)


def test_metadata_stays_refused_even_when_private_addresses_are_allowed():
    for url in ("http://169.254.169.254/", "http://[::ffff:169.254.169.254]/",
                "http://[fd00:ec2::254]/"):
        with pytest.raises(outbound.OutboundRefused):
            outbound.fetch("GET", url, allow_private=True)


def test_a_public_address_passes_the_check():
    assert outbound.check_url("http://93.184.215.14/") == [
        outbound.ipaddress.ip_address("93.184.215.14")]


def test_loopback_needs_allow_private_and_keeps_the_host_header(platform):
    platform.route("GET", "/feed", Reply(200, "hello"))
    url = platform.url.replace("127.0.0.1", "localhost") + "/feed"
    with pytest.raises(outbound.OutboundRefused):
        outbound.fetch("GET", url)
    assert platform.seen == []
    response = outbound.fetch("GET", url, allow_private=True)
    assert response.body == b"hello"
    # Connected to the checked address; the server still saw the name asked for.
    assert platform.seen[0].headers["host"] == url.split("/")[2]


def test_every_redirect_is_checked_again(platform):
    platform.route("GET", "/hop", Reply(302, headers={"Location": "/feed"}))
    platform.route("GET", "/feed", Reply(200, "arrived"))
    platform.route("GET", "/evil", Reply(301, headers={
        "Location": "http://169.254.169.254/latest/meta-data/"}))
    assert outbound.fetch("GET", platform.url + "/hop", allow_private=True).body == b"arrived"
    with pytest.raises(outbound.OutboundRefused):
        outbound.fetch("GET", platform.url + "/evil", allow_private=True)


def test_endless_redirects_stop(platform):
    platform.route("GET", "/loop", Reply(302, headers={"Location": "/loop"}))
    with pytest.raises(outbound.OutboundError, match="redirects"):
        outbound.fetch("GET", platform.url + "/loop", allow_private=True)


def test_size_is_capped(platform):
    platform.route("GET", "/big", Reply(200, b"x" * 300_000))
    with pytest.raises(outbound.OutboundError, match="bytes"):
        outbound.fetch("GET", platform.url + "/big", allow_private=True, max_bytes=100_000)


def test_time_is_capped_and_a_late_answer_counts_as_possibly_sent(platform):
    platform.route("POST", "/slow", Reply(200, "late", delay=1.5))
    with pytest.raises(outbound.OutboundError) as caught:
        outbound.fetch("POST", platform.url + "/slow", allow_private=True, timeout=0.5)
    assert caught.value.sent is True


def test_a_closed_port_is_an_error_before_sending(platform):
    url = platform.url
    platform.stop()
    with pytest.raises(outbound.OutboundError) as caught:
        outbound.fetch("POST", url + "/x", allow_private=True)
    assert caught.value.sent is False
    platform.start = lambda: None  # the fixture's stop() must not fail on a stopped server
    platform.httpd.shutdown = lambda: None


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "nul\0"])
def test_line_breaks_in_header_values_are_refused(platform, value):
    with pytest.raises(Invalid):
        outbound.fetch("GET", platform.url + "/", allow_private=True,
                       headers={"X-Test": value})
    assert platform.seen == []
