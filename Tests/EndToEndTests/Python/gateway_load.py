"""Thousands of WebSocket dashboards on one worker's gateway, driven by Python `websockets`.

    gateway_load.py test    every client gets its snapshot; one status change reaches all of
                            them, each with the expected version and no gap; prints
                            "gateway load: <n> passed, <m> failed" and exits 1 on any failure
    gateway_load.py bench   the same clients, CHANGES status changes one at a time: delivery
                            latency (receive time - the time the change was written) over every
                            delivery, the time to connect them all, the worker's RSS and CPU;
                            then the yardstick: the same clients against a WebSocket fan-out
                            that does next to nothing per client (fan_out_server, run as
                            `gateway_load.py fan-out-server`). Prints one line "RESULT <json>".

Environment: GATEWAY_URL (http://127.0.0.1:<port>), SECRET_FILE (the worker's
--gateway-secret-file), REDIS_URL, SB_PREFIX, SB_WORKSPACE, SB_INTAKE (the workspace's intake
stream); CLIENTS (5000), AGENTS (200: client i is a tab of agent a<i mod AGENTS>), CONCURRENCY
(200 handshakes at a time), CHANGES (bench: 20), WORKER_PID (bench: for RSS and CPU).
Every wait has a deadline; nothing here asserts a duration.
"""
import asyncio
import base64
import gc
import hashlib
import hmac
import json
import os
import resource
import socket
import sys
import threading
import time
import urllib.parse
from collections import defaultdict

import redis.asyncio as aioredis
from websockets.asyncio.client import connect

MODE = sys.argv[1] if len(sys.argv) > 1 else "test"
GATEWAY = urllib.parse.urlparse(os.environ["GATEWAY_URL"])
SECRET = open(os.environ["SECRET_FILE"], "rb").read().rstrip(b"\r\n")
PREFIX = os.environ["SB_PREFIX"]
WORKSPACE = os.environ["SB_WORKSPACE"]
INTAKE = os.environ.get("SB_INTAKE", f"{PREFIX}:intake")
CLIENTS = int(os.environ.get("CLIENTS", "5000"))
AGENTS = int(os.environ.get("AGENTS", "200"))
CONCURRENCY = int(os.environ.get("CONCURRENCY", "200"))
CHANGES = int(os.environ.get("CHANGES", "20"))
WORKER_PID = os.environ.get("WORKER_PID")
TARGET = "a0"  # the agent whose status changes
passed, failed = 0, 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {what}", flush=True)
    return condition


def say(text):
    print(text, flush=True)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(agent, role="agent"):
    """A workspace token as a back end mints one with nothing but the standard library."""
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": agent, "workspace": WORKSPACE, "role": role, "exp": int(time.time()) + 3600}).encode())
    return f"{head}.{body}.{b64(hmac.new(SECRET, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


def agent_of(index):
    return f"a{index % AGENTS}"


