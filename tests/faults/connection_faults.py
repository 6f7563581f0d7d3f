#!/usr/bin/python3
"""Hostile connections against infer-server: 10,000 idle connections
against its connection limit, and clients that read their answer one byte
per second.

What the server promises (docs/server.md, `--max-connections`,
`--read-timeout-ms`), and each case asserts:
- Connections beyond `--max-connections` are answered 503
  `too_many_connections` at once and closed; the ones within it that send
  nothing are closed after `--read-timeout-ms` without an answer (an idle
  connection is not a request and leaves no record); the server's sockets
  come back to where they were.
- A reply must be written within `--read-timeout-ms` too: a client whose
  reply fits in the socket buffers is served whole, however slowly it reads
  it; a client that stops the server's writes (pipelined requests, a tiny
  receive window, one byte read per second) is cut off after the timeout.
- Neither slows anyone else: a client already connected is answered 200 for
  every request, with a per-second p99 within a generous ratio of its own
  baseline from the same run, before the fault.
- Every answer is one ring record: exporter read + dropped == the answers
  the clients counted.
"""
import resource
import selectors
import socket
import struct
import sys
import time

import harness
from harness import assert_latency_unchanged, log, p99_in

IDLE_CONNECTIONS = 10000
MAX_CONNECTIONS = 1024
TCP_CLOSE_WAIT = 8


def _raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY
                                                        else want, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _parse_responses(data):
    """Complete HTTP/1.1 responses at the start of `data`: [(status, headers, body)], rest."""
    out = []
    while True:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return out, data
        head = data[:end].decode("latin-1").split("\r\n")
        status = int(head[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in head[1:])}
        length = int(headers.get("content-length", "0"))
        if len(data) < end + 4 + length:
            return out, data
        out.append((status, headers, data[end + 4:end + 4 + length]))
        data = data[end + 4 + length:]


