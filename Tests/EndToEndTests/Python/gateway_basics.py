"""The gateway as a dashboard sees it, driven by independent clients (websockets, urllib).

Environment: GATEWAY_URL (http://127.0.0.1:<port>), SECRET_FILE (the worker's
--gateway-secret-file), REDIS_URL, SB_PREFIX, SB_WORKSPACE. Prints one line per failed check
and a summary "<n> passed, <m> failed"; exits 1 on any failure.
"""
import asyncio
import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import sys
import time
import urllib.parse

import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

GATEWAY = urllib.parse.urlparse(os.environ["GATEWAY_URL"])
SECRET = open(os.environ["SECRET_FILE"], "rb").read().rstrip(b"\r\n")
PREFIX = os.environ["SB_PREFIX"]
WORKSPACE = os.environ["SB_WORKSPACE"]
if os.environ.get("SB_CLUSTER") == "1":
    # Any seed of the cluster's URL (redis://host:port,host:port,…); keys are routed by slot.
    from redis.cluster import RedisCluster
    seed = urllib.parse.urlparse(os.environ["REDIS_URL"].split(",")[0])
    r = RedisCluster(host=seed.hostname, port=seed.port, decode_responses=True)
else:
    r = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
INTAKE = f"{PREFIX}:intake"
passed, failed = 0, 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {what}", flush=True)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(agent, role="agent", workspace=WORKSPACE, expires_in=3600, alg="HS256", secret=SECRET):
    """A workspace token as a back end mints one with nothing but the standard library."""
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": agent, "workspace": workspace, "role": role, "exp": int(time.time()) + expires_in}).encode())
    signature = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()) if alg == "HS256" else ""
    return f"{head}.{body}.{signature}"