def raise_open_file_limit():
    """One descriptor per client (and per subscriber in the yardstick), plus some."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < CLIENTS + 200:
        sys.exit(f"the open file limit ({hard}) is below CLIENTS + 200; raise it (ulimit -Hn) or lower CLIENTS")


class Arrivals:
    """When each version reached how many clients: monotonic receive times per version."""

    def __init__(self):
        self.times = defaultdict(list)
        self.sent = {}  # version -> when the yardstick's server began writing it
        self.complete = defaultdict(asyncio.Event)

    def record(self, version, at, sent=None):
        if sent is not None:
            self.sent[version] = sent
        times = self.times[version]
        times.append(at)
        if len(times) == CLIENTS:
            self.complete[version].set()

    async def all_of(self, version, timeout):
        """Whether every client got `version` within `timeout` seconds."""
        try:
            await asyncio.wait_for(self.complete[version].wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False


class Tally:
    """How many of CLIENTS are done with a phase; `all` is set when every one is."""

    def __init__(self):
        self.count = 0
        self.all = asyncio.Event()

    def add(self):
        self.count += 1
        if self.count == CLIENTS:
            self.all.set()

    async def wait(self, timeout):
        try:
            await asyncio.wait_for(self.all.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.count


class Client:
    """One dashboard tab: its snapshot, then every message, checked for order as it comes."""

    __slots__ = ("index", "agent", "ws", "snapshot", "next_version", "problems", "by_version", "closed")

    def __init__(self, index):
        self.index = index
        self.agent = agent_of(index)
        self.ws = None
        self.snapshot = None
        self.next_version = None  # the version the next event must carry
        self.problems = []
        self.by_version = {}  # version -> event, for the changes this run wrote
        self.closed = None  # why the stream ended, when it did

    def take(self, message, at, arrivals, watched):
        kind = message.get("type")
        version = message.get("version")
        if kind == "snapshot":  # the first message; again only where the gateway could not fill a gap
            if not isinstance(version, int) or (self.next_version is not None and version < self.next_version - 1):
                self.problems.append(f"a snapshot at version {version} after {self.next_version}")
                return
            self.next_version = version + 1
        elif isinstance(version, int):
            if version != self.next_version:
                self.problems.append(f"version {version} where {self.next_version} was due")
            self.next_version = version + 1
            if kind == "status" and message.get("agent_id") == TARGET and (message.get("message") or "").startswith(watched):
                self.by_version[version] = message
                arrivals.record(version, at, message.get("sent_ns"))


async def open_client(url, client, gate, connected, arrivals, watched):
    """Connects (at most CONCURRENCY handshakes at a time), takes the snapshot, then reads until closed."""
    async with gate:
        try:
            query = urllib.parse.urlencode({"token": token(client.agent)})
            client.ws = await connect(f"{url}/v1/workspaces/{WORKSPACE}/events?{query}",
                                      compression=None, ping_interval=None, max_size=16 * 1024 * 1024,
                                      open_timeout=60, close_timeout=20)
            first = json.loads(await asyncio.wait_for(client.ws.recv(), 60))
        except Exception as error:  # reported once for all clients, below
            client.problems.append(f"could not connect: {error!r}")
            connected.add()
            return
        if first.get("type") != "snapshot" or first.get("workspace") != WORKSPACE or first.get("viewer", {}).get("agent") != client.agent:
            client.problems.append(f"the first message is not this viewer's snapshot: {str(first)[:200]}")
        client.snapshot = first
        client.take(first, time.monotonic_ns(), arrivals, watched)
        connected.add()
    try:
        async for raw in client.ws:
            at = time.monotonic_ns()
            client.take(json.loads(raw), at, arrivals, watched)
    except Exception as error:
        client.closed = repr(error)
    else:
        client.closed = f"closed ({client.ws.close_code} {client.ws.close_reason})"


class Run:
    """The clients, their reader tasks, and a Redis connection for intake entries and checks."""

    def __init__(self, url=f"ws://{GATEWAY.hostname}:{GATEWAY.port}"):
        self.url = url
        self.redis = aioredis.from_url(os.environ["REDIS_URL"], decode_responses=True)
        self.clients = [Client(index) for index in range(CLIENTS)]
        self.arrivals = Arrivals()
        self.watched = f"load {os.getpid()} "
        self.tasks = []

    async def apply(self, fields, timeout=30):
        """Writes an intake entry with `reply 1` and returns the worker's outcome."""
        entry = await self.redis.xadd(INTAKE, {"workspace": WORKSPACE, "reply": "1", **fields})
        reply_key = f"{PREFIX}:reply{INTAKE[len(PREFIX) + 7:]}:{entry}"  # sb:reply:<id>, sb:reply:<n>:<id>
        popped = await self.redis.blpop([reply_key], timeout=timeout)
        if popped is None:
            sys.exit(f"no worker applied {fields} within {timeout}s")
        return json.loads(popped[1])

    async def await_gateway(self, timeout=60):
        """Waits until the gateway accepts connections (the worker may still be starting)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                _, writer = await asyncio.open_connection(GATEWAY.hostname, GATEWAY.port)
                writer.close()
                return
            except OSError as error:
                if time.monotonic() > deadline:
                    sys.exit(f"the gateway at {GATEWAY.hostname}:{GATEWAY.port} accepted no connection within {timeout}s: {error}")
                await asyncio.sleep(0.1)

    async def seed_agents(self):
        """Every agent online with a session of its own, so that the tabs' logins change nothing
        (a later session emits no event) and the only events are the changes this run writes."""
        for index in range(AGENTS):
            outcome = await self.apply({"op": "agent.login", "agent": f"a{index}", "session": "seed"})
            if outcome.get("outcome") != "applied":
                sys.exit(f"seeding a{index}: {outcome}")

    async def open_all(self, timeout=300):
        """Opens every client; returns the seconds until the last snapshot arrived."""
        gate = asyncio.Semaphore(CONCURRENCY)
        connected = Tally()
        started = time.monotonic()
        self.tasks = [asyncio.create_task(open_client(self.url, c, gate, connected, self.arrivals, self.watched)) for c in self.clients]
        await connected.wait(timeout)
        seconds = time.monotonic() - started
        # 5,000 connections' objects out of the cyclic collector's sweeps: a full collection
        # over them would stall every client at once, in the middle of a measured delivery.
        gc.collect()
        gc.freeze()
        broken = [c for c in self.clients if c.snapshot is None]
        check(not broken, f"{len(broken)} of {CLIENTS} clients got no snapshot within {timeout}s; first: "
              + "; ".join(c.problems[0] if c.problems else "still connecting" for c in broken[:3]))
        return seconds

    async def sessions(self):
        pipe = self.redis.pipeline(transaction=False)
        for index in range(AGENTS):
            pipe.hlen(f"{PREFIX}:{{{WORKSPACE}}}:agent:a{index}:sessions")
        return sum(await pipe.execute())

    async def await_sessions(self, expected, timeout=120):
        """Waits until the agents hold `expected` live sessions in all (the seeds included)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.sessions() == expected:
                return True
            await asyncio.sleep(0.1)
        return False

    async def change(self, round_number, status):
        """Writes one status change of TARGET; returns (write time, its version)."""
        written = time.monotonic_ns()
        outcome = await self.apply({"op": "agent.status", "agent": TARGET, "status": status,
                                    "message": f"{self.watched}{round_number}"})
        versions = [e["version"] for e in outcome.get("events", []) if e.get("type") == "status" and e.get("agent_id") == TARGET]
        if outcome.get("outcome") != "applied" or len(versions) != 1:
            sys.exit(f"the status change was not applied as one event: {outcome}")
        return written, versions[0]

    async def close_all(self):
        gate = asyncio.Semaphore(CONCURRENCY)

        async def close(client):
            async with gate:
                if client.ws is not None:
                    await client.ws.close()

        await asyncio.wait_for(asyncio.gather(*(close(c) for c in self.clients), return_exceptions=True), 300)
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 60)

    def report_problems(self):
        troubled = [c for c in self.clients if c.problems]
        check(not troubled, f"{len(troubled)} clients saw a gap, a duplicate or a bad message; first: "
              + "; ".join(f"client {c.index}: {c.problems[0]}" for c in troubled[:3]))


