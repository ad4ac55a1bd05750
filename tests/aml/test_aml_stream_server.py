"""The lean streaming server over a real loopback socket: auth, bad bodies named by field, state untouched."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from biplomacy.aml.stream import StreamScorer
from biplomacy.aml.stream_log import read_alert_lines
from biplomacy.aml.stream_server import StreamService, TokenCache, listen, make_server
from biplomacy.core.permissions import Actor
from tests.aml.test_aml_portal import tx

TOKENS = {"sup": Actor("officer", "supervisor"), "pub": Actor("reader", "public")}


@contextlib.contextmanager
def running(service: StreamService) -> Iterator[str]:
    """`service` served on a free loopback port in a thread; yields its base URL."""
    sock = listen(0)
    port = sock.getsockname()[1]
    srv = make_server(service)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the scoring server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, StreamScorer, list[str]]]:
    looked_up: list[str] = []

    def lookup(token: str) -> Actor | None:
        looked_up.append(token)
        return TOKENS.get(token)

    scorer = StreamScorer(tmp_path / "state")
    with running(StreamService(scorer, TokenCache(lookup, marker=lambda: 0))) as url:
        yield url, scorer, looked_up
    scorer.close()


def test_scores_over_keep_alive_with_a_cached_token(server) -> None:  # type: ignore[no-untyped-def]
    url, scorer, looked_up = server
    with httpx.Client(base_url=url, headers={"authorization": "Bearer sup"}) as c:
        answers = [c.post("/score", json=tx(i, "hub", f"r{i}", 100, i * 0.5)) for i in range(8)]
        assert all(r.status_code == 200 for r in answers), answers[-1].text
        assert [a["rule"] for a in answers[-1].json()["alerts"]] == ["fan_out"]
        assert answers[-1].json()["stored"] is True
        health = c.get("/health").json()
    assert health["scored"] == 8 and health["accounts"] == 9
    assert looked_up == ["sup"]  # the store is asked once, not per transfer
    assert [a.alert.rule for a in read_alert_lines(scorer.log.dir)] == ["fan_out"]


def test_no_token_a_wrong_token_or_a_role_without_aml_scan_is_refused(server) -> None:  # type: ignore[no-untyped-def]
    url, scorer, _ = server
    body = tx(1, "a", "b", 10, 0)
    assert httpx.post(f"{url}/score", json=body).status_code == 401
    assert httpx.post(f"{url}/score", json=body, headers={"authorization": "Bearer nope"}).status_code == 401
    denied = httpx.post(f"{url}/score", json=body, headers={"authorization": "Bearer pub"})
    assert denied.status_code == 403 and "aml.scan" in denied.json()["detail"]
    assert scorer.size().scored == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"amount": "-1"}, "amount"),
    ({"amount": "1.123456789"}, "amount"),
    ({"timestamp": "yesterday"}, "timestamp"),
    ({"timestamp": "2025-09-01T00:00:00"}, "timestamp"),
    ({"to_account": None}, "to_account"),
    ({"colour": "red"}, "colour"),
    ({"tx_id": "s1"}, "tx_id"),  # scored already
    ({"timestamp": "2025-08-01T00:00:00+00:00"}, "timestamp"),  # a month older than the stream
])
def test_a_bad_body_is_422_naming_the_field_and_loses_no_state(server, change, field) -> None:  # type: ignore[no-untyped-def]
    url, scorer, _ = server
    with httpx.Client(base_url=url, headers={"authorization": "Bearer sup"}) as c:
        for i in range(7):
            assert c.post("/score", json=tx(i, "hub", f"r{i}", 100, i * 0.5)).status_code == 200
        body = {k: v for k, v in {**tx(99, "hub", "r99", 100, 4), **change}.items() if v is not None}
        bad = c.post("/score", json=body)
        assert bad.status_code == 422, bad.text
        assert bad.json()["field"] == field or field in bad.json()["detail"], bad.text
        assert scorer.size().scored == 7
        last = c.post("/score", json=tx(7, "hub", "r7", 100, 3.5)).json()  # the pattern still completes
        assert [a["rule"] for a in last["alerts"]] == ["fan_out"]


def test_malformed_http_and_json_get_a_clear_error(server) -> None:  # type: ignore[no-untyped-def]
    url, scorer, _ = server
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = s.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 400") and "Invalid HTTP request" in answer
    body = json.dumps(tx(0, "alice", "bob", 100, 0.0)).encode()
    chunked = httpx.post(f"{url}/score", content=iter([body[:40], body[40:]]),  # an iterator: sent chunked
                         headers={"authorization": "Bearer sup", "content-type": "application/json"})
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    assert chunked.status_code == 200 and chunked.json()["tx_id"] == "s0"
    r = httpx.post(f"{url}/score", content=b"{not json", headers={"authorization": "Bearer sup"})
    assert r.status_code == 422 and "json" in r.json()["detail"].lower()
    assert httpx.get(f"{url}/nowhere", headers={"authorization": "Bearer sup"}).status_code == 404
    assert json.loads(httpx.get(f"{url}/health", headers={"authorization": "Bearer sup"}).text)["scored"] == 1


def test_the_serve_command_keeps_its_state_across_a_stop_and_a_start(tmp_path: Path) -> None:
    """`biplomacy supervise aml serve` as a process: SIGTERM snapshots the state; the next start goes on."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from biplomacy.core.config import load_settings
    from biplomacy.core.permissions import LOCAL_ADMIN
    from biplomacy.house.users import add_user, issue_token
    from biplomacy.store.db import open_store
    from biplomacy.store.migrate import upgrade

    var = tmp_path / "var"
    env = {**os.environ, "BIPLOMACY_VAR_DIR": str(var), "BIPLOMACY_DATABASE_URL": ""}
    store = open_store(load_settings({"BIPLOMACY_VAR_DIR": str(var)}))
    upgrade(store)
    add_user(store, LOCAL_ADMIN, "officer", "supervisor")
    _, token = issue_token(store, LOCAL_ADMIN, "officer")
    store.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [str(Path(sys.executable).with_name("biplomacy")), "supervise", "aml", "serve", "--port", str(port)]

    def post_all(bodies: list[dict[str, object]]) -> list[httpx.Response]:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for _ in range(200):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/health", headers={"authorization": f"Bearer {token}"})
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"authorization": f"Bearer {token}"}) as c:
                return [c.post("/score", json=b) for b in bodies]
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0, proc.stderr.read() if proc.stderr else ""

    first = post_all([tx(i, "hub", f"r{i}", 100, i * 0.5) for i in range(5)])
    assert [r.status_code for r in first] == [200] * 5
    assert (var / "aml-stream" / "snapshot.pkl").exists()
    second = post_all([tx(i, "hub", f"r{i}", 100, i * 0.5) for i in range(5, 8)])
    assert [a["rule"] for a in second[-1].json()["alerts"]] == ["fan_out"] and second[-1].json()["stored"]
    assert second[-1].json()["window"]["scored"] == 8


