"""The gateway's wire protocol, checked from outside: the independent `websockets` library,
raw sockets with a frame builder of our own, and tokens minted with Python's standard library
(so the HS256 tokens also prove interoperability with what back ends mint).

Usage: gateway_protocol.py AREA [AREA ...], AREA one of: handshake framing sse auth resume
sessions limits (limits: against a worker started with --gateway-max-connections 3). Each
check is a named function; every failure is printed with its name and cause, and each area
ends with one line `gateway AREA: N passed, M failed`. Exit status 1 when anything failed.
Every blocking wait has a deadline (WAIT seconds).

Environment: SB_GATEWAY (host:port of the worker's gateway), SB_SECRET_FILE (the worker's
--gateway-secret-file), REDIS_URL, SB_PREFIX (the worker's --prefix), SB_WORKSPACE (a
workspace of this run; checks that need a private one derive it from this name).
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import zlib

import redis
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as websockets_connect

WAIT = 20.0  # seconds: the deadline of every blocking wait
HEARTBEAT_WAIT = 45.0  # seconds: the deadline for what the gateway does every 20 s (pings, session heartbeats)
HOST, PORT = os.environ["SB_GATEWAY"].rsplit(":", 1)
PORT = int(PORT)
PREFIX, WORKSPACE = os.environ["SB_PREFIX"], os.environ["SB_WORKSPACE"]
with open(os.environ["SB_SECRET_FILE"], "rb") as secret_file:
    SECRET = secret_file.read().rstrip(b"\r\n")  # as documented: trailing newlines are not part of the secret
r = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def unique(name):
    """An id no other check of this run uses."""
    return f"{name}-{uuid.uuid4().hex[:6]}"


# --- Tokens (HS256 JWT, standard library only) ---------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(agent, role="agent", workspace=None, expires_in=3600, header=None, key=None, digest=hashlib.sha256, claims=None):
    """A signed token as a back end mints one; every part can be made wrong on purpose."""
    now = int(time.time())
    body = {"sub": agent, "workspace": workspace or WORKSPACE, "role": role, "iat": now, "exp": now + expires_in}
    body.update(claims or {})
    body = {name: value for name, value in body.items() if value is not None}
    head = header or {"alg": "HS256", "typ": "JWT"}
    signing_input = b64url(json.dumps(head, separators=(",", ":")).encode()) + "." + b64url(json.dumps(body, separators=(",", ":")).encode())
    signature = b"" if digest is None else hmac.new(key or SECRET, signing_input.encode(), digest).digest()
    return signing_input + "." + b64url(signature)


# --- Redis side ------------------------------------------------------------------------------

def intake_key(workspace=None):
    shards = int(r.hget(f"{PREFIX}:config", "intake_shards") or 1)
    return f"{PREFIX}:intake" if shards == 1 else f"{PREFIX}:intake:{zlib.crc32((workspace or WORKSPACE).encode()) % shards}"


def apply(workspace=None, **fields):
    """Writes an intake entry as a back end would and waits for its outcome."""
    stream = intake_key(workspace)
    entry = r.xadd(stream, {"workspace": workspace or WORKSPACE, "reply": "1", **fields})
    popped = r.blpop(f"{PREFIX}:reply{stream[len(PREFIX) + 7:]}:{entry}", timeout=int(WAIT))
    check(popped is not None, f"no worker applied {fields} within {WAIT}s")
    outcome = json.loads(popped[1])
    check(outcome.get("outcome") == "applied", f"{fields} was not applied: {outcome}")
    return outcome


def events_key(workspace=None):
    return f"{PREFIX}:{{{workspace or WORKSPACE}}}:events"


def stream_events(workspace=None):
    return [fields for _, fields in r.xrange(events_key(workspace))]


def last_version(workspace=None):
    last = r.xrevrange(events_key(workspace), count=1)
    return int(last[0][1]["version"]) if last else 0


def await_condition(condition, what, within=WAIT):
    """For state nothing announces (a hash field a worker writes): look again until the deadline."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    check(condition(), f"{what} did not happen within {within}s")


def assert_consecutive(versions, what):
    check(len(versions) == len(set(versions)), f"{what}: a version came twice: {versions}")
    check(versions == list(range(versions[0], versions[0] + len(versions))), f"{what}: versions are not consecutive: {versions}")


# --- Raw HTTP --------------------------------------------------------------------------------

class Connection:
    """A TCP connection to the gateway with a read buffer and deadlines."""

    def __init__(self):
        self.sock = socket.create_connection((HOST, PORT), timeout=WAIT)
        self.buffer = b""
        self.deadline = time.monotonic() + WAIT

    def send(self, data):
        self.sock.sendall(data)

    def fill(self):
        """Reads more bytes; False at EOF. Fails at the deadline."""
        remaining = self.deadline - time.monotonic()
        check(remaining > 0, "the gateway sent nothing more before the deadline")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise CheckFailed(f"the gateway sent nothing more within {WAIT}s")
        except ConnectionResetError:
            return False
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def take(self, count):
        while len(self.buffer) < count:
            check(self.fill(), f"the connection ended {count - len(self.buffer)} bytes short")
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def line(self):
        while b"\n" not in self.buffer:
            check(self.fill(), "the connection ended in the middle of a line")
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r").decode()

    def head(self):
        """Status code and headers (names lowercased; a list, as names may repeat)."""
        while b"\r\n\r\n" not in self.buffer:
            check(self.fill(), f"the connection ended before a response head; got {self.buffer!r}")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        check(parts[0].startswith("HTTP/1.") and len(parts) >= 2 and parts[1].isdigit(), f"not an HTTP status line: {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        return int(parts[1]), headers

    def rest(self):
        while self.fill():
            pass
        data, self.buffer = self.buffer, b""
        return data

    def at_eof(self):
        """Whether the gateway closed the connection (after anything still buffered)."""
        return not self.buffer and not self.fill()

    def close(self):
        self.sock.close()


def header(headers, name):
    values = [value for key, value in headers if key == name]
    return values[0] if values else None


def request(method, path, headers=(), body=b""):
    """One request on a fresh connection: status, headers, body (the JSON object when it is JSON)."""
    connection = Connection()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{PORT}", *headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    connection.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    status, response_headers = connection.head()
    length = header(response_headers, "content-length")
    data = connection.take(int(length)) if length is not None else connection.rest()
    connection.close()
    try:
        data = json.loads(data)
    except ValueError:
        pass
    return status, response_headers, data


def events_path(token=None, workspace=None, query=""):
    parameters = [part for part in (f"token={token}" if token else "", query) if part]
    return f"/v1/workspaces/{workspace or WORKSPACE}/events" + ("?" + "&".join(parameters) if parameters else "")


UPGRADE = ("Upgrade: websocket", "Connection: Upgrade")


def upgrade_headers(key=None, version="13"):
    key = base64.b64encode(os.urandom(16)).decode() if key is None else key
    return [*UPGRADE, *([f"Sec-WebSocket-Key: {key}"] if key != "" else []), *([f"Sec-WebSocket-Version: {version}"] if version else [])]


def expect_refusal(status, headers, body, wanted, what):
    check(status == wanted, f"{what}: HTTP {status}, expected {wanted}; body {body!r}")
    check(isinstance(body, dict) and isinstance(body.get("error"), str) and len(body["error"]) > 10,
          f"{what}: the body is not {{\"error\": \"<sentence>\"}}: {body!r}")


# --- WebSocket frames over a raw socket --------------------------------------------------------

def frame(opcode, payload=b"", fin=True, masked=True, rsv=0, declared_length=None):
    """A client frame as RFC 6455 section 5.2 lays it out; every field can be wrong on purpose."""
    length = len(payload) if declared_length is None else declared_length
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head = struct.pack("!BB", first, mask_bit | length)
    elif length < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, length)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))


TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


class RawWebSocket:
    """A handshake and frames on a raw socket; server frames are checked to be unmasked."""

    def __init__(self, token, query=""):
        self.connection = Connection()
        self.connection.send(("\r\n".join([f"GET {events_path(token, query=query)} HTTP/1.1", f"Host: {HOST}:{PORT}", *upgrade_headers()])
                              + "\r\n\r\n").encode())
        status, headers = self.connection.head()
        if status != 101:
            raise CheckFailed(f"the handshake got HTTP {status} {headers}: {self.connection.rest()!r}")

    def send(self, data):
        self.connection.send(data)

    def send_close_tolerant(self, data):
        """Sends what the gateway may refuse half-way (it may close before reading it all)."""
        try:
            self.connection.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def read_frame(self):
        """(fin, opcode, payload) of the next server frame."""
        first, second = self.connection.take(2)
        check(second & 0x80 == 0, "the server masked a frame (RFC 6455 5.1: a server must not)")
        check(first & 0x70 == 0, f"the server set reserved bits: {first:#x}")
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.connection.take(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.connection.take(8))[0]
        return bool(first & 0x80), first & 0x0F, self.connection.take(length)

    def read_message(self):
        """('text', str) | ('binary', bytes) | ('ping', bytes) | ('pong', bytes) | ('close', code, reason)."""
        pieces, kind = [], None
        while True:
            fin, opcode, payload = self.read_frame()
            if opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                return ("close", code, payload[2:].decode("utf-8", "replace"))
            if opcode in (PING, PONG):
                return ("ping" if opcode == PING else "pong", payload)
            if opcode in (TEXT, BINARY):
                check(kind is None, "the server began a new message inside a fragmented one")
                kind = opcode
            else:
                check(opcode == CONTINUATION and kind is not None, f"the server sent opcode {opcode:#x} out of place")
            pieces.append(payload)
            if fin:
                data = b"".join(pieces)
                return ("text", data.decode()) if kind == TEXT else ("binary", data)

    def await_message(self, wanted, what):
        """Reads messages (skipping snapshot and event JSON) until `wanted(message)` holds."""
        seen = []
        while True:
            message = self.read_message()
            if wanted(message):
                return message
            if message[0] == "close":
                raise CheckFailed(f"the server closed ({message[1]} {message[2]!r}) while waiting for {what}; before it: {seen[-5:]}")
            seen.append(message)

    def await_close(self, code, what):
        message = self.await_message(lambda message: message[0] == "close", f"a close frame ({what})")
        check(message[1] == code, f"{what}: close code {message[1]} ({message[2]!r}), expected {code}")
        check(self.connection.at_eof(), f"{what}: the connection stayed open after the close frame")
        return message

    def await_json(self, wanted, what):
        message = self.await_message(lambda message: message[0] == "text" and wanted(json.loads(message[1])), what)
        return json.loads(message[1])

    def close(self):
        self.connection.close()


def accepted(client_id):
    return lambda message: message.get("type") in ("accepted", "error") and message.get("id") == client_id


# --- The independent client ---------------------------------------------------------------------

def open_websocket(token=None, workspace=None, query="", headers=None):
    """A connected `websockets` client; use it in `with`, or close it (connections kept across
    steps are entered here, as websockets 17 wants every connection entered)."""
    return websockets_connect(f"ws://{HOST}:{PORT}{events_path(token, workspace, query)}", additional_headers=headers,
                              open_timeout=WAIT, close_timeout=WAIT, ping_interval=None, proxy=None, max_size=None).__enter__()


def receive(ws):
    try:
        data = ws.recv(timeout=WAIT)
    except TimeoutError:
        raise CheckFailed(f"no message within {WAIT}s")
    return json.loads(data)


def receive_until(ws, wanted, what):
    seen = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        except TimeoutError:
            break
        seen.append(message)
        if wanted(message):
            return message, seen
    raise CheckFailed(f"no {what} within {WAIT}s; the last messages: {seen[-5:]}")


def snapshot_of(ws, what="the stream"):
    first = receive(ws)
    check(first.get("type") == "snapshot", f"the first message of {what} is not a snapshot: {first}")
    return first


def status_of(agent, workspace=None):
    return r.hget(f"{PREFIX}:{{{workspace or WORKSPACE}}}:agent:{agent}", "status")


def sessions_of(agent, workspace=None):
    return set(r.hkeys(f"{PREFIX}:{{{workspace or WORKSPACE}}}:agent:{agent}:sessions"))


def supervisor(name="sup"):
    """A supervisor of the workspace (profile role and token role agree): id and token."""
    agent = unique(name)
    apply(op="agent.profile", agent=agent, role="supervisor")
    return agent, mint(agent, role="supervisor")


# --- SSE ------------------------------------------------------------------------------------------

class EventStream:
    """GET …/events as Server-Sent Events on a raw socket, chunked or not; yields parsed events."""

    def __init__(self, token=None, headers=(), query=""):
        self.connection = Connection()
        self.connection.send(("\r\n".join([f"GET {events_path(token, query=query)} HTTP/1.1", f"Host: {HOST}:{PORT}",
                                           "Accept: text/event-stream", *headers]) + "\r\n\r\n").encode())
        self.status, self.headers = self.connection.head()
        self.chunked = (header(self.headers, "transfer-encoding") or "").lower() == "chunked"
        self.text = b""

    def _more(self):
        if not self.chunked:
            check(self.connection.fill(), "the event stream ended")
            self.text += self.connection.buffer
            self.connection.buffer = b""
            return
        size = int(self.connection.line().split(";")[0], 16)
        check(size > 0, "the event stream ended (last chunk)")
        self.text += self.connection.take(size)
        check(self.connection.take(2) == b"\r\n", "a chunk does not end with CRLF")

    def _line(self):
        while b"\n" not in self.text:
            self._more()
        line, _, self.text = self.text.partition(b"\n")
        return line.rstrip(b"\r").decode()

    def next_event(self):
        """{'event', 'id', 'data'} of the next event (comments such as `: ping` skipped)."""
        fields, data = {}, []
        while True:
            line = self._line()
            if line == "":
                if data or fields:
                    return {"event": fields.get("event", "message"), "id": fields.get("id"), "data": json.loads("\n".join(data))}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            else:
                fields[name] = value

    def close(self):
        self.connection.close()