def idle_connections_at_the_limit(tools):
    """10,000 connections that send nothing, against --max-connections 1024,
    while a client connected before keeps sending 100 req/s."""
    limit = _raise_nofile(IDLE_CONNECTIONS + 2000)
    n = min(IDLE_CONNECTIONS, limit - 500)
    if n < IDLE_CONNECTIONS:
        log(f"RLIMIT_NOFILE is {limit} and cannot be raised: {n} idle connections instead of "
            f"{IDLE_CONNECTIONS}")
    timeout_ms = 8000
    with harness.Stack(tools, "idle_connections") as st:
        server = st.start_server(flags=["--ring-slots", "32768", "--max-connections",
                                        str(MAX_CONNECTIONS), "--read-timeout-ms", str(timeout_ms)])
        exporter = st.start_exporter()
        st.wait_exporter(exporter, lambda m: m.get("ring_producer_up") == 1, "attached")
        before = st.settled(exporter)
        sockets0 = server.socket_fds()
        # One connection: a second one opened during the flood would be refused, as it should.
        lg = st.loadgen(server.port, 100, 24, connections=1)
        time.sleep(max(0.0, 4.0 - lg.elapsed()))

        flood_at = lg.elapsed()
        sel = selectors.DefaultSelector()
        conns = {}
        # Opened between two looks at the server's accept queue: at most half its backlog
        # waits there.
        batch = max(1, min(128, _listen_backlog() // 4))
        t0 = time.monotonic()
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", server.port))
            conns[s.fileno()] = {"sock": s, "data": b"", "closed_at": None}
            sel.register(s, selectors.EVENT_READ)
            if i % batch == batch - 1:
                _pump(sel, conns, 0)
                # A client faster than the server's accepts overflows the kernel's listen
                # backlog: the SYNs it drops come back on retransmits 1, 3, 7, 15 s later,
                # neither held nor answered in time. Pace so that the backlog never fills.
                while _accept_queue(server.port) > batch and \
                        time.monotonic() - t0 < 0.5 * timeout_ms / 1000:
                    _pump(sel, conns, 0.005)
        opened_in = time.monotonic() - t0
        # Until the server has answered everything beyond its limit, and before the first
        # idle connections reach --read-timeout-ms.
        quiet_since = time.monotonic()
        while (time.monotonic() - quiet_since < 1.0 or _unanswered(conns) >= MAX_CONNECTIONS) \
                and time.monotonic() - t0 < 0.8 * timeout_ms / 1000:
            if _pump(sel, conns, 0.1):
                quiet_since = time.monotonic()
        settled_at = lg.elapsed()
        refused = [c for c in conns.values() if c["data"]]
        held = [c for c in conns.values() if not c["data"] and c["closed_at"] is None]
        reset = [c for c in conns.values() if not c["data"] and c["closed_at"] is not None]
        log(f"{n} connections opened in {opened_in:.2f} s: {len(held)} held idle, {len(refused)} "
            f"answered, {len(reset)} closed without an answer")
        assert not reset, f"{len(reset)} connections closed without an answer before the timeout"
        assert len(held) + len(refused) == n
        assert MAX_CONNECTIONS - 64 <= len(held) <= MAX_CONNECTIONS - 1, \
            f"{len(held)} idle connections held, limit {MAX_CONNECTIONS} (one is loadgen's)"
        for c in refused:
            got, rest = _parse_responses(c["data"])
            assert len(got) == 1 and not rest and got[0][0] == 503 and \
                b'"too_many_connections"' in got[0][2], c["data"][:300]
        # The idle ones: nothing for timeout_ms, then closed by the server, no answer.
        hold_start = time.monotonic()
        while any(c["closed_at"] is None for c in held) and time.monotonic() - hold_start < \
                3 * timeout_ms / 1000 + 10:
            _pump(sel, conns, 0.2)
        closed_at = lg.elapsed()
        still = [c for c in held if c["closed_at"] is None]
        assert not still, f"{len(still)} idle connections still open {3 * timeout_ms / 1000 + 10} s on"
        assert all(not c["data"] for c in held), "an idle connection got bytes"
        first_close = min(c["closed_at"] for c in held) - t0
        assert first_close >= 0.9 * timeout_ms / 1000, \
            f"idle connections closed after {first_close:.2f} s, before --read-timeout-ms"
        for c in conns.values():
            if c["closed_at"] is None:
                sel.unregister(c["sock"])
            c["sock"].close()
        sel.close()

        r = lg.result()
        assert r["answers"] == r["answers_2xx"] == r["requests"] and r["transport_errors"] == 0, r
        deadline = time.monotonic() + 10
        while server.socket_fds() != sockets0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.socket_fds() == sockets0, (server.socket_fds(), sockets0)
        after = st.settled(exporter)
        acc = after.accounted() - before.accounted()
        rejected = after.get("http_requests_total", handler="none", status="5xx") - \
            before.get("http_requests_total", handler="none", status="5xx")
        log(f"records: exporter {acc} = loadgen {r['answers']} + 503s {len(refused)}?  "
            f"(503 records {rejected:.0f})")
        assert acc == r["answers"] + len(refused)
        assert rejected == len(refused)
        # The storm costs the server's log a line a second, not a line a refusal.
        storm_lines = [line for line in (server.stdout() + server.stderr()).splitlines()
                       if "too_many_connections" in line]
        log(f"log lines about the {len(refused)} refusals: {len(storm_lines)}")
        assert 1 <= len(storm_lines) <= 40, \
            f"{len(storm_lines)} log lines for {len(refused)} refused connections"
        secs = lg.seconds()
        base = p99_in(secs, 1, int(flood_at))
        assert_latency_unchanged(base, p99_in(secs, int(settled_at) + 1, int(closed_at)),
                                 f"p99 of a connected client while {len(held)} idle connections "
                                 f"are held")
        assert_latency_unchanged(base, p99_in(secs, int(closed_at) + 1, 24),
                                 "p99 after the idle connections were closed")
        status, _ = harness.http_get(server.port, "/healthz")
        assert status == 200


def _listen_backlog():
    """The server's listen backlog: it asks for SOMAXCONN (4096), the kernel caps it at
    net.core.somaxconn."""
    with open("/proc/sys/net/core/somaxconn") as f:
        return min(4096, int(f.read()))


def _accept_queue(port):
    """Connections waiting in the accept queue of the IPv4 socket listening on `port`."""
    local = ":%04X" % port
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == "0A" and fields[1].endswith(local):  # TCP_LISTEN
                return int(fields[4].split(":")[1], 16)  # rx_queue of a listener: its backlog
    raise AssertionError(f"nothing listens on port {port}")


def _unanswered(conns):
    """Connections with no answer yet that are still open: held by the server, or queued."""
    return sum(1 for c in conns.values() if not c["data"] and c["closed_at"] is None)


def _pump(sel, conns, timeout):
    """Reads what arrived; returns whether anything did."""
    got = False
    for key, _ in sel.select(timeout):
        c = conns[key.fd]
        try:
            data = key.fileobj.recv(65536)
        except (ConnectionResetError, ConnectionRefusedError):
            data = b""
        except BlockingIOError:
            continue
        got = True
        if data:
            c["data"] += data
        else:
            c["closed_at"] = time.monotonic()
            sel.unregister(key.fileobj)
    return got


def _tcp_state(sock):
    return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]


def slow_readers(tools):
    """8 clients read a GET / answer one byte per second; 4 others pipeline
    3000 GET / (9 MB of answers, more than the server's socket buffers can
    take) with a 4 KiB receive buffer and read one byte per second; a client
    connected before sends 200 req/s throughout."""
    timeout_ms = 2000
    pipelined = 3000
    with harness.Stack(tools, "slow_readers") as st:
        server = st.start_server(flags=["--ring-slots", "32768", "--read-timeout-ms",
                                        str(timeout_ms)])
        exporter = st.start_exporter()
        st.wait_exporter(exporter, lambda m: m.get("ring_producer_up") == 1, "attached")
        before = st.settled(exporter)
        # One connection, so the server's socket count is known while it runs.
        lg = st.loadgen(server.port, 200, 16, connections=1)
        time.sleep(max(0.0, 4.0 - lg.elapsed()))
        sockets0 = server.socket_fds()

        slow_at = lg.elapsed()
        polite, greedy = [], []
        for _ in range(8):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            polite.append({"sock": s, "data": b""})
        for _ in range(4):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", server.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * pipelined)
            greedy.append({"sock": s, "data": b""})
        clients = polite + greedy
        # One byte per second from each, for 3 timeouts and more.
        started = time.monotonic()
        t_end = started + 3 * timeout_ms / 1000 + 3
        released = None
        while time.monotonic() < t_end:
            for c in clients:
                c["sock"].setblocking(False)
                try:
                    c["data"] += c["sock"].recv(1)
                except BlockingIOError:
                    pass
            if released is None and server.socket_fds() == sockets0:
                released = time.monotonic() - started
            time.sleep(1.0)
        slow_end = lg.elapsed()
        # The server let go of every slow connection while the clients still hold theirs:
        # after the write timeout (pipelining), or the idle timeout plus the 2 s close
        # drain (served).
        assert released is not None, \
            f"server sockets {server.socket_fds()}, {sockets0} before the slow clients"
        log(f"the server released every slow connection {released:.1f} s after they started")
        assert all(len(c["data"]) <= 12 for c in clients), "one byte per second"
        for c in polite:
            assert _tcp_state(c["sock"]) == TCP_CLOSE_WAIT, \
                "a served slow reader's connection was closed by the server after the timeout"
        # Now read the rest at full speed: what did each get?
        for c in clients:
            c["sock"].setblocking(True)
            c["sock"].settimeout(10)
            while True:
                try:
                    d = c["sock"].recv(65536)
                except (ConnectionResetError, socket.timeout) as e:
                    c["end"] = type(e).__name__
                    break
                if not d:
                    c["end"] = "eof"
                    break
                c["data"] += d
            c["sock"].close()
        for c in polite:
            got, rest = _parse_responses(c["data"])
            assert len(got) == 1 and got[0][0] == 200 and not rest and c["end"] == "eof", \
                f"a slow reader is served whole: {len(got)} answers, {len(rest)} bytes left, {c['end']}"
        served = []
        for c in greedy:
            got, rest = _parse_responses(c["data"])
            assert all(g[0] == 200 for g in got)
            served.append(len(got))
        log(f"pipelining slow readers got {served} of {pipelined} answers before the cut "
            f"({[c['end'] for c in greedy]})")

        r = lg.result()
        assert r["answers"] == r["answers_2xx"] == r["requests"] and r["transport_errors"] == 0, r
        after = st.settled(exporter)
        pages = after.get("http_requests_total", handler="/", method="GET") - \
            before.get("http_requests_total", handler="/", method="GET")
        acc = after.accounted() - before.accounted()
        low = len(polite) + sum(served)
        log(f"records: GET / {pages:.0f} (clients got {low} whole); all {acc}")
        assert low <= pages < len(polite) + len(greedy) * pipelined, \
            f"pipelining slow readers are cut off: {pages} answers written"
        assert acc == r["answers"] + pages
        secs = lg.seconds()
        assert_latency_unchanged(p99_in(secs, 1, int(slow_at)),
                                 p99_in(secs, int(slow_at) + 1, int(slow_end)),
                                 "p99 of a connected client beside the slow readers")


CASES = {
    "idle_connections_at_the_limit": idle_connections_at_the_limit,
    "slow_readers": slow_readers,
}

if __name__ == "__main__":
    sys.exit(harness.run_cases(CASES))
