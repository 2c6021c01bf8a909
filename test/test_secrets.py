"""A secret stays secret, even when the charger repeats it: on every road, in every output.

A charger, or a proxy in front of it, may answer an error with the request it got: the
``Authorization`` header (the API token), the log-in body (the web password), the session cookie.
The simulator's ``echo`` fault does exactly that, in the JSON ``statusmsg``, a plain-text or HTML
body, the reason phrase and a header. Whatever road made the request (``Peblar``, ``AsyncPeblar``,
the generated classes on a plain ``ApiClient``, sync and asyncio, ``PeblarWeb``,
``AsyncPeblarWeb``), the secret must not reach the exception (``str``, ``repr``, the traceback,
every attribute, the generated ``ApiException`` fields), the DEBUG log or the command line's output.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from pyPeblar import PeblarError
from pyPeblar._transport.secrets import MASK
from pyPeblar.cli import main
from pyPeblar.simulator import Simulator
from test.clients import WEB_CLIENTS, run, web_client_class
from test.conftest import FAST, ROADS, open_road
from test.test_cli import run as run_pypeblar

TOKEN = "0123456789abcdef" * 4
#: Spaces and a quote: an echoed JSON body holds it escaped, an echoed form body percent-encoded.
PASSWORD = 'Zq9 Pebl4r "s3cret" Xk7'
SECRETS = (TOKEN, PASSWORD)

#: Every road to a charger: the local REST API's four and the web interface's two clients.
EVERY_ROAD = [*ROADS, *WEB_CLIENTS]
#: How the echo comes back: (status, content type).
ECHOES = {
    "400 JSON": (400, None),
    "401 text": (401, "text/plain"),
    "500 HTML": (500, "text/html"),  # retried: the retry's DEBUG line quotes the error
}


def texts_of(value: Any, seen: set[int] | None = None) -> Iterator[str]:
    """Every text an exception shows or carries: str, repr, the traceback, each attribute."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, BaseException):
        yield str(value)
        yield repr(value)
        yield "".join(traceback.format_exception(value))
        for item in (*value.args, *vars(value).values(), value.__cause__, value.__context__):
            yield from texts_of(item, seen)
    elif isinstance(value, (str, bytes)):
        yield value if isinstance(value, str) else value.decode("utf-8", "replace")
    elif isinstance(value, dict) or hasattr(value, "items"):
        for key, item in value.items():
            yield str(key)
            yield from texts_of(item, seen)
    elif value is not None:
        yield repr(value)


def assert_no_secret(texts: list[str]) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a secret in: {text[:300]}"


@contextmanager
def a_road(name: str, sim: Simulator) -> Iterator[Any]:
    """A client of ``sim`` on road ``name``, with one retry (so a 5xx logs its retry)."""
    if name in WEB_CLIENTS:
        with web_client_class(name)(sim.host, PASSWORD, **{**FAST, "retries": 1}) as web:
            yield web
    else:
        with open_road(name, sim, **{**FAST, "retries": 1}) as road:
            yield road


def read(client: Any) -> object:
    """A read on the client's API: a web client logs in first (its body holds the password)."""
    if hasattr(client, "user_configuration"):
        return client.user_configuration()
    return client.meter()