# =====================================================================================================
# handshake
# =====================================================================================================

def handshake_with_websockets_gets_a_snapshot():
    agent = unique("hs")
    with open_websocket(mint(agent)) as ws:
        snapshot = snapshot_of(ws)
        check(snapshot.get("workspace") == WORKSPACE, f"snapshot of the wrong workspace: {snapshot}")
        check(isinstance(snapshot.get("version"), int) and snapshot["version"] >= 0, f"no integer version: {snapshot}")
        viewer = snapshot.get("viewer") or {}
        check(viewer.get("agent") == agent and viewer.get("role") == "agent", f"viewer is not the token's agent: {viewer}")
        check(str(viewer.get("session", "")).startswith("gw-"), f"viewer session is not gw-…: {viewer}")
        for field in ("agents", "queues", "sessions", "settings", "widget", "recent_assignments"):
            check(field in snapshot, f"the snapshot has no {field}: {sorted(snapshot)}")
        check(ws.response.headers.get("Sec-WebSocket-Extensions") is None,
              f"the server accepted an extension it does not implement: {ws.response.headers.get('Sec-WebSocket-Extensions')}")


def accept_header_is_the_rfc_6455_value():
    for key, expected in [("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")] + \
            [(key, base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode())
             for key in [base64.b64encode(os.urandom(16)).decode()]]:
        connection = Connection()
        connection.send(("\r\n".join([f"GET {events_path(mint(unique('hs')))} HTTP/1.1", f"Host: {HOST}:{PORT}", *upgrade_headers(key)])
                         + "\r\n\r\n").encode())
        status, headers = connection.head()
        check(status == 101, f"HTTP {status} for a correct handshake: {headers}")
        check((header(headers, "upgrade") or "").lower() == "websocket", f"Upgrade is not websocket: {headers}")
        check("upgrade" in (header(headers, "connection") or "").lower(), f"Connection does not say Upgrade: {headers}")
        check(header(headers, "sec-websocket-accept") == expected,
              f"Sec-WebSocket-Accept for key {key} is {header(headers, 'sec-websocket-accept')}, expected {expected}")
        connection.close()


def missing_key_is_400():
    expect_refusal(*request("GET", events_path(mint(unique("hs"))), upgrade_headers(key="")), 400, "no Sec-WebSocket-Key")


def short_key_is_400():
    short = base64.b64encode(os.urandom(8)).decode()
    expect_refusal(*request("GET", events_path(mint(unique("hs"))), upgrade_headers(key=short)), 400, f"an 8-byte key {short}")


def non_base64_key_is_400():
    expect_refusal(*request("GET", events_path(mint(unique("hs"))), upgrade_headers(key="not*base64*at*all*!!!!==")), 400, "a key that is not base64")


def version_8_is_426_naming_13():
    status, headers, body = request("GET", events_path(mint(unique("hs"))), upgrade_headers(version="8"))
    expect_refusal(status, headers, body, 426, "Sec-WebSocket-Version 8")
    check(header(headers, "sec-websocket-version") == "13", f"426 without Sec-WebSocket-Version: 13: {headers}")


def other_methods_are_405():
    token = mint(unique("hs"))
    for method, path in [("POST", events_path(token)), ("DELETE", events_path(token)), ("GET", f"/v1/workspaces/{WORKSPACE}/intake?token={token}")]:
        status, headers, body = request(method, path)
        expect_refusal(status, headers, body, 405, f"{method} {path}")
        check(header(headers, "allow"), f"405 for {method} {path} without Allow: {headers}")


def unknown_path_is_404():
    token = mint(unique("hs"))
    for path in [f"/v1/workspaces/{WORKSPACE}/nothing?token={token}", f"/v2/workspaces/{WORKSPACE}/events?token={token}", "/v1/nothing"]:
        expect_refusal(*request("GET", path, upgrade_headers()), 404, f"GET {path}")


# =====================================================================================================
# framing
# =====================================================================================================

def action(client_id, status="away", **extra):
    return json.dumps({"type": "status", "status": status, "id": client_id, **extra}).encode()


def unmasked_client_frame_closes_1002():
    ws = RawWebSocket(mint(unique("fr")))
    ws.send(frame(TEXT, action("unmasked"), masked=False))
    ws.await_close(1002, "an unmasked client frame")


def fragmented_text_is_reassembled():
    ws = RawWebSocket(mint(unique("fr")))
    data = action("fragments")
    third = len(data) // 3
    ws.send(frame(TEXT, data[:third], fin=False) + frame(CONTINUATION, data[third:2 * third], fin=False) + frame(CONTINUATION, data[2 * third:]))
    reply = ws.await_json(accepted("fragments"), "the reply to a message in 3 fragments")
    check(reply["type"] == "accepted" and reply.get("entry"), f"a message in 3 fragments was not accepted: {reply}")
    ws.close()


def ping_between_fragments_is_answered():
    ws = RawWebSocket(mint(unique("fr")))
    data = action("interleaved")
    half = len(data) // 2
    ws.send(frame(TEXT, data[:half], fin=False) + frame(PING, b"in the middle") + frame(CONTINUATION, data[half:]))
    pong = ws.await_message(lambda message: message[0] == "pong", "a pong to a ping between fragments (RFC 6455 5.4)")
    check(pong[1] == b"in the middle", f"the pong carries {pong[1]!r}")
    reply = ws.await_json(accepted("interleaved"), "the reply to a fragmented message with a ping inside")
    check(reply["type"] == "accepted", f"not accepted: {reply}")
    ws.close()


def ping_gets_pong_with_the_same_payload():
    ws = RawWebSocket(mint(unique("fr")))
    for payload in [b"", b"hello", os.urandom(125)]:
        ws.send(frame(PING, payload))
        pong = ws.await_message(lambda message: message[0] == "pong", f"a pong to a {len(payload)}-byte ping")
        check(pong[1] == payload, f"the pong carries {pong[1]!r}, the ping {payload!r}")
    ws.close()


def websockets_ping_gets_a_pong():
    with open_websocket(mint(unique("fr"))) as ws:
        snapshot_of(ws)
        check(ws.ping(b"from websockets").wait(WAIT), f"no pong to websockets' ping within {WAIT}s")


def binary_message_gets_an_error():
    ws = RawWebSocket(mint(unique("fr")))
    ws.send(frame(BINARY, action("binary")))
    reply = ws.await_json(lambda message: message.get("type") in ("error", "accepted"), "the reply to a binary message")
    check(reply["type"] == "error" and reply.get("id") is None, f"a binary message was not refused with an error (id null): {reply}")
    ws.send(frame(PING, b"still open"))
    ws.await_message(lambda message: message[0] == "pong", "a pong after the binary message")
    ws.close()