def request(method, path, body=None, headers=None):
    """(status, parsed JSON body or None, headers) of one HTTP request."""
    connection = http.client.HTTPConnection(GATEWAY.hostname, GATEWAY.port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = None
    return response.status, parsed, dict(response.getheaders())


def wait_until(condition, what, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    check(False, f"within {timeout}s: {what}")
    return False


def worker_exited(pid):
    """The process has exited: gone, or a zombie its parent has not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


async def receive(ws, timeout=15):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_until(ws, predicate, seen, what, timeout=15):
    """Receives messages (kept in `seen`) until one satisfies `predicate`; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = await receive(ws, timeout=max(0.1, deadline - time.monotonic()))
        seen.append(message)
        if predicate(message):
            return message
    raise AssertionError(f"no message {what} within {timeout}s")


def events_path(**query):
    return f"/v1/workspaces/{WORKSPACE}/events" + ("?" + urllib.parse.urlencode(query) if query else "")


def ws_url(**query):
    return f"ws://{GATEWAY.hostname}:{GATEWAY.port}" + events_path(**query)


def consecutive(messages, after):
    versions = [m["version"] for m in messages if m.get("type") not in ("snapshot", "accepted", "error")]
    return versions == list(range(after + 1, after + 1 + len(versions))), versions


def feed_subscribers(channel):
    """How many clients subscribe to a feed channel: PUBSUB NUMSUB, or SHARDNUMSUB on the owner of its slot."""
    if os.environ.get("SB_CLUSTER") == "1":
        reply = r.execute_command("PUBSUB", "SHARDNUMSUB", channel, target_nodes=r.get_node_from_key(channel))
        return int(reply[1])
    return dict(r.pubsub_numsub(channel)).get(channel)


def sessions_key(agent):
    return f"{PREFIX}:{{{WORKSPACE}}}:agent:{agent}:sessions"


async def main():
    wait_until(lambda: request("GET", "/app/")[0] == 200, "the gateway answers", timeout=30)

    # Refusals, each with its status and a JSON sentence.
    refusals = [
        ("no token", events_path(), {}, 401),
        ("bad signature", events_path(token=token("42", secret=b"x" * 32)), {}, 401),
        ("expired", events_path(token=token("42", expires_in=-10)), {}, 401),
        ("alg none", events_path(token=token("42", alg="none")), {}, 401),
        ("another workspace", events_path(token=token("42", workspace="elsewhere")), {}, 403),
        ("bearer for another workspace", events_path(), {"Authorization": "Bearer " + token("42", workspace="elsewhere")}, 403),
        ("bad since", events_path(token=token("42"), since="abc"), {}, 400),
        ("unknown path", "/v1/nope", {}, 404),
    ]
    for name, path, headers, expected in refusals:
        status, body, _ = request("GET", path, headers=headers)
        check(status == expected, f"{name}: status {status}, expected {expected}")
        check(isinstance(body, dict) and body.get("error", "").endswith("."), f"{name}: a JSON error sentence, got {body}")
    status, _, headers = request("GET", "/app")
    check(status == 301 and headers.get("Location") == "/app/", f"/app redirects to /app/: {status} {headers}")
    try:
        async with connect(ws_url(token=token("42", alg="none"))):
            check(False, "a WebSocket with a bad token is refused")
    except InvalidStatus as error:
        check(error.response.status_code == 401, f"WebSocket refusal status {error.response.status_code}")

    # A WebSocket: the snapshot, then every event in order; the tab is a session; actions.
    seen = []
    async with connect(ws_url(token=token("42"))) as ws:
        snapshot = await receive(ws)
        check(snapshot["type"] == "snapshot", f"the first message is a snapshot: {snapshot}")
        check(snapshot["workspace"] == WORKSPACE and snapshot["viewer"]["agent"] == "42" and snapshot["viewer"]["role"] == "agent",
              f"snapshot viewer: {snapshot.get('viewer')}")
        for field in ("agents", "queues", "sessions", "settings", "widget", "recent_assignments", "version"):
            check(field in snapshot, f"snapshot has {field}")
        session = snapshot["viewer"]["session"]
        wait_until(lambda: r.hexists(sessions_key("42"), session), "the stream's session is logged in")
        # The worker runs with --session-ttl 3s: heartbeats every second keep the session alive.
        first_expiry = int(r.hget(sessions_key("42"), session) or 0)
        wait_until(lambda: int(r.hget(sessions_key("42"), session) or 0) > first_expiry, "the gateway heartbeats the stream's session")

        r.xadd(INTAKE, {"op": "agent.status", "workspace": WORKSPACE, "agent": "43", "status": "away", "message": "Lunch"})
        away = await receive_until(ws, lambda m: m.get("agent_id") == "43", seen, "for agent 43")
        check(away["type"] == "status" and away["status"] == "away" and away["message"] == "Lunch", f"live status event: {away}")

        await ws.send(json.dumps({"type": "status", "status": "dnd", "message": "Focus", "id": "a1"}))
        accepted = await receive_until(ws, lambda m: m.get("type") == "accepted", seen, "accepted")
        check(accepted["id"] == "a1", f"accepted echoes the id: {accepted}")
        dnd = await receive_until(ws, lambda m: m.get("agent_id") == "42" and m.get("status") == "dnd", seen, "42 dnd")
        check(dnd["actor"] == "42" and dnd["entry"] == accepted["entry"] and dnd["message"] == "Focus",
              f"the action's entry set the status with the token's agent as actor: {dnd}")

        await ws.send(json.dumps({"type": "assign", "conversation": "c-1", "agent": "43", "id": 7}))
        refused = await receive_until(ws, lambda m: m.get("type") == "error", seen, "error")
        check(refused["id"] == 7 and "supervisor" in refused["error"], f"an agent token may not assign: {refused}")

        ok, versions = consecutive(seen, snapshot["version"])
        check(ok, f"events after the snapshot are consecutive from {snapshot['version'] + 1}: {versions}")
    wait_until(lambda: not r.hexists(sessions_key("42"), session), "the closed stream's session is logged out")

    # Resume: the events after `since`, no snapshot, then live; a `since` beyond the stream: a snapshot.
    last = max(m["version"] for m in seen if "version" in m and m.get("type") != "snapshot")
    r.xadd(INTAKE, {"op": "agent.status", "workspace": WORKSPACE, "agent": "43", "status": "online"})
    resumed = []
    async with connect(ws_url(token=token("42"), since=str(last - 1))) as ws:
        await receive_until(ws, lambda m: m.get("agent_id") == "43" and m.get("status") == "online", resumed, "43 online")
        check(resumed[0].get("type") != "snapshot", f"a resume starts with events, not a snapshot: {resumed[0]}")
        ok, versions = consecutive(resumed, last - 1)
        check(ok, f"resumed events are consecutive from {last}: {versions}")
    async with connect(ws_url(token=token("42"), since="999999")) as ws:
        first = await receive(ws)
        check(first["type"] == "snapshot", f"a since beyond the stream gets a snapshot: {first}")

    # Server-Sent Events with Last-Event-ID: the events after it, as `id:` / `event:` / `data:`.
    connection = http.client.HTTPConnection(GATEWAY.hostname, GATEWAY.port, timeout=10)
    connection.request("GET", events_path(), headers={"Authorization": "Bearer " + token("45"), "Last-Event-ID": str(last)})
    response = connection.getresponse()
    check(response.status == 200 and response.getheader("Content-Type", "").startswith("text/event-stream"), f"SSE head: {response.status}")
    fields = {}
    while "data" not in fields:
        line = response.fp.readline().decode().rstrip("\n")
        if ":" in line and not line.startswith(":"):
            name, value = line.split(":", 1)
            fields[name] = value.lstrip(" ")
    check(fields.get("id") == str(last + 1) and json.loads(fields["data"])["version"] == last + 1, f"SSE resumes after Last-Event-ID: {fields}")
    response.close()  # the response holds the socket open until closed itself
    connection.close()

    # POST …/intake for SSE clients: 202 with the entry; refused actions 400.
    status, body, _ = request("POST", f"/v1/workspaces/{WORKSPACE}/intake", body=json.dumps({"type": "status", "status": "away"}),
                              headers={"Authorization": "Bearer " + token("44"), "Content-Type": "application/json"})
    check(status == 202 and body.get("type") == "accepted", f"POST intake: {status} {body}")
    if status == 202:
        events_key = f"{PREFIX}:{{{WORKSPACE}}}:events"
        applied = lambda: [fields for _, fields in r.xrange(events_key) if fields.get("entry") == body["entry"]]
        wait_until(lambda: applied(), "the POSTed entry is applied")
        check(any(e.get("agent_id") == "44" and e.get("actor") == "44" and e.get("status") == "away" for e in applied()),
              f"the POSTed entry set 44's status with 44 as actor: {applied()}")
    status, body, _ = request("POST", f"/v1/workspaces/{WORKSPACE}/intake", body=json.dumps({"type": "status", "status": "away", "agent": "43"}),
                              headers={"Authorization": "Bearer " + token("44")})
    check(status == 400 and "own status" in body.get("error", ""), f"an agent token may not override: {status} {body}")

    # One feed subscription per workspace however many clients; none once they are gone.
    feed = f"{PREFIX}:{{{WORKSPACE}}}:feed"
    clients = [await connect(ws_url(token=token(f"viewer-{index}"))) for index in range(3)]
    for client in clients:
        check((await receive(client))["type"] == "snapshot", "each client starts with a snapshot")
    check(feed_subscribers(feed) == 1, f"one subscription to {feed} for three clients: {feed_subscribers(feed)}")
    for client in clients:
        await client.close()
    wait_until(lambda: feed_subscribers(feed) == 0, "the feed is unsubscribed when its last client leaves")

    # Limits: a message over 64 KiB is refused (1009); over 20 actions a second, errors, then 1008.
    async with connect(ws_url(token=token("46")), max_size=None) as ws:
        await receive(ws)
        pong = await ws.ping()
        await asyncio.wait_for(pong, 15)
        check(True, "the gateway answers pings")
        await ws.send(json.dumps({"type": "status", "status": "away", "message": "x" * (65 * 1024)}))
        try:
            while True:
                await receive(ws)
        except ConnectionClosed as closed:
            check(closed.rcvd is not None and closed.rcvd.code == 1009, f"an oversize message closes with 1009: {closed.rcvd}")
    async with connect(ws_url(token=token("46"))) as ws:
        await receive(ws)
        for index in range(200):
            await ws.send(json.dumps({"type": "status", "status": "sleeping", "id": index}))
        errors = []
        try:
            while True:
                message = await receive(ws)
                if message.get("type") == "error":
                    errors.append(message)
        except ConnectionClosed as closed:
            check(closed.rcvd is not None and closed.rcvd.code == 1008, f"a client over the action rate is closed with 1008: {closed.rcvd}")
        check(any("Too many actions" in e["error"] for e in errors), f"actions over the rate are refused first: {errors[-1:]}")
        check(any("'sleeping'" in e["error"] for e in errors), "actions within the rate are parsed")

    # The worker stops (SIGTERM): its streams are closed with 1001 and their sessions left to
    # expire (or to be resumed on another worker): no logout.
    async with connect(ws_url(token=token("47"))) as ws:
        session = (await receive(ws))["viewer"]["session"]
        wait_until(lambda: r.hexists(sessions_key("47"), session), "the stream's session is logged in")
        os.kill(int(os.environ["WORKER_PID"]), signal.SIGTERM)
        try:
            while True:
                await receive(ws)
        except ConnectionClosed as closed:
            check(closed.rcvd is not None and closed.rcvd.code == 1001 and "since" in closed.rcvd.reason,
                  f"a stopping worker closes its streams with 1001: {closed.rcvd}")
    # Once the worker has exited (a zombie of the test, or gone), all it wrote is in the intake.
    wait_until(lambda: worker_exited(int(os.environ["WORKER_PID"])), "the worker exiting after SIGTERM", timeout=30)
    check(not any(f.get("op") == "agent.logout" and f.get("session") == session for _, f in r.xrange(INTAKE)),
          "the stopping worker wrote no logout for the stream's session")
    check(r.hexists(sessions_key("47"), session), "the stream's session is left to expire")

    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


sys.exit(asyncio.run(main()))