@pytest.mark.parametrize("echo", ECHOES)
@pytest.mark.parametrize("road", EVERY_ROAD)
def test_an_echoed_secret_is_redacted_everywhere(
    road: str, echo: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: pyPeblar's, urllib3's, aiohttp's
    status, content_type = ECHOES[echo]
    with Simulator(token=TOKEN, password=PASSWORD) as sim:
        sim.inject("echo", times=None, status=status, content_type=content_type)
        with a_road(road, sim) as client, pytest.raises(PeblarError) as info:
            read(client)
    texts = [*texts_of(info.value), caplog.text]
    # The echo reached the client and was redacted (else this test would prove nothing).
    assert MASK in getattr(info.value, "statusmsg", "")
    if status == 500 and road not in WEB_CLIENTS:  # a web client's first request: a POST
        assert "retrying" in caplog.text and MASK in caplog.text
    assert_no_secret(texts)


@pytest.mark.parametrize("web", WEB_CLIENTS)
def test_an_echoed_session_cookie_is_redacted(web: str, caplog: pytest.LogCaptureFixture) -> None:
    """In the session: the cookie (and the password known since the log-in) on a retried GET."""
    caplog.set_level(logging.DEBUG)
    with Simulator(password=PASSWORD) as sim, a_road(web, sim) as client:
        client.login()
        cookie = client.api_client.cookie.partition("=")[2]
        assert len(cookie) >= 8
        sim.inject("echo", path="/api/v1/config/user", status=500, times=None)
        with pytest.raises(PeblarError) as info:
            client.user_configuration()
    texts = [*texts_of(info.value), caplog.text]
    assert MASK in info.value.statusmsg  # type: ignore[attr-defined]
    assert "retrying" in caplog.text and MASK in caplog.text
    assert all(cookie not in text for text in texts)
    assert_no_secret(texts)


@pytest.mark.parametrize("asyncio", [False, True], ids=["sync", "asyncio"])
def test_a_plain_generated_web_client_redacts_the_password(asyncio: bool) -> None:
    """No ``PeblarWeb``: ``LoginRequest`` on a plain ``pyPeblar.webui`` ``ApiClient``."""
    import pyPeblar.webui
    import pyPeblar.webui.aio
    from pyPeblar.webui import Configuration, LoginRequest

    request = LoginRequest(password=PASSWORD)
    assert PASSWORD not in repr(request) + str(request)  # `format: password` in the spec
    with Simulator(password=PASSWORD) as sim:
        sim.inject("echo", status=400)
        configuration = Configuration(host=f"http://{sim.host}/api/v1")
        package: Any = pyPeblar.webui.aio if asyncio else pyPeblar.webui
        api_client = package.ApiClient(configuration)
        with pytest.raises(PeblarError) as info:
            answer = package.SessionApi(api_client).login(request)
            if asyncio:
                run(answer)
        if asyncio:
            run(api_client.close())
    assert MASK in info.value.statusmsg  # type: ignore[attr-defined]
    assert_no_secret(list(texts_of(info.value)))


@pytest.mark.parametrize("asyncio", [False, True], ids=["sync", "asyncio"])
def test_a_password_sent_after_a_request_was_kept_is_redacted_from_it(asyncio: bool) -> None:
    """The REST client keeps a poll's request with its secrets (``_transport.exchange.Requests``):
    a password it sends later must be redacted from that request's errors all the same."""
    import pyPeblar.webui
    import pyPeblar.webui.aio
    from pyPeblar.webui import Configuration, LoginRequest

    package: Any = pyPeblar.webui.aio if asyncio else pyPeblar.webui

    def call(answer: Any) -> Any:
        return run(answer) if asyncio else answer

    with Simulator(password=PASSWORD) as sim:
        api_client = package.ApiClient(Configuration(host=f"http://{sim.host}/api/v1"))
        settings = package.SettingsApi(api_client)
        with pytest.raises(PeblarError):  # no session yet: the request is kept all the same
            call(settings.get_user_configuration())
        call(package.SessionApi(api_client).login(LoginRequest(password=PASSWORD)))
        said = {"statusmsg": f"refused: the password was {PASSWORD}"}
        sim.inject("status", path="/api/v1/config/user", status=400, body=said)
        with pytest.raises(PeblarError) as info:
            call(settings.get_user_configuration())
        if asyncio:
            run(api_client.close())
    assert MASK in info.value.statusmsg  # type: ignore[attr-defined]
    assert_no_secret(list(texts_of(info.value)))


#: A command of each API: (arguments, whether it needs the web password).
COMMANDS = {"local REST API": ["meter"], "web interface": ["config"]}


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "-v"])
@pytest.mark.parametrize("command", COMMANDS)
def test_the_command_line_shows_no_echoed_secret(
    command: str,
    verbose: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with Simulator(token=TOKEN, password=PASSWORD) as sim:
        sim.inject("echo", times=None, status=500)
        monkeypatch.setenv("PEBLAR_HOST", sim.host)
        monkeypatch.setenv("PEBLAR_TOKEN", TOKEN)
        monkeypatch.setenv("PEBLAR_PASSWORD", PASSWORD)
        code = main([*(["-v"] if verbose else []), *COMMANDS[command]])
    printed = capsys.readouterr()
    assert code != 0
    assert MASK in printed.err  # the charger's words are shown, redacted
    assert_no_secret([printed.out, printed.err, caplog.text])


@pytest.mark.parametrize("command", COMMANDS)
def test_pypeblar_verbose_shows_no_echoed_secret(command: str) -> None:
    """The console script itself, with -v: the traceback and the DEBUG log on standard error."""
    with Simulator(token=TOKEN, password=PASSWORD) as sim:
        sim.inject("echo", times=None, status=500)
        result = run_pypeblar("-v", *COMMANDS[command], sim=sim, env={"PEBLAR_PASSWORD": PASSWORD})
    assert result.returncode != 0
    assert MASK in result.stderr and "Traceback" in result.stderr
    if command == "local REST API":  # a GET: retried, and the retry logged (the log-in is not)
        assert "retrying" in result.stderr
    assert_no_secret([result.stdout, result.stderr])