def test_pipelined_requests_are_answered_in_order_while_an_alert_goes_to_disk(server) -> None:  # type: ignore[no-untyped-def]
    url, scorer, _ = server
    host, port = url.removeprefix("http://").split(":")
    requests = b""
    for i in range(10):  # the eighth raises fan_out: its answer waits for the fsync, the two after it wait too
        body = json.dumps(tx(i, "hub", f"r{i}", 100, i * 0.5)).encode()
        requests += (b"POST /score HTTP/1.1\r\nauthorization: Bearer sup\r\ncontent-type: application/json\r\n"
                     b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    answers: list[dict[str, object]] = []
    with socket.create_connection((host, int(port))) as s:
        s.sendall(requests)
        buf = b""
        while len(answers) < 10:
            buf += s.recv(65536)
            while b"\r\n\r\n" in buf:
                head, rest = buf.split(b"\r\n\r\n", 1)
                length = int(next(v for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n")[1:])
                                  if k.lower() == b"content-length"))
                if len(rest) < length:
                    break
                answers.append(json.loads(rest[:length]))
                buf = rest[length:]
    assert [a["tx_id"] for a in answers] == [f"s{i}" for i in range(10)]
    assert [a["tx_id"] for a in answers if a["alerts"]] == ["s7"] and answers[7]["stored"] is True
    assert scorer.size().scored == 10


def test_a_port_in_use_is_a_clear_error_and_the_state_is_released(tmp_path: Path) -> None:
    from biplomacy.aml.stream_server import serve
    from biplomacy.core.errors import ConfigError

    scorer = StreamScorer(tmp_path / "state")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}") as err:
            serve(StreamService(scorer, TokenCache(TOKENS.get, marker=lambda: 0)), port)
        assert err.value.field == "port"
    StreamScorer(tmp_path / "state").close()  # serve closed the scorer: the directory is free again


def test_the_token_cache_asks_the_store_again_only_once_the_marker_moves() -> None:
    marker, looked_up = [7], []

    def lookup(token: str) -> Actor | None:
        looked_up.append(token)
        return TOKENS.get(token)

    cache = TokenCache(lookup, marker=lambda: marker[0])
    assert [cache.actor("sup"), cache.actor("sup"), cache.actor("nope"), cache.actor("nope")] == \
        [TOKENS["sup"], TOKENS["sup"], None, None]
    assert looked_up == ["sup", "nope"]
    marker[0] = 8  # e.g. a token revoked: every answer is forgotten, each token asked once more
    assert cache.actor("sup") == TOKENS["sup"] and cache.actor("sup") == TOKENS["sup"]
    assert looked_up == ["sup", "nope", "sup"]