def message_of_exactly_64_kib_is_taken():
    ws = RawWebSocket(mint(unique("fr")))
    data = action("edge")
    ws.send(frame(TEXT, data + b" " * (64 * 1024 - len(data))))
    reply = ws.await_json(accepted("edge"), "the reply to a message of exactly 64 KiB")
    check(reply["type"] == "accepted", f"a 64 KiB message (JSON padded with spaces) was not accepted: {reply}")
    ws.close()


def frame_over_64_kib_closes_1009():
    ws = RawWebSocket(mint(unique("fr")))
    data = action("big")
    ws.send_close_tolerant(frame(TEXT, data + b" " * (64 * 1024 + 1 - len(data))))
    ws.await_close(1009, "a 64 KiB + 1 frame")


def fragmented_message_over_64_kib_closes_1009():
    ws = RawWebSocket(mint(unique("fr")))
    ws.send_close_tolerant(frame(TEXT, b" " * 40_000, fin=False) + frame(CONTINUATION, b" " * 40_000))
    ws.await_close(1009, "a message of two 40 000-byte fragments")


def invalid_utf8_text_closes_1007():
    ws = RawWebSocket(mint(unique("fr")))
    ws.send(frame(TEXT, b'{"type":"status","status":"away","message":"\xff\xfe"}'))
    ws.await_close(1007, "a text frame that is not UTF-8")


def client_close_is_echoed():
    ws = RawWebSocket(mint(unique("fr")))
    ws.send(frame(CLOSE, struct.pack("!H", 1000) + b"bye"))
    ws.await_close(1000, "a client close 1000")


def reserved_opcode_closes_1002():
    ws = RawWebSocket(mint(unique("fr")))
    ws.send(frame(0x3, b"reserved"))
    ws.await_close(1002, "opcode 0x3")


def reserved_bits_close_1002():
    ws = RawWebSocket(mint(unique("fr")))
    ws.send(frame(TEXT, action("rsv"), rsv=0x4))
    ws.await_close(1002, "RSV1 without an extension")


def long_or_fragmented_control_frame_closes_1002():
    ws = RawWebSocket(mint(unique("fr")))
    ws.send(frame(PING, b"x" * 126))
    ws.await_close(1002, "a 126-byte ping")
    ws = RawWebSocket(mint(unique("fr")))
    ws.send(frame(PING, b"half", fin=False))
    ws.await_close(1002, "a fragmented ping")


def server_pings_an_idle_connection():
    ws = RawWebSocket(mint(unique("idle")))
    ws.connection.deadline = time.monotonic() + HEARTBEAT_WAIT
    ping = ws.await_message(lambda message: message[0] == "ping", "a ping from the gateway (every 20 s)")
    ws.send(frame(PONG, ping[1]))
    ws.close()


# =====================================================================================================
# sse
# =====================================================================================================

def sse_starts_with_a_snapshot_then_events():
    watcher = unique("sse")
    other = unique("sse-other")
    apply(op="agent.status", agent=other, status="online")
    stream = EventStream(mint(watcher))
    check(stream.status == 200, f"HTTP {stream.status} {stream.headers}")
    content_type = header(stream.headers, "content-type") or ""
    check(content_type.startswith("text/event-stream"), f"Content-Type is {content_type!r}")
    check(header(stream.headers, "cache-control") == "no-cache", f"Cache-Control is not no-cache: {stream.headers}")
    check(header(stream.headers, "x-accel-buffering") == "no", f"X-Accel-Buffering is not no: {stream.headers}")
    first = stream.next_event()
    check(first["event"] == "snapshot" and first["data"].get("type") == "snapshot", f"the first event is not a snapshot: {first}")
    check(first["id"] == str(first["data"]["version"]), f"the snapshot's id: {first['id']!r}, its version {first['data']['version']}")
    apply(op="agent.status", agent=other, status="dnd", message="from redis")
    versions = [first["data"]["version"]]
    while True:
        event = stream.next_event()
        check(event["event"] == event["data"].get("type"), f"event: {event['event']} carries type {event['data'].get('type')}")
        check(event["id"] == str(event["data"].get("version")), f"id {event['id']!r} for version {event['data'].get('version')}")
        versions.append(event["data"]["version"])
        if event["event"] == "status" and event["data"].get("agent_id") == other:
            check(event["data"].get("status") == "dnd" and event["data"].get("message") == "from redis", f"{event}")
            break
    assert_consecutive(versions, "snapshot then events")
    stream.close()


def sse_last_event_id_resumes_without_a_snapshot():
    watcher, other = unique("sse"), unique("sse-other")
    stream = EventStream(mint(watcher))
    snapshot = stream.next_event()
    check(snapshot["event"] == "snapshot", f"not a snapshot: {snapshot}")
    apply(op="agent.status", agent=other, status="away")
    while True:
        event = stream.next_event()
        if event["data"].get("agent_id") == other:
            break
    resume_from = int(event["id"])
    stream.close()
    # While nobody listens, two more changes.
    apply(op="agent.status", agent=other, status="busy")
    apply(op="agent.status", agent=other, status="dnd")
    # The URL still carries the `since` the page first opened with, as an EventSource's does:
    # the header, which an EventSource updates on every reconnect, wins.
    stream = EventStream(mint(watcher), headers=[f"Last-Event-ID: {resume_from}"], query=f"since={resume_from - 1}")
    check(stream.status == 200, f"HTTP {stream.status} on resume")
    versions, statuses = [], []
    while "dnd" not in statuses:
        event = stream.next_event()
        check(event["event"] != "snapshot", f"a snapshot on a resume the stream holds (Last-Event-ID {resume_from})")
        versions.append(int(event["id"]))
        if event["data"].get("agent_id") == other:
            statuses.append(event["data"]["status"])
    check(versions[0] == resume_from + 1, f"the resume starts at {versions[0]}, expected {resume_from + 1}")
    assert_consecutive(versions, "after Last-Event-ID")
    check(statuses == ["busy", "dnd"], f"the changes made while away: {statuses}")
    stream.close()


def sse_takes_the_token_as_bearer():
    stream = EventStream(headers=[f"Authorization: Bearer {mint(unique('sse'))}"])
    check(stream.status == 200, f"HTTP {stream.status} with a Bearer token")
    check(stream.next_event()["event"] == "snapshot", "no snapshot with a Bearer token")
    stream.close()


# =====================================================================================================
# auth
# =====================================================================================================

