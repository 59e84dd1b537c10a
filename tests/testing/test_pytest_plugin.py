"""The pytest plugin (lro.testing): its fixtures, run by pytest itself through pytester.

Each test writes a small test file of a user's project and runs pytest on it, in this
process (``runpytest``) or, where the entry point itself is the point, in a fresh pytest
process (``runpytest_subprocess``): the plugin comes from the installed entry point, as
it does for users, not from this suite (which runs with ``-p no:lro``).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

USES_EVERY_FIXTURE = """
import asyncio

import lro
import pytest


def test_server_has_url_faults_simulate_and_requests(lro_server):
    assert lro_server.url.startswith("http://127.0.0.1:")
    (op,) = lro_server.simulate(count=1, duration=0.05)
    assert op["name"].startswith("operations/")
    assert lro_server.requests == 0       # simulate() goes around HTTP
    lro_server.faults.add("unavailable", count=1, method="GET")
    with lro.Client(lro_server.url, trust_env=False) as client:
        assert client.get(op["name"]).name == op["name"]   # retried once
    assert lro_server.requests == 2


def test_client_waits(lro_server, lro_client):
    (op,) = lro_server.simulate(count=1, duration=0.1)
    done = lro_client.wait(op["name"], timeout=10)
    assert done.done and done.error is None


def test_async_client_waits(lro_server, lro_async_client):
    (op,) = lro_server.simulate(count=1, duration=0.1)

    async def main():
        return await lro_async_client.wait(op["name"], timeout=10)

    assert asyncio.run(main()).done


def test_factory_starts_more_servers(lro_server, lro_server_factory):
    other = lro_server_factory(tokens={"t": "bob"})
    assert other.url != lro_server.url
    with lro.Client(other.url, token="t", trust_env=False) as bob:
        assert bob.audit.get(bob.create().name).creator == "bob"
"""


def test_every_fixture_works_against_a_real_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_EVERY_FIXTURE)
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=4)


def test_each_test_gets_a_fresh_server_stopped_afterwards(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import lro
        import pytest

        SEEN = []

        @pytest.mark.parametrize("run", [1, 2])
        def test_store_starts_empty(lro_server, lro_client, run):
            assert list(lro_client.list_operations()) == []
            lro_client.create()
            SEEN.append(lro_server.url)

        def test_earlier_servers_are_stopped():
            assert len(set(SEEN)) == 2
            for url in SEEN:
                with lro.Client(url, retry=None, trust_env=False) as client:
                    with pytest.raises(lro.TransportError):
                        client.get("operations/x")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=3)


def test_markers_configure_server_and_clients(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio

        import lro
        import pytest

        pytestmark = pytest.mark.lro_server(tokens={"s3cret": "alice"}, max_wait=2.0)

        @pytest.mark.lro_client(token="s3cret", retry=None)
        def test_token_reaches_the_server(lro_client):
            op = lro_client.create()
            assert lro_client.audit.get(op.name).creator == "alice"

        def test_without_a_token_the_server_refuses(lro_client):
            with pytest.raises(lro.Unauthenticated):
                lro_client.create()

        @pytest.mark.lro_client(token="s3cret")
        def test_async_client_takes_the_same_marker(lro_async_client):
            async def main():
                return await lro_async_client.create()
            assert asyncio.run(main()).name.startswith("operations/")

        @pytest.mark.lro_server("positional")
        def test_positional_marker_arguments_are_refused(lro_server):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.lro_server takes keyword arguments only*"])


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.lro_server(**options):*", "@pytest.mark.lro_client(**options):*"]
    )


def test_without_the_server_only_tests_using_it_fail_naming_the_extra(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import sys
        sys.modules["lro_server"] = None   # as if the server's dependencies were missing
        """
    )
    pytester.makepyfile(
        """
        def test_uses_the_server(lro_client):
            pass

        def test_does_not(lro_server_factory):
            pass

        def test_plain():
            assert True
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*lro.testing: the reference server cannot be imported*Install it with: pip install*"]
    )
    assert "pip install 'lro-sdk[server]'" in result.stdout.str()
    assert "During handling" not in result.stdout.str()  # one line, no chained traceback


@pytest.mark.slow  # a fresh pytest process
def test_the_entry_point_registers_the_plugin_in_a_fresh_pytest(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        def test_server(lro_server, lro_client):
            assert lro_client.create().name.startswith("operations/")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    disabled = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:lro")
    disabled.assert_outcomes(errors=1)
    disabled.stdout.fnmatch_lines(["*fixture 'lro_server' not found*"])


@pytest.mark.slow  # a fresh pytest process
def test_loading_the_plugin_does_not_import_the_server() -> None:
    code = "import sys, lro.testing._plugin; print([m for m in sys.modules if 'lro_server' in m])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