def rss_megabytes():
    if not WORKER_PID:
        return None
    with open(f"/proc/{WORKER_PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024


def worker_cpu_seconds():
    if not WORKER_PID:
        return 0.0
    with open(f"/proc/{WORKER_PID}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


async def test():
    run = Run()
    await run.await_gateway()
    await run.seed_agents()
    seconds = await run.open_all()
    say(f"{CLIENTS} clients connected, each with its snapshot, in {seconds:.1f}s")
    check(await run.await_sessions(CLIENTS + AGENTS), f"every tab is a session of its token's agent: {await run.sessions()} of {CLIENTS + AGENTS}")

    _, version = await run.change(1, "dnd")
    reached = await run.arrivals.all_of(version, timeout=120)
    check(reached, f"the change (version {version}) reached {len(run.arrivals.times[version])} of {CLIENTS} clients")
    wrong = [c for c in run.clients if (e := c.by_version.get(version)) is None or e.get("status") != "dnd" or e.get("previous") != "online"]
    check(not wrong, f"{len(wrong)} clients lack the status event dnd (from online) at version {version}; first: "
          + "; ".join(f"client {c.index}: {c.by_version} {c.closed}" for c in wrong[:3]))
    gone = [c for c in run.clients if c.closed is not None]
    check(not gone, f"{len(gone)} clients were closed while the run went on; first: " + "; ".join(c.closed for c in gone[:3]))
    run.report_problems()
    await run.close_all()
    check(await run.await_sessions(AGENTS), f"closed tabs are logged out: {await run.sessions()} sessions left of {AGENTS} seeds")
    say(f"gateway load: {passed} passed, {failed} failed")
    return failed == 0


def fan_out_server():
    """The yardstick's server: the least work a WebSocket fan-out can do. Accepts clients (the
    handshake, then a snapshot at version 0), and for each line `<message prefix>|<version>` on
    stdin writes one pre-encoded text frame to every socket in turn, with the time it began
    (CLOCK_MONOTONIC, the clients' clock) in the message. Prints its port first."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
    print(listener.getsockname()[1], flush=True)
    sockets = []

    def frame(payload):
        data = json.dumps(payload).encode()
        length = len(data)
        head = bytes([0x81, length]) if length < 126 else bytes([0x81, 126]) + length.to_bytes(2, "big")
        return head + data

    def accept():
        while True:
            connection, _ = listener.accept()
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65536)
            lines = request.decode().split("\r\n")
            headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:] if line)}
            query = urllib.parse.parse_qs(urllib.parse.urlparse(lines[0].split()[1]).query)
            claims = json.loads(base64.urlsafe_b64decode(query["token"][0].split(".")[1] + "=="))
            accept_key = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            connection.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               b"Sec-WebSocket-Accept: " + accept_key + b"\r\n\r\n")
            connection.sendall(frame({"type": "snapshot", "workspace": WORKSPACE, "version": 0, "viewer": {"agent": claims["sub"]}}))
            sockets.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    for line in sys.stdin:
        prefix, version = line.rstrip("\n").split("|")
        sent = time.monotonic_ns()
        data = frame({"type": "status", "agent_id": TARGET, "status": "dnd", "version": int(version), "message": f"{prefix}{version}", "sent_ns": sent})
        for connection in list(sockets):
            connection.sendall(data)


async def fan_out_yardstick(changes):
    """The same clients (same library, same handling of each message) against fan_out_server:
    what is left of the latency when the server costs next to nothing, on this machine."""
    server = await asyncio.create_subprocess_exec(sys.executable, __file__, "fan-out-server", stdin=asyncio.subprocess.PIPE,
                                                  stdout=asyncio.subprocess.PIPE)
    port = int(await asyncio.wait_for(server.stdout.readline(), 30))
    run = Run(f"ws://127.0.0.1:{port}")
    await run.open_all()
    latencies, cpu = [], 0.0
    for number in range(1, changes + 1):
        await asyncio.sleep(0.2)  # quiet between changes, as in the gateway rounds
        cpu_before = time.process_time()
        server.stdin.write(f"{run.watched}|{number}\n".encode())
        await server.stdin.drain()
        if not await run.arrivals.all_of(number, timeout=120):
            sys.exit(f"yardstick message {number} reached {len(run.arrivals.times[number])} of {CLIENTS} clients")
        cpu += time.process_time() - cpu_before
        sent = run.arrivals.sent[number]
        latencies += [(at - sent) / 1e6 for at in run.arrivals.times[number]]
    server.kill()
    await server.wait()
    await asyncio.wait_for(asyncio.gather(*run.tasks, return_exceptions=True), 60)
    run.report_problems()
    latencies.sort()
    return {"p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
            "python_cpu_us_per_delivery": cpu / (changes * CLIENTS) * 1e6}


async def bench():
    run = Run()
    await run.await_gateway()
    await run.seed_agents()
    idle = rss_megabytes()
    seconds = await run.open_all()
    if not await run.await_sessions(CLIENTS + AGENTS):
        sys.exit(f"only {await run.sessions()} of {CLIENTS + AGENTS} sessions appeared")
    latencies, python_cpu, worker_cpu = [], 0.0, 0.0
    for number in range(1, CHANGES + 1):
        await asyncio.sleep(0.2)  # quiet between changes: each is measured on its own
        cpu_before, worker_before = time.process_time(), worker_cpu_seconds()
        written, version = await run.change(number, "dnd" if number % 2 else "away")
        if not await run.arrivals.all_of(version, timeout=120):
            sys.exit(f"change {number} (version {version}) reached {len(run.arrivals.times[version])} of {CLIENTS} clients")
        python_cpu += time.process_time() - cpu_before
        worker_cpu += worker_cpu_seconds() - worker_before
        latencies += [(at - written) / 1e6 for at in run.arrivals.times[version]]
    connected = rss_megabytes()
    held = sum(1 for c in run.clients if c.snapshot is not None and c.closed is None)
    run.report_problems()
    await run.close_all()
    if not await run.await_sessions(AGENTS):
        sys.exit("the closed tabs were not all logged out within 120s")
    after = rss_megabytes()
    yardstick = await fan_out_yardstick(CHANGES)
    latencies.sort()
    deliveries = CHANGES * CLIENTS
    print("RESULT " + json.dumps({
        "clients": CLIENTS, "agents": AGENTS, "held": held, "connect_seconds": seconds, "changes": CHANGES,
        "deliveries": len(latencies), "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1], "python_cpu_us_per_delivery": python_cpu / deliveries * 1e6,
        "worker_cpu_us_per_delivery": worker_cpu / deliveries * 1e6,
        "rss_idle_mb": idle, "rss_connected_mb": connected, "rss_after_mb": after,
        "problems": failed, "yardstick": yardstick}), flush=True)
    return failed == 0


if __name__ == "__main__":
    raise_open_file_limit()
    if MODE == "fan-out-server":
        fan_out_server()
    elif MODE in ("test", "bench"):
        sys.exit(0 if asyncio.run(test() if MODE == "test" else bench()) else 1)
    else:
        sys.exit(f"unknown mode {MODE!r}: test or bench")