def refused(token, wanted, what, workspace=None):
    """Both ways in, WebSocket and SSE, refuse `token` with `wanted`."""
    path = events_path(token, workspace)
    for way, headers in [("WebSocket", upgrade_headers()), ("SSE", ["Accept: text/event-stream"])]:
        status, response_headers, body = request("GET", path, headers)
        expect_refusal(status, response_headers, body, wanted, f"{what} ({way})")
        if wanted == 401:
            check((header(response_headers, "www-authenticate") or "").startswith("Bearer"), f"{what} ({way}): 401 without WWW-Authenticate: Bearer")


def no_token_is_401():
    refused(None, 401, "no token")


def bad_signature_is_401():
    refused(mint(unique("au"), key=b"another secret that is long enough to be one"), 401, "a token signed with another secret")


def tampered_claims_are_401():
    token = mint(unique("au"))
    head, _, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    claims["role"] = "owner"
    refused(f"{head}.{b64url(json.dumps(claims).encode())}.{signature}", 401, "a token whose role was raised after signing")


def expired_token_is_401():
    refused(mint(unique("au"), expires_in=-60), 401, "a token expired a minute ago")


def token_without_exp_is_401():
    refused(mint(unique("au"), claims={"exp": None}), 401, "a token without exp")


def alg_none_is_401():
    refused(mint(unique("au"), header={"alg": "none", "typ": "JWT"}, digest=None), 401, "alg none, no signature")
    refused(mint(unique("au"), header={"alg": "none", "typ": "JWT"}), 401, "alg none with an HS256 signature")


def other_header_or_claim_faults_are_401():
    refused(mint(unique("au"), header={"alg": "HS256", "typ": "JWS"}), 401, "typ JWS")
    refused(mint(unique("au"), header={"alg": "HS256", "typ": "JWT", "crit": ["exp"]}), 401, "a crit header")
    refused(mint(unique("au"), claims={"nbf": int(time.time()) + 3600}), 401, "nbf an hour ahead")
    refused(mint("not an id"), 401, "sub 'not an id'")
    refused(mint(unique("au"), claims={"workspace": None}), 401, "no workspace claim")
    refused("not-a-token", 401, "one part")
    refused(mint(unique("au")) + ".extra", 401, "four parts")


def alg_hs512_is_401():
    refused(mint(unique("au"), header={"alg": "HS512", "typ": "JWT"}, digest=hashlib.sha512), 401, "alg HS512")


def unknown_role_is_401():
    refused(mint(unique("au"), role="king"), 401, "role king")


def other_workspace_is_403():
    refused(mint(unique("au"), workspace=WORKSPACE + "-other"), 403, "a token of another workspace")


def bearer_header_works():
    agent = unique("au")
    with open_websocket(headers={"Authorization": f"Bearer {mint(agent)}"}) as ws:
        check(snapshot_of(ws)["viewer"]["agent"] == agent, "the Bearer token's agent is not the viewer")


def query_token_works():
    agent = unique("au")
    with open_websocket(mint(agent)) as ws:
        check(snapshot_of(ws)["viewer"]["agent"] == agent, "the ?token= agent is not the viewer")


def refused_actions_write_nothing(agent, token, actions, forbidden):
    """Sends each action on a WebSocket of `token` (agent `agent`): each gets an `error`, and
    no intake entry holding any of `forbidden` is written. MONITOR sees every command Redis
    runs, so it sees the gateway's XADDs before any worker reads and deletes them; an own
    status sent last is the barrier (once its event arrives, anything sent before it was
    written, if it ever was)."""
    written, ready, done = [], threading.Event(), threading.Event()
    marker = "marker-" + uuid.uuid4().hex[:8]

    def watch_writes():
        with redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True, socket_timeout=WAIT).monitor() as monitor:
            ready.set()
            while not done.is_set():
                command = monitor.next_command()["command"]
                if command.startswith("XADD") and f"{PREFIX}:intake" in command:
                    written.append(command)
                    if marker in command:
                        done.set()

    watcher = threading.Thread(target=watch_writes, daemon=True)
    watcher.start()
    check(ready.wait(WAIT), "MONITOR did not start")
    with open_websocket(token) as ws:
        snapshot_of(ws)
        for index, action in enumerate(actions):
            ws.send(json.dumps({**action, "id": f"refused-{index}"}))
            reply, _ = receive_until(ws, lambda message: message.get("id") == f"refused-{index}", f"a reply to {action}")
            check(reply.get("type") == "error" and isinstance(reply.get("error"), str) and reply["error"],
                  f"{action} with a {agent} token was not refused: {reply}")
        ws.send(json.dumps({"type": "status", "status": "away", "message": marker, "id": "own"}))
        own, _ = receive_until(ws, lambda message: message.get("id") == "own", "a reply to the own status")
        check(own.get("type") == "accepted", f"the agent's own status was not accepted: {own}")
        receive_until(ws, lambda message: message.get("type") == "status" and message.get("agent_id") == agent and message.get("message") == marker,
                      "the agent's own status event")
    watcher.join(WAIT)
    check(done.is_set(), "MONITOR never saw the agent's own status entry")
    leaked = [command for command in written if any(word in command for word in forbidden)]
    check(not leaked, f"refused actions were written: {leaked}")


def agent_token_cannot_override_another_agent():
    agent, target = unique("au"), unique("au-target")
    apply(op="agent.status", agent=target, status="online")
    before = last_version()
    refused_actions_write_nothing(agent, mint(agent), [{"type": "status", "agent": target, "status": "dnd"}], [target])
    later = [event for event in stream_events() if int(event["version"]) > before and event.get("agent_id") == target]
    check(not later, f"events about {target} after the refusal: {later}")
    check(status_of(target) == "online", f"{target} is {status_of(target)}")


def agent_token_cannot_assign_reassign_or_transfer():
    agent, other = unique("au"), unique("au-other")
    conversation = unique("conv")
    apply(op="agent.status", agent=other, status="online")
    apply(op="conversation.new", conversation=conversation, team=unique("team"))
    refused_actions_write_nothing(agent, mint(agent), [
        {"type": "assign", "conversation": conversation, "agent": other},
        {"type": "reassign", "agent": other, "to": agent},
        {"type": "transfer", "conversation": conversation, "team": "elsewhere"},
    ], [conversation, "agent.reassign"])


def actor_or_workspace_in_an_action_is_refused():
    boss, token = supervisor()
    target = unique("au-target")
    apply(op="agent.status", agent=target, status="online")
    refused_actions_write_nothing(boss, token, [
        {"type": "status", "agent": target, "status": "dnd", "actor": "mallory"},
        {"type": "status", "status": "dnd", "workspace": WORKSPACE + "-other"},
    ], ["mallory", WORKSPACE + "-other"])
    check(status_of(target) == "online", f"{target} is {status_of(target)}")


