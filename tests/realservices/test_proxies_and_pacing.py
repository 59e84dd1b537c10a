"""Behind a corporate proxy (a loopback forward proxy that records what passes through it),
and a server that sets the pace (429 with Retry-After / RetryInfo), sync and async."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from loopback import ForwardProxy, GoogleFrontend
from realservices_support import Side
from suite_support import FAST_RETRY, free_port

import lro
from lro._core.proxies import bypassed, parse_proxy, proxy_for

NAME = "projects/p1/locations/us-central1/operations/1"
POLL = lro.WaitPolicy(long_poll=False, initial_delay=0.05, max_delay=0.05, jitter=0.0)
USER, PASSWORD = "corp-user", "pr0xy-P@ss:w0rd"
PROXY_AUTH = f"{USER}:{PASSWORD}"
QUOTED = "corp-user:pr0xy-P%40ss%3Aw0rd"  # as it is written in a URL


def dead_proxy() -> str:
    return f"http://127.0.0.1:{free_port()}"


# --- the proxy rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("https://a.example.com/v1", {"HTTPS_PROXY": "p:1"}, "http://p:1"),
        (
            "https://a.example.com/v1",
            {"https_proxy": "http://low:2", "HTTPS_PROXY": "up:1"},
            "http://low:2",
        ),
        ("https://a.example.com/v1", {"HTTP_PROXY": "p:1"}, None),
        ("http://a.example.com/v1", {"HTTP_PROXY": "p:1"}, "http://p:1"),
        ("http://a.example.com/v1", {"HTTP_PROXY": "p:1", "REQUEST_METHOD": "GET"}, None),
        ("http://a.example.com/v1", {"http_proxy": "p:1", "REQUEST_METHOD": "GET"}, "http://p:1"),
        ("http://a.example.com/v1", {"ALL_PROXY": "https://p:3"}, "https://p:3"),
        ("https://a.example.com/v1", {"all_proxy": "p"}, "http://p:80"),
        ("https://a.example.com/v1", {"HTTPS_PROXY": "p:1", "NO_PROXY": "example.com"}, None),
        ("https://example.com/v1", {"HTTPS_PROXY": "p:1", "no_proxy": ".example.com"}, None),
        (
            "https://notexample.com/v1",
            {"HTTPS_PROXY": "p:1", "NO_PROXY": "example.com"},
            "http://p:1",
        ),
        ("https://10.1.2.3/v1", {"HTTPS_PROXY": "p:1", "NO_PROXY": "10.0.0.0/8"}, None),
        ("https://[::1]:8443/v1", {"HTTPS_PROXY": "p:1", "NO_PROXY": "::1"}, None),
        ("https://h:8443/v1", {"HTTPS_PROXY": "p:1", "NO_PROXY": "h:9000"}, "http://p:1"),
        ("https://h:8443/v1", {"HTTPS_PROXY": "p:1", "NO_PROXY": "x, h:8443"}, None),
        ("https://h/v1", {"HTTPS_PROXY": "p:1", "NO_PROXY": "*"}, None),
    ],
)
def test_the_environment_is_read_as_curl_and_httpx_read_it(
    url: str, env: dict[str, str], expected: str | None
) -> None:
    found = proxy_for(url, env)
    assert (found.url if found else None) == expected


def test_proxy_urls_and_their_credentials() -> None:
    proxy = parse_proxy(f"http://{QUOTED}@proxy.corp:3128")
    assert (proxy.url, proxy.username, proxy.password) == ("http://proxy.corp:3128", USER, PASSWORD)
    assert PASSWORD not in repr(proxy) and "<redacted>@proxy.corp" in repr(proxy)
    with pytest.raises(lro.InvalidArgument, match="socks5") as info:
        parse_proxy(f"socks5://{QUOTED}@proxy:1080")
    assert PASSWORD not in str(info.value)
    assert bypassed("api.example.com", 443, "example.com") and not bypassed("x.org", 1, "")


# --- through the proxy ----------------------------------------------------------------


def test_https_goes_through_connect_verified_end_to_end(
    side: Side,
    tls_frontend: Callable[..., GoogleFrontend],
    proxy: Callable[..., ForwardProxy],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = tls_frontend()
    server.add_operation(NAME)
    corp = proxy(credentials=PROXY_AUTH)
    monkeypatch.setenv("HTTPS_PROXY", f"http://{QUOTED}@127.0.0.1:{corp.port}")
    token = server.issue_token()
    client = side.client(server.url, token=token, ca_certs=str(server.cert), retry=FAST_RETRY)
    assert client.get(NAME).name == NAME
    assert corp.methods() == ["CONNECT"]
    (tunnel,) = corp.seen
    assert tunnel.target == f"127.0.0.1:{server.port}"
    assert tunnel.header("Proxy-Authorization") is not None
    assert tunnel.header("Authorization") is None  # the token stays inside TLS
    assert server.api_requests()[0].header("Proxy-Authorization") is None
    # End to end: the proxy cannot vouch for the service; an untrusted certificate fails.
    untrusting = side.client(server.url, token=token, retry=None)
    with pytest.raises(lro.TLSError):
        untrusting.get(NAME)
    for text in (repr(client), repr(client.target._transport), repr(untrusting)):
        assert PASSWORD not in text and QUOTED not in text


def test_http_goes_in_absolute_form_and_lower_case_variables_win(
    side: Side,
    frontend: Callable[..., GoogleFrontend],
    proxy: Callable[..., ForwardProxy],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = frontend()
    server.add_operation(NAME)
    corp = proxy()
    monkeypatch.setenv("http_proxy", corp.url)
    monkeypatch.setenv("HTTP_PROXY", dead_proxy())
    client = side.client(server.url, token=server.issue_token(), retry=FAST_RETRY)
    assert client.get(NAME).name == NAME
    assert [s.target for s in corp.seen] == [f"{server.url}/{NAME}"]


def test_all_proxy_no_proxy_proxy_and_trust_env(
    side: Side,
    frontend: Callable[..., GoogleFrontend],
    proxy: Callable[..., ForwardProxy],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = frontend()
    server.add_operation(NAME)
    token = server.issue_token()
    corp = proxy()
    monkeypatch.setenv("ALL_PROXY", corp.url)
    assert side.client(server.url, token=token).get(NAME).name == NAME
    assert len(corp.seen) == 1
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert side.client(server.url, token=token).get(NAME).name == NAME
    assert len(corp.seen) == 1  # bypassed
    monkeypatch.setenv("ALL_PROXY", dead_proxy())
    monkeypatch.delenv("NO_PROXY")
    direct = side.client(server.url, token=token, trust_env=False)
    assert direct.get(NAME).name == NAME
    explicit = side.client(server.url, token=token, proxy=corp.url)  # wins over the env
    assert explicit.get(NAME).name == NAME
    assert len(corp.seen) == 2
    with pytest.raises(lro.ConnectError, match=r"proxy|connect"):
        side.client(server.url, token=token, retry=None).get(NAME)


def test_wrong_proxy_credentials_fail_once_and_never_show(
    side: Side,
    tls_frontend: Callable[..., GoogleFrontend],
    frontend: Callable[..., GoogleFrontend],
    proxy: Callable[..., ForwardProxy],
) -> None:
    corp = proxy(credentials=PROXY_AUTH)
    wrong = f"http://{USER}:wr0ng-{QUOTED[-8:]}@127.0.0.1:{corp.port}"
    for server in (tls_frontend(), frontend()):
        server.add_operation(NAME)
        client = side.client(
            server.url, token=server.issue_token(), proxy=wrong, ca_certs=str(server.cert or "")
            or None, retry=FAST_RETRY,
        )  # fmt: skip
        corp.clear()
        with pytest.raises(lro.FailedPrecondition) as info:
            client.get(NAME)
        assert info.value.http_status == 407
        assert len(corp.seen) == 1  # a refused proxy login is not retried
        texts = [str(info.value), repr(info.value), repr(client)]
        texts += [str(link) for link in (info.value.__cause__, info.value.__context__) if link]
        for text in texts:
            assert "wr0ng" not in text and PASSWORD not in text


# --- the server's pace ----------------------------------------------------------------


@pytest.mark.parametrize("how", ["retry_after", "retry_info"])
def test_a_server_delay_beyond_the_maximum_is_honoured_when_it_fits(
    side: Side, frontend: Callable[..., GoogleFrontend], how: str
) -> None:
    server = frontend()
    server.add_operation(NAME)
    client = side.client(server.url, token=server.issue_token(), retry=FAST_RETRY)  # maximum 0.02 s
    server.rate_limit(1, **{how: 0.6})
    started = time.monotonic()
    assert client.get(NAME).name == NAME
    assert time.monotonic() - started >= 0.6  # the server's word, not Retry.maximum's
    assert len(server.api_requests()) == 2


def test_a_server_delay_that_does_not_fit_fails_at_once(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    server = frontend()
    server.add_operation(NAME)
    client = side.client(
        server.url, token=server.issue_token(), retry=FAST_RETRY.replace(deadline=2)
    )
    server.rate_limit(1, retry_after=20)
    started = time.monotonic()
    with pytest.raises(lro.ResourceExhausted) as info:
        client.get(NAME)
    assert time.monotonic() - started < 1.0  # no early retry, no sleep
    assert info.value.retry_delay == 20
    assert len(server.api_requests()) == 1


def test_inside_a_wait_the_server_s_pace_wins_while_it_fits_the_wait(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    # Real time: the pace is a loopback Google front end's Retry-After, not the reference server's.
    server = frontend()
    server.add_operation(NAME, polls_to_finish=3)
    for retry in (None, FAST_RETRY):  # the wait's own plan, then the call's retries inside it
        server.state.polls_to_finish[NAME] = 3
        server.state.operations[NAME].pop("done", None)
        client = side.client(server.url, token=server.issue_token(), retry=retry)
        server.rate_limit(1, retry_after=0.5)
        started = time.monotonic()
        assert client.wait(NAME, timeout=10, policy=POLL).done
        assert time.monotonic() - started >= 0.5


def test_inside_a_wait_a_server_delay_past_the_deadline_fails_at_once(
    side: Side, frontend: Callable[..., GoogleFrontend]
) -> None:
    server = frontend()
    server.add_operation(NAME)
    for retry in (None, lro.Retry()):  # the plan's rule, and the call's inside the wait
        client = side.client(server.url, token=server.issue_token(), retry=retry)
        server.rate_limit(1, retry_after=20)  # inside Retry()'s 30 s, not the wait's 3 s
        started = time.monotonic()
        with pytest.raises(lro.ResourceExhausted) as info:
            client.wait(NAME, timeout=3, policy=POLL)
        assert time.monotonic() - started < 1.5
        assert info.value.retry_delay == 20