def test_a_revoked_token_a_disabled_user_or_a_lost_role_is_refused_on_the_very_next_request(
        store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from biplomacy.core.permissions import LOCAL_ADMIN
    from biplomacy.house import users

    tokens = {}
    for name in ("revoked", "disabled", "demoted", "untouched"):
        users.add_user(store, LOCAL_ADMIN, name, "supervisor")
        tokens[name] = users.issue_token(store, LOCAL_ADMIN, name)
    scorer = StreamScorer(tmp_path / "state")
    service = StreamService(scorer, TokenCache.of_store(store))
    try:
        with running(service) as url, httpx.Client(base_url=url) as c:
            def post(name: str, i: int) -> httpx.Response:
                return c.post("/score", json=tx(i, "a", f"b{i}", 10, i),
                              headers={"authorization": f"Bearer {tokens[name][1]}"})

            assert [post(name, i).status_code for i, name in enumerate(tokens)] == [200] * 4
            users.revoke_token(store, LOCAL_ADMIN, tokens["revoked"][0])
            users.set_active(store, LOCAL_ADMIN, "disabled", False)
            users.set_role(store, LOCAL_ADMIN, "demoted", "public")
            refused = [post(name, 10 + i) for i, name in enumerate(("revoked", "disabled", "demoted"))]
            assert [(r.status_code, r.json()["detail"]) for r in refused[:2]] == \
                [(401, "unknown or revoked API token")] * 2
            assert refused[0].headers["www-authenticate"] == "Bearer"
            assert refused[2].status_code == 403
            assert refused[2].json()["detail"].startswith("demoted (role public) may not aml.scan; allowed: ")
            assert post("untouched", 20).status_code == 200
            users.set_active(store, LOCAL_ADMIN, "disabled", True)  # and back: the next request is let in
            assert post("disabled", 21).status_code == 200
    finally:
        service.tokens.close()
        scorer.close()
    assert scorer.size().scored == 6  # the refused transfers were not scored


def _raw(url: str, data: bytes, until_closed: bool = True) -> bytes:
    """Sends raw bytes on one connection; what came back until the server closed it (or a 3 s quiet)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.settimeout(3)
        s.sendall(data)
        got = b""
        try:
            while chunk := s.recv(65536):
                got += chunk
                if not until_closed and b"\r\n\r\n" in got:
                    break
        except TimeoutError:
            pass
    return got


def _post(body: bytes, extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    return (b"POST /score HTTP/" + version + b"\r\nauthorization: Bearer sup\r\ncontent-type: application/json\r\n"
            + extra + b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def test_connection_close_and_http_1_0_end_the_connection_after_the_answer(server) -> None:  # type: ignore[no-untyped-def]
    url, scorer, _ = server
    body = json.dumps(tx(0, "alice", "bob", 100, 0.0)).encode()
    closed = _raw(url, _post(body, b"connection: close\r\n"))
    assert closed.startswith(b"HTTP/1.1 200") and b"connection: close" in closed.lower()
    old = _raw(url, _post(json.dumps(tx(1, "alice", "bob", 100, 1.0)).encode(), version=b"1.0"))
    assert old.startswith(b"HTTP/1.1 200") and b'"tx_id":"s1"' in old
    assert scorer.size().scored == 2


def test_oversized_bodies_and_headers_are_refused_and_the_connection_closed(server) -> None:  # type: ignore[no-untyped-def]
    url, scorer, _ = server
    big = _raw(url, _post(b"{" + b" " * (70 * 1024) + b"}"))
    assert big.startswith(b"HTTP/1.1 413") and b"over 65536 bytes" in big
    head = _raw(url, b"GET /health HTTP/1.1\r\nx-filler: " + b"a" * (20 * 1024) + b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431") and b"over 16384 bytes" in head
    assert scorer.size().scored == 0


def test_expect_100_continue_is_answered_before_the_body(server) -> None:  # type: ignore[no-untyped-def]
    url, scorer, _ = server
    body = json.dumps(tx(0, "alice", "bob", 100, 0.0)).encode()
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.settimeout(5)
        head, _, _ = _post(body, b"expect: 100-continue\r\n").partition(b"\r\n\r\n")
        s.sendall(head + b"\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 100 Continue")
        s.sendall(body)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
    assert scorer.size().scored == 1


def test_a_malformed_request_after_good_ones_gets_400_after_their_answers(server) -> None:  # type: ignore[no-untyped-def]
    url, scorer, _ = server
    good = b"".join(_post(json.dumps(tx(i, "hub", f"r{i}", 100, i * 0.5)).encode()) for i in range(3))
    got = _raw(url, good + b"GARBAGE\r\n\r\n")
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", got) == [b"200", b"200", b"200", b"400"]
    assert scorer.size().scored == 3


def test_an_idle_keep_alive_connection_is_closed(server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from biplomacy.aml import stream_http_server as stream_http

    monkeypatch.setattr(stream_http, "KEEP_ALIVE_S", 0.3)
    url, _, _ = server
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as s:
        s.settimeout(5)
        s.sendall(b"GET /health HTTP/1.1\r\nauthorization: Bearer sup\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        assert s.recv(65536) == b""  # closed by the server, not by this timeout