def supervisor_override_carries_the_token_agent_as_actor():
    boss, token = supervisor()
    target = unique("au-target")
    apply(op="agent.status", agent=target, status="online")
    with open_websocket(token) as ws:
        snapshot_of(ws)
        ws.send(json.dumps({"type": "status", "agent": target, "status": "dnd", "message": "meeting", "id": "o1"}))
        reply, _ = receive_until(ws, lambda message: message.get("id") == "o1", "the reply to the override")
        check(reply.get("type") == "accepted" and reply.get("entry"), f"the supervisor's override was not accepted: {reply}")
        event, _ = receive_until(ws, lambda message: message.get("type") == "status" and message.get("agent_id") == target,
                                 "the override's status event")
    check(event.get("actor") == boss and event.get("reason") == "override" and event.get("status") == "dnd",
          f"the override event is not by the token's agent {boss}: {event}")
    check(event.get("entry") == reply["entry"], f"the event's entry {event.get('entry')} is not the accepted one {reply['entry']}")


def supervisor_token_of_a_stored_agent_is_rejected_by_the_worker():
    """The token's role lets the override through; the stored role (agent) refuses it."""
    pretender, target = unique("au"), unique("au-target")
    apply(op="agent.status", agent=target, status="online")
    with open_websocket(mint(pretender, role="supervisor")) as ws:
        snapshot_of(ws)
        ws.send(json.dumps({"type": "status", "agent": target, "status": "dnd", "id": "o2"}))
        reply, _ = receive_until(ws, lambda message: message.get("id") == "o2", "the reply to the override")
        check(reply.get("type") == "accepted", f"a supervisor token's override was not accepted by the gateway: {reply}")
        event, _ = receive_until(ws, lambda message: message.get("entry") == reply["entry"], "the worker's outcome of the override")
    check(event.get("type") == "rejected" and event.get("actor") == pretender and "role" in event.get("error", ""),
          f"the override of a stored agent was not rejected: {event}")
    check(status_of(target) == "online", f"{target} is {status_of(target)}")


def intake_post(token, body, headers=()):
    auth = [f"Authorization: Bearer {token}"] if token else []
    return request("POST", f"/v1/workspaces/{WORKSPACE}/intake", [*auth, "Content-Type: application/json", *headers], body)


def post_intake_is_202_with_the_entry():
    agent = unique("au")
    status, _, body = intake_post(mint(agent), json.dumps({"type": "status", "status": "busy", "message": "by POST"}).encode())
    check(status == 202 and isinstance(body, dict) and body.get("type") == "accepted" and body.get("entry"), f"HTTP {status} {body!r}")
    await_condition(lambda: status_of(agent) == "busy", f"{agent} becoming busy")
    written = [event for event in stream_events() if event.get("agent_id") == agent and event.get("type") == "status"]
    check(written and written[-1].get("entry") == body["entry"] and written[-1].get("actor") == agent,
          f"the status event is not the POSTed entry's, by {agent}: {written}")
    check(sessions_of(agent) == set(), f"a POST opened sessions: {sessions_of(agent)}")


def post_intake_refusals():
    token = mint(unique("au"))
    expect_refusal(*intake_post(token, b"{not json"), 400, "POST garbage")
    expect_refusal(*intake_post(token, json.dumps({"type": "fly"}).encode()), 400, "POST an unknown type")
    expect_refusal(*intake_post(token, json.dumps({"type": "status", "status": "napping"}).encode()), 400, "POST status napping")
    expect_refusal(*intake_post(None, json.dumps({"type": "status", "status": "away"}).encode()), 401, "POST without a token")
    expect_refusal(*intake_post(mint(unique("au"), expires_in=-1), json.dumps({"type": "status", "status": "away"}).encode()), 401, "POST expired")
    expect_refusal(*intake_post(mint(unique("au"), workspace=WORKSPACE + "-other"), json.dumps({"type": "status", "status": "away"}).encode()),
                   403, "POST with another workspace's token")


# =====================================================================================================
# resume
# =====================================================================================================

def resume_with_since_is_gap_free():
    agents = [unique("steady") for _ in range(3)]
    stop = threading.Event()
    failures = []

    def writer():
        statuses = ["online", "busy", "away"]
        turn = 0
        try:
            while not stop.is_set():
                # Each agent moves to the next status at each of its turns: every entry emits an event.
                apply(op="agent.status", agent=agents[turn % 3], status=statuses[(turn // 3) % 3])
                turn += 1
        except Exception as error:  # reported below: a dead writer would make the check wait in vain
            failures.append(error)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        token = mint(unique("resume"))
        ws = open_websocket(token)
        snapshot = snapshot_of(ws)
        versions = [snapshot["version"]]
        while len(versions) < 12:
            check(not failures, f"the writer failed: {failures}")
            message = receive(ws)
            check(message.get("type") != "snapshot", f"a second snapshot: {message}")
            versions.append(message["version"])
        # A network drop: no close handshake.
        ws.socket.shutdown(socket.SHUT_RDWR)
        ws.close()
        with open_websocket(token, query=f"since={versions[-1]}") as ws:
            resumed = []
            while len(resumed) < 12:
                check(not failures, f"the writer failed: {failures}")
                message = receive(ws)
                check(message.get("type") != "snapshot", f"a snapshot on a resume the stream holds (since={versions[-1]}): {message}")
                resumed.append(message["version"])
    finally:
        stop.set()
        thread.join(WAIT)
    check(resumed[0] == versions[-1] + 1, f"the resume starts at {resumed[0]}, expected {versions[-1] + 1}")
    assert_consecutive(versions + resumed, "across the drop")


def private_workspace(name):
    workspace = f"{WORKSPACE}-{name}"[:64]
    return workspace, (lambda agent, role="agent": mint(agent, role=role, workspace=workspace))


def since_older_than_the_stream_gets_a_snapshot():
    workspace, token_for = private_workspace("trim")
    agent = unique("trim")
    for status in ["online", "busy", "away"]:
        apply(workspace=workspace, op="agent.status", agent=agent, status=status)
    r.xtrim(events_key(workspace), maxlen=0, approximate=False)
    apply(workspace=workspace, op="agent.status", agent=agent, status="dnd")
    with open_websocket(token_for(unique("reader")), workspace=workspace, query="since=1") as ws:
        snapshot = snapshot_of(ws, "a resume from a trimmed version")
        check(snapshot["version"] >= 4, f"the snapshot is older than the workspace: {snapshot['version']}")
        check([a for a in snapshot["agents"] if a["agent"] == agent][0]["status"] == "dnd", f"the snapshot does not show {agent} dnd")
        apply(workspace=workspace, op="agent.status", agent=agent, status="online")
        versions = [snapshot["version"]]
        while True:
            message = receive(ws)
            versions.append(message["version"])
            if message.get("agent_id") == agent:
                break
        assert_consecutive(versions, "after the snapshot")


def since_beyond_the_last_version_gets_a_snapshot():
    workspace, token_for = private_workspace("ahead")
    apply(workspace=workspace, op="agent.status", agent="a1", status="online")
    with open_websocket(token_for(unique("reader")), workspace=workspace, query="since=1000000") as ws:
        snapshot = snapshot_of(ws, "a resume from a version the workspace never reached")
        check(snapshot["version"] < 1000000, f"{snapshot['version']}")


def since_at_the_tail_gets_no_snapshot():
    workspace, token_for = private_workspace("tail")
    apply(workspace=workspace, op="agent.status", agent="a1", status="online")
    apply(workspace=workspace, op="agent.status", agent="a1", status="busy")
    tail = last_version(workspace)
    with open_websocket(token_for(unique("reader")), workspace=workspace, query=f"since={tail}") as ws:
        apply(workspace=workspace, op="agent.status", agent="a1", status="away")
        versions = []
        while True:
            message = receive(ws)
            check(message.get("type") != "snapshot", f"a snapshot for since={tail}, the last version: {message}")
            versions.append(message["version"])
            if message.get("agent_id") == "a1":
                break
        check(versions[0] == tail + 1, f"the first event after since={tail} is {versions[0]}")
        assert_consecutive(versions, "after since")


def bad_since_is_400():
    token = mint(unique("resume"))
    for since in ["abc", "-1", "1.5", "99999999999999999999999999"]:
        expect_refusal(*request("GET", events_path(token, query=f"since={since}"), upgrade_headers()), 400, f"since={since!r} (WebSocket)")
        expect_refusal(*request("GET", events_path(token, query=f"since={since}"), ["Accept: text/event-stream"]), 400, f"since={since!r} (SSE)")
        expect_refusal(*request("GET", events_path(token), ["Accept: text/event-stream", f"Last-Event-ID: {since}"]), 400, f"Last-Event-ID {since!r}")


# =====================================================================================================
# sessions
# =====================================================================================================

def watch_as_supervisor():
    _, token = supervisor("watch")
    ws = open_websocket(token)
    snapshot_of(ws)
    return ws


def await_status(observer, agent, status, reason):
    event, _ = receive_until(observer, lambda message: message.get("type") == "status" and message.get("agent_id") == agent
                             and message.get("status") == status, f"{agent} becoming {status}")
    check(event.get("reason") == reason, f"{agent} became {status} with reason {event.get('reason')}, expected {reason}: {event}")
    return event


def websocket_is_a_session_until_it_closes():
    observer = watch_as_supervisor()
    agent = unique("tab")
    ws = open_websocket(mint(agent))
    session = snapshot_of(ws)["viewer"]["session"]
    await_status(observer, agent, "online", "login")
    check(session in sessions_of(agent), f"the socket's session {session} is not among {sessions_of(agent)}")
    ws.close()
    event = await_status(observer, agent, "offline", "logout")
    check(event.get("actor") == agent, f"the logout's actor: {event}")
    check(sessions_of(agent) == set(), f"sessions left after the close: {sessions_of(agent)}")
    observer.close()


def second_tab_keeps_the_agent_online():
    observer = watch_as_supervisor()
    agent = unique("tabs")
    first = open_websocket(mint(agent))
    first_session = snapshot_of(first)["viewer"]["session"]
    await_status(observer, agent, "online", "login")
    second = open_websocket(mint(agent))
    second_session = snapshot_of(second)["viewer"]["session"]
    check(first_session != second_session, f"two sockets share session {first_session}")
    await_condition(lambda: sessions_of(agent) == {first_session, second_session}, f"sessions {first_session} and {second_session}")
    first.close()
    await_condition(lambda: sessions_of(agent) == {second_session}, f"only {second_session} left")
    check(status_of(agent) == "online", f"closing one of two tabs made {agent} {status_of(agent)}")
    second.close()
    await_status(observer, agent, "offline", "logout")
    observer.close()


def status_events_until(observer, agent, wanted, what):
    """The status events of `agent` the observer sees up to the first one `wanted` holds for."""
    _, seen = receive_until(observer, lambda message: message.get("type") == "status" and message.get("agent_id") == agent and wanted(message), what)
    return [message for message in seen if message.get("type") == "status" and message.get("agent_id") == agent]


def event_stream_is_a_session_too():
    """An SSE stream ending writes no logout (nothing says the client meant to leave): its
    session stays until a clean WebSocket close of the same session ends it."""
    observer = watch_as_supervisor()
    agent = unique("sse-tab")
    stream = EventStream(mint(agent))
    session = stream.next_event()["data"]["viewer"]["session"]
    await_status(observer, agent, "online", "login")
    check(session in sessions_of(agent), f"the event stream's session {session} is not among {sessions_of(agent)}")
    stream.close()
    ws = open_websocket(mint(agent), query=f"session={session}")
    check(snapshot_of(ws)["viewer"]["session"] == session, "the WebSocket did not take over the event stream's session")
    ws.send(json.dumps({"type": "status", "status": "busy", "message": "sse-back", "id": "back"}))
    receive_until(ws, accepted("back"), "the reply to the action after the reconnect")
    seen = status_events_until(observer, agent, lambda message: message.get("message") == "sse-back", "the status written after the reconnect")
    check([m.get("status") for m in seen] == ["busy"], f"the event stream's end changed {agent}'s status: {seen}")
    check(sessions_of(agent) == {session}, f"sessions after the reconnect: {sessions_of(agent)}, expected {{{session!r}}}")
    ws.close()
    await_status(observer, agent, "offline", "logout")
    check(sessions_of(agent) == set(), f"sessions left after the clean close: {sessions_of(agent)}")
    observer.close()


def dropped_socket_resumes_its_session_and_status():
    """A socket dropped without a close frame writes no logout; the reconnect with `since` and
    `session` refreshes that session, so an agent in Do Not Disturb stays there."""
    observer = watch_as_supervisor()
    agent = unique("blip")
    token = mint(agent)
    raw = RawWebSocket(token)
    session = raw.await_json(lambda message: message.get("type") == "snapshot", "the snapshot")["viewer"]["session"]
    await_status(observer, agent, "online", "login")
    raw.send(frame(TEXT, json.dumps({"type": "status", "status": "dnd", "id": "dnd"}).encode()))
    raw.await_json(accepted("dnd"), "the dnd action's reply")
    version = await_status(observer, agent, "dnd", "manual")["version"]
    raw.close()  # no close frame: the network dropped it
    ws = open_websocket(token, query=f"since={version}&session={session}")
    ws.send(json.dumps({"type": "status", "status": "dnd", "message": "back", "id": "back"}))
    reply, _ = receive_until(ws, accepted("back"), "the reply to the action after the reconnect")
    check(reply["type"] == "accepted", f"the action after the reconnect: {reply}")
    seen = status_events_until(observer, agent, lambda message: message.get("message") == "back", "the status written after the reconnect")
    check([m.get("status") for m in seen] == ["dnd"], f"the drop and reconnect changed {agent}'s status: {seen}")
    check(status_of(agent) == "dnd", f"{agent} is {status_of(agent)} after the reconnect, expected dnd")
    check(sessions_of(agent) == {session}, f"sessions after the reconnect: {sessions_of(agent)}, expected {{{session!r}}}")
    ws.close()  # a clean close still logs out
    await_status(observer, agent, "offline", "logout")
    check(sessions_of(agent) == set(), f"sessions left after the clean close: {sessions_of(agent)}")
    observer.close()


def bad_session_is_400():
    token = mint(unique("session"))
    for session in ["", "a b", "x" * 65, "é"]:
        query = "session=" + urllib.parse.quote(session)
        expect_refusal(*request("GET", events_path(token, query=query), upgrade_headers()), 400, f"session={session!r} (WebSocket)")
        expect_refusal(*request("GET", events_path(token, query=query), ["Accept: text/event-stream"]), 400, f"session={session!r} (SSE)")


def open_stream_heartbeats_its_session():
    agent = unique("beat")
    with open_websocket(mint(agent)) as ws:
        session = snapshot_of(ws)["viewer"]["session"]
        expiry = lambda: int(r.hget(f"{PREFIX}:{{{WORKSPACE}}}:agent:{agent}:sessions", session) or 0)
        await_condition(lambda: expiry() > 0, f"session {session} opening")
        first = expiry()
        # The gateway heartbeats every 20 s: within two intervals the expiry moves on.
        await_condition(lambda: expiry() > first, f"a heartbeat of session {session} (expiry {first})", within=HEARTBEAT_WAIT)


# =====================================================================================================
# limits (a worker started with --gateway-max-connections 3)
# =====================================================================================================

MAX_CONNECTIONS = 3


def open_when_admitted(token):
    """Connections a check just closed may still count for a moment: retry while the gateway says 503."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return open_websocket(token)
        except InvalidStatus as refusal:
            if refusal.response.status_code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def connections_over_the_limit_get_503():
    open_connections = []
    try:
        for _ in range(MAX_CONNECTIONS):
            open_connections.append(open_when_admitted(mint(unique("lim"))))
            snapshot_of(open_connections[-1])
        status, headers, body = request("GET", events_path(mint(unique("lim"))), upgrade_headers())
        expect_refusal(status, headers, body, 503, "one WebSocket over the limit")
        check(header(headers, "retry-after") == "5", f"503 without Retry-After: 5: {headers}")
        expect_refusal(*request("GET", events_path(mint(unique("lim"))), ["Accept: text/event-stream"]), 503, "one event stream over the limit")
        open_connections.pop().close()
        with open_when_admitted(mint(unique("lim"))) as ws:
            snapshot_of(ws, "a connection after one closed")
    finally:  # the next check needs the room
        for ws in open_connections:
            ws.close()


def action_flood_gets_errors_then_1008():
    deadline = time.monotonic() + WAIT
    while True:  # the previous check's connections may still count for a moment
        try:
            ws = RawWebSocket(mint(unique("flood")))
            break
        except CheckFailed as refusal:
            if "HTTP 503" not in str(refusal) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    ws.send_close_tolerant(b"".join(frame(TEXT, action(f"flood-{index}", status=("away", "busy")[index % 2])) for index in range(200)))
    replies = {"accepted": 0, "error": 0}
    while sum(replies.values()) < 200:
        message = ws.read_message()
        if message[0] == "close":
            check(message[1] == 1008, f"a flood was closed with {message[1]} ({message[2]!r}), expected 1008")
            break
        if message[0] == "text":
            reply = json.loads(message[1])
            if str(reply.get("id", "")).startswith("flood-"):
                replies[reply["type"]] += 1
    check(replies["error"] > 0, f"200 actions at once got no error: {replies}")
    ws.close()


AREAS = {
    "handshake": [handshake_with_websockets_gets_a_snapshot, accept_header_is_the_rfc_6455_value, missing_key_is_400, short_key_is_400,
                  non_base64_key_is_400, version_8_is_426_naming_13, other_methods_are_405, unknown_path_is_404],
    "framing": [unmasked_client_frame_closes_1002, fragmented_text_is_reassembled, ping_between_fragments_is_answered,
                ping_gets_pong_with_the_same_payload, websockets_ping_gets_a_pong, binary_message_gets_an_error, message_of_exactly_64_kib_is_taken,
                frame_over_64_kib_closes_1009, fragmented_message_over_64_kib_closes_1009, invalid_utf8_text_closes_1007,
                client_close_is_echoed, reserved_opcode_closes_1002, reserved_bits_close_1002, long_or_fragmented_control_frame_closes_1002,
                server_pings_an_idle_connection],
    "sse": [sse_starts_with_a_snapshot_then_events, sse_last_event_id_resumes_without_a_snapshot, sse_takes_the_token_as_bearer],
    "auth": [no_token_is_401, bad_signature_is_401, tampered_claims_are_401, expired_token_is_401, token_without_exp_is_401, alg_none_is_401,
             alg_hs512_is_401, other_header_or_claim_faults_are_401, unknown_role_is_401, other_workspace_is_403, bearer_header_works,
             query_token_works, agent_token_cannot_override_another_agent, agent_token_cannot_assign_reassign_or_transfer,
             actor_or_workspace_in_an_action_is_refused, supervisor_override_carries_the_token_agent_as_actor,
             supervisor_token_of_a_stored_agent_is_rejected_by_the_worker,
             post_intake_is_202_with_the_entry, post_intake_refusals],
    "resume": [resume_with_since_is_gap_free, since_older_than_the_stream_gets_a_snapshot, since_beyond_the_last_version_gets_a_snapshot,
               since_at_the_tail_gets_no_snapshot, bad_since_is_400],
    "sessions": [websocket_is_a_session_until_it_closes, second_tab_keeps_the_agent_online, event_stream_is_a_session_too,
                 dropped_socket_resumes_its_session_and_status, bad_session_is_400, open_stream_heartbeats_its_session],
    "limits": [connections_over_the_limit_get_503, action_flood_gets_errors_then_1008],
}


def main(areas):
    unknown = [area for area in areas if area not in AREAS]
    if not areas or unknown:
        sys.exit(f"usage: gateway_protocol.py AREA [AREA ...], AREA one of {', '.join(AREAS)}; unknown: {unknown}")
    any_failed = False
    for area in areas:
        passed, failed = 0, 0
        for check_function in AREAS[area]:
            try:
                check_function()
                passed += 1
                print(f"ok   {area}/{check_function.__name__}", flush=True)
            except Exception as error:  # a check that fails in any way is reported, and the next one runs
                failed += 1
                print(f"FAIL {area}/{check_function.__name__}: {type(error).__name__}: {error}", flush=True)
                traceback.print_exc(file=sys.stdout)
        print(f"gateway {area}: {passed} passed, {failed} failed", flush=True)
        any_failed = any_failed or failed > 0
    sys.exit(1 if any_failed else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
