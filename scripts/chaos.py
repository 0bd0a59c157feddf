#!/usr/bin/env python3
"""Chaos test of Switchboard workers: kill -9, a Redis restart and a SIGTERM under load.

Usage:
    python3 scripts/chaos.py [--duration SECONDS] [--switchboard PATH] [--seed N]
                             [--workers 3] [--rate N] [--intake-shards N] [--keep]

    python3 scripts/chaos.py --duration 20    # the short version CI runs (ChaosTests)
    python3 scripts/chaos.py                  # the full version, 120 s of load

Everything runs on loopback in a temporary folder and stops by itself, within about
--duration + 60 s:

  * its own redis-server (never 6379; a Unix socket plus a random 127.0.0.1 port) with
    `--appendonly yes --appendfsync always --save ""`, and a fresh key prefix;
  * --workers `switchboard worker` processes (unique names, `--intake-shards` as given,
    so every worker reads every shard in one XREADGROUP; `--session-ttl 3600s` so no
    session expires during the run; `--claim-idle 2s --max-deliveries 5` when the binary
    has those flags), each logging to a file in the temporary folder;
  * a load generator writing a mixed workload to the workspace's intake stream (`sb:intake`,
    or with N shards `<prefix>:intake:<zlib.crc32(workspace) mod N>`) with XADD (about
    --rate entries/s): ~30 agents (profiles with capacity 1-3, teams, two supervisors),
    logins, heartbeats, status changes and supervisor overrides, logouts, conversations
    new/close/transfer, agent.reassign (back to the queues, or to an agent that never logs
    in and has room for everything), a few workspace.settings, and a few deliberately
    malformed entries. It retries on connection errors and records an id only when the
    XADD succeeded;
  * chaos on a schedule scaled to the duration: every few seconds kill -9 a random worker
    and start a replacement under a new name; once, SIGTERM a worker (it must exit 0 within
    10 s); once, restart Redis (SIGTERM, then the same socket, port and folder).

Then the load stops, the queue settles (bounded wait), the workers get SIGTERM, and these
checks each print one PASS/FAIL line:

  1. none lost      every intake entry (those the generator recorded, plus any whose XADD
                    reply was lost in the Redis restart: read back from the append-only
                    file) is acknowledged; the dead letters are exactly the malformed ones
  2. conversations  the events log replayed in version order: no conversation assigned to
                    a second agent while assigned, none lost; the final conversation
                    hashes, agents' :conversations sets, `load` fields and queues agree
  3. capacity       no agent's open conversations exceed its capacity at any moment
  4. versions       event versions 1, 2, 3, ... with no gap or duplicate
  5. presence       the same entries, with their original ids, replayed in order by one
                    worker under a fresh prefix: every agent's status, message, sessions
                    (and the other presence fields) equal
  6. dead letters   the chaos run refused the same entries, with the same errors, as the
                    in-order run
  7. workers        every SIGTERMed worker exited 0; no worker died by itself; no worker
                    log shows a crash

The last line is `chaos: N passed, M failed`; the exit status is 1 on any failure.
Needs redis-server on PATH and redis-py.
"""
import argparse
import collections
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

WORKSPACE = "chaos"
TEAMS = ["sales", "billing", "vip"]
REGULAR_AGENTS = [f"a-{n:02d}" for n in range(1, 28)]
SUPERVISORS = ["sup-1", "sup-2"]
WORKING_AGENTS = REGULAR_AGENTS + SUPERVISORS  # agents who log in and take conversations
OVERFLOW = "overflow"  # never logs in; capacity 1000: agent.reassign … to overflow never lacks room
SESSIONS = ["tab-1", "tab-2", "tab-3"]
STATUSES = ["online", "online", "online", "busy", "away", "dnd", "offline"]
MESSAGES = ["Lunch", "Back at 3", "café ☕", "In a meeting", "On a call with a customer"]
GROUP = "switchboard"
EVENTS_CAP = 100_000  # WorkerConfiguration.eventsCap; the worker has no flag for it
SIGTERM_LIMIT = 10.0
CRASH_PATTERN = re.compile(r"Fatal error|Current stack trace|Program crashed|Stack dump|[Bb]acktrace|"
                           r"Segmentation fault|SIGSEGV|SIGILL|SIGABRT|SIGTRAP|Illegal instruction|"
                           r"Assertion failed|Precondition failed|level=critical")
PRESENCE_FIELDS = ["status", "message", "since", "status_actor", "status_reason", "routable", "login_at",
                   "preferred_status", "accept_chats_after_login", "capacity", "teams", "role"]

# Entries the workers must refuse (dead letter), each with a distinctive shape. The last
# three are refused inside Redis (the actor's role is 'agent' for the whole run), and so
# also leave a `rejected` event.
MALFORMED = [
    {"op": "agent.status", "workspace": WORKSPACE, "agent": "a-01", "status": "sleeping"},
    {"op": "conversation.open", "workspace": WORKSPACE, "conversation": "c-bad"},
    {"op": "agent.login", "agent": "a-02", "session": "tab-1"},
    {"op": "conversation.new", "workspace": WORKSPACE, "conversation": "c-bad-priority", "priority": "1001"},
    {"op": "agent.profile", "workspace": WORKSPACE, "agent": "a-03"},
    {"op": "agent.login", "workspace": WORKSPACE, "agent": "a-04", "sesion": "tab-1"},
    {"op": "agent.profile", "workspace": WORKSPACE, "agent": "a-05", "capacity": "1001"},
    {"op": "agent.status", "workspace": WORKSPACE, "agent": "a-06", "status": "away", "message": "tab\there"},
    {"op": "agent.status", "workspace": "ac me", "agent": "a-07", "status": "away"},
    {"op": "conversation.new", "workspace": WORKSPACE, "conversation": "c-bad-plus", "priority": "+5"},
    {"op": "conversation.transfer", "workspace": WORKSPACE, "conversation": "c-1"},
    {"op": "workspace.settings", "workspace": WORKSPACE},
    {"op": "agent.status", "workspace": WORKSPACE, "agent": "a-08", "status": "dnd", "actor": "a-09"},
    {"op": "agent.reassign", "workspace": WORKSPACE, "agent": "a-10", "actor": "a-11"},
    {"op": "agent.reassign", "workspace": WORKSPACE, "agent": "a-12", "to": OVERFLOW, "actor": "a-13"},
]
MALFORMED_SHAPES = {tuple(entry.items()) for entry in MALFORMED}


def intake_key(prefix, workspace, shards):
    """The intake stream of a workspace, by the rule of docs/protocol.md section 1."""
    return f"{prefix}:intake" if shards == 1 else f"{prefix}:intake:{zlib.crc32(workspace.encode()) % shards}"


def reply_key(prefix, intake, entry_id):
    """The reply list of an entry of `intake`: <prefix>:reply:<id>, or <prefix>:reply:<n>:<id> for shard n."""
    return f"{prefix}:reply{intake[len(prefix) + len(':intake'):]}:{entry_id}"


def other_intake_streams(prefix, shards):
    """The streams the workers read besides the chaos workspace's: they must stay empty."""
    streams = [f"{prefix}:intake"] + [f"{prefix}:intake:{n}" for n in range(shards)] if shards > 1 else []
    return [stream for stream in streams if stream != intake_key(prefix, WORKSPACE, shards)]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def id_key(entry_id):
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def connect(socket_path, timeout=5.0):
    """A client that never retries by itself: the callers decide what a retry means."""
    return redis.Redis(unix_socket_path=socket_path, decode_responses=True, socket_timeout=timeout,
                       socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))


TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def transient_reply(error):
    return isinstance(error, TRANSIENT) or (isinstance(error, redis.exceptions.ResponseError)
                                            and str(error).startswith(("LOADING", "BUSY", "MASTERDOWN")))


# ----------------------------------------------------------------------------- processes

class RedisServer:
    """A redis-server child in `folder`, restartable on the same socket, port and folder."""

    def __init__(self, folder):
        self.folder = folder
        self.socket = os.path.join(folder, "redis.sock")
        self.port = None
        self.process = None
        self.starts = 0

    def arguments(self):
        return ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--unixsocket", self.socket,
                "--unixsocketperm", "700", "--dir", self.folder, "--logfile", os.path.join(self.folder, "redis.log"),
                "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                # Keep every intake XADD in the incremental AOF files (read back in check 1).
                "--auto-aof-rewrite-percentage", "0", "--daemonize", "no"]

    def start(self):
        for attempt in range(8):
            if self.port is None or (attempt > 0 and self.starts == 0):
                self.port = free_port()
            self.process = subprocess.Popen(self.arguments(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if connect(self.socket, 1).ping():
                        self.starts += 1
                        return
                except Exception:
                    pass
                time.sleep(0.05)
            self.stop()
            if self.starts > 0:
                break  # a restart must keep its port: do not wander
        raise RuntimeError(f"redis-server did not start; see {self.folder}/redis.log")

    def stop(self, limit=15.0):
        """SIGTERM (Redis fsyncs the AOF and exits), SIGKILL after `limit`. Returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(limit)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def free_port():
    while True:
        port = random.SystemRandom().randint(20000, 60000)
        if port == 6379:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


class WorkerProcess:
    def __init__(self, binary, folder, socket_path, prefix, name, extra):
        self.name = name
        self.log_path = os.path.join(folder, f"worker-{name}.log")
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [binary, "worker", "--redis", f"unix://{socket_path}", "--prefix", prefix, "--name", name,
             "--session-ttl", "3600s"] + extra,
            stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        self.started = time.monotonic()
        self.fate = "running"  # running, killed, terminated, died
        self.exit_code = None
        self.term_seconds = None

    def alive(self):
        return self.process.poll() is None

    def kill9(self):
        self.fate = "killed"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.exit_code = self.process.returncode

    def terminate(self):
        self.fate = "terminated"
        self.term_sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)

    def await_exit(self, limit=SIGTERM_LIMIT):
        """After terminate(): waits up to `limit`, SIGKILLs on timeout. Returns the exit code or None."""
        try:
            code = self.process.wait(max(0.0, self.term_sent + limit - time.monotonic()))
            self.term_seconds = time.monotonic() - self.term_sent
            self.exit_code = code
            return code
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            self.exit_code = None
            self.term_seconds = None
            return None

    def close(self):
        if self.alive():
            self.process.kill()
            self.process.wait()
        self.log_file.close()


# ----------------------------------------------------------------------------- load

class LoadGenerator(threading.Thread):
    """Writes the mixed workload; records (id, fields) of every XADD that succeeded."""

    def __init__(self, socket_path, prefix, shards, rate, seed):
        super().__init__(name="load", daemon=True)
        self.socket_path = socket_path
        # Every entry goes to the chaos workspace's stream, the malformed ones too: those
        # with another (invalid) workspace are refused as invalid whatever their stream, and
        # one stream keeps entry ids unique (ids are unique per stream only).
        self.intake = intake_key(prefix, WORKSPACE, shards)
        self.conversation_key = f"{prefix}:{{{WORKSPACE}}}:conversation:"
        self.rate = rate
        self.rng = random.Random(seed)
        self.client = connect(socket_path)
        self.records = []  # (id, fields) in stream order
        self.stop_requested = threading.Event()
        self.give_up_at = None
        self.failure = None
        self.connection_errors = 0
        self.unsent = 0
        self.counts = collections.Counter()
        # The generator's own in-order view, used only to pick plausible entries.
        self.sessions = {agent: set() for agent in WORKING_AGENTS}
        self.conversation_seq = 0
        self.open_conversations = []  # ids not closed by the generator
        self.open_index = {}
        self.unconfirmed = collections.deque()  # (written at, id): transfer only confirmed ones
        self.confirmed = set()
        self.malformed_next = 0

    # ---- sending

    def send(self, entries):
        """XADD each entry (a pipeline), retrying the whole batch on connection errors.
        A batch whose reply was lost may have been written (partly): the append-only file
        tells later; here only ids from a reply are recorded."""
        while True:
            try:
                pipe = self.client.pipeline(transaction=False)
                for fields in entries:
                    pipe.xadd(self.intake, fields)
                ids = pipe.execute()
                for entry_id, fields in zip(ids, entries):
                    self.records.append((entry_id, fields))
                return ids
            except Exception as error:  # noqa: BLE001 (decide below)
                if not transient_reply(error):
                    raise
                self.connection_errors += 1
                if self.give_up_at is not None and time.monotonic() > self.give_up_at:
                    self.unsent += len(entries)
                    return None
                time.sleep(0.05)

    def read(self, command):
        while True:
            try:
                return command(self.client)
            except Exception as error:  # noqa: BLE001
                if not transient_reply(error):
                    raise
                self.connection_errors += 1
                if self.give_up_at is not None and time.monotonic() > self.give_up_at:
                    return None
                time.sleep(0.05)

    # ---- setup

    def setup_entries(self):
        entries = [{"op": "workspace.settings", "workspace": WORKSPACE, "routing": "round_robin", "busy_fallback": "true",
                    "ai_chat": "true", "default_capacity": "2", "reply": "1"}]
        for agent in WORKING_AGENTS:
            fields = {"op": "agent.profile", "workspace": WORKSPACE, "agent": agent,
                      "capacity": str(self.rng.randint(1, 3)),
                      "teams": ",".join(self.rng.sample(TEAMS, self.rng.choice([0, 1, 1, 2]))),
                      "preferred_status": self.rng.choice(["online"] * 5 + ["busy", "away"]),
                      "accept_chats_after_login": self.rng.choice(["true"] * 5 + ["false"])}
            if agent in SUPERVISORS:
                fields["role"] = "supervisor"
            fields["reply"] = "1"
            entries.append(fields)
        entries.append({"op": "agent.profile", "workspace": WORKSPACE, "agent": OVERFLOW, "capacity": "1000",
                        "role": "agent", "reply": "1"})
        return entries

    # ---- the workload

    def pick_agent(self):
        return self.rng.choice(WORKING_AGENTS)

    def next_entry(self):
        kinds = ["heartbeat", "login", "logout", "status", "override", "profile", "new", "close", "transfer",
                 "reassign", "settings", "malformed"]
        weights = [27, 8, 5, 18, 3, 2, 14, 13, 5, 2, 0.4, 0.6]
        kind = self.rng.choices(kinds, weights)[0]
        entry = getattr(self, "entry_" + kind)()
        if entry is None:
            kind, entry = "heartbeat", self.entry_heartbeat()
        self.counts[kind] += 1
        return entry

    def base(self, op, **fields):
        return {"op": op, "workspace": WORKSPACE, **fields}

    def entry_heartbeat(self):
        agent = self.pick_agent()
        open_sessions = self.sessions[agent]
        session = self.rng.choice(sorted(open_sessions)) if open_sessions and self.rng.random() < 0.9 \
            else self.rng.choice(SESSIONS)
        open_sessions.add(session)
        return self.base("agent.heartbeat", agent=agent, session=session)

    def entry_login(self):
        agent = self.pick_agent()
        session = self.rng.choice(SESSIONS)
        self.sessions[agent].add(session)
        return self.base("agent.login", agent=agent, session=session)

    def entry_logout(self):
        agent = self.pick_agent()
        open_sessions = self.sessions[agent]
        session = self.rng.choice(sorted(open_sessions)) if open_sessions else self.rng.choice(SESSIONS)
        open_sessions.discard(session)
        return self.base("agent.logout", agent=agent, session=session)

    def entry_status(self):
        agent = self.pick_agent()
        fields = self.base("agent.status", agent=agent, status=self.rng.choice(STATUSES))
        if self.rng.random() < 0.4:
            fields["message"] = self.rng.choice(MESSAGES)
        return fields

    def entry_override(self):
        fields = self.base("agent.status", agent=self.rng.choice(REGULAR_AGENTS), status=self.rng.choice(STATUSES),
                           actor=self.rng.choice(SUPERVISORS))
        if self.rng.random() < 0.3:
            fields["message"] = self.rng.choice(MESSAGES)
        return fields

    def entry_profile(self):
        # Never capacity or role: capacity is fixed after setup (lowering it below the load
        # is allowed and would blur check 3), and roles decide which entries are refused.
        agent = self.rng.choice(REGULAR_AGENTS)
        change = self.rng.choice(["teams", "preferred_status", "accept_chats_after_login"])
        if change == "teams":
            value = ",".join(self.rng.sample(TEAMS, self.rng.choice([0, 1, 1, 2])))
        elif change == "preferred_status":
            value = self.rng.choice(["online", "online", "busy", "away"])
        else:
            value = self.rng.choice(["true", "true", "false"])
        return self.base("agent.profile", agent=agent, **{change: value})

    def entry_new(self):
        self.conversation_seq += 1
        conversation = f"c-{self.conversation_seq}"
        fields = self.base("conversation.new", conversation=conversation)
        team = self.rng.choice([None, None, "sales", "billing", "vip"])
        if team:
            fields["team"] = team
        if self.rng.random() < 0.6:
            fields["priority"] = str(self.rng.randint(-3, 10))
        self.open_index[conversation] = len(self.open_conversations)
        self.open_conversations.append(conversation)
        self.unconfirmed.append((time.monotonic(), conversation))
        return fields

    def forget(self, conversation):
        index = self.open_index.pop(conversation)
        last = self.open_conversations.pop()
        if last != conversation:
            self.open_conversations[index] = last
            self.open_index[last] = index
        self.confirmed.discard(conversation)

    def entry_close(self):
        # Keep a standing population of open conversations, so that queues form and agents
        # fill up (capacity pressure), and transfers and reassignments have work.
        if len(self.open_conversations) < 60:
            return None
        conversation = self.rng.choice(self.open_conversations)
        self.forget(conversation)
        return self.base("conversation.close", conversation=conversation)

    def entry_transfer(self):
        # Only a conversation seen queued or assigned in Redis and not closed since (by this
        # generator): a transfer applied before its conversation.new would be refused as
        # 'unknown' (a dead letter for a valid entry), one written after a close too.
        if not self.confirmed:
            return None
        conversation = self.rng.choice(sorted(self.confirmed))
        fields = self.base("conversation.transfer", conversation=conversation, team=self.rng.choice(TEAMS))
        if self.rng.random() < 0.7:
            fields["actor"] = self.rng.choice(WORKING_AGENTS)
        return fields

    def entry_reassign(self):
        agent = self.rng.choice(REGULAR_AGENTS + [OVERFLOW])
        fields = self.base("agent.reassign", agent=agent)
        if agent != OVERFLOW and self.rng.random() < 0.35:
            fields["to"] = OVERFLOW
        fields["actor"] = self.rng.choice(SUPERVISORS)
        return fields

    def entry_settings(self):
        change = self.rng.choice(["routing", "busy_fallback"])
        value = self.rng.choice(["round_robin", "least_loaded"]) if change == "routing" else self.rng.choice(["true", "false"])
        return self.base("workspace.settings", **{change: value})

    def entry_malformed(self):
        entry = dict(MALFORMED[self.malformed_next % len(MALFORMED)])
        self.malformed_next += 1
        return entry

    def confirm_some(self):
        """Marks conversations that Redis holds as queued or assigned (transfer candidates)."""
        now = time.monotonic()
        batch = []
        while self.unconfirmed and len(batch) < 40 and now - self.unconfirmed[0][0] > 0.3:
            batch.append(self.unconfirmed.popleft()[1])
        if not batch:
            return

        def states(client):
            pipe = client.pipeline(transaction=False)
            for conversation in batch:
                pipe.hget(self.conversation_key + conversation, "state")
            return pipe.execute()

        result = self.read(states)
        if result is None:
            return
        for conversation, state in zip(batch, result):
            if conversation not in self.open_index:
                continue
            if state in ("queued", "assigned"):
                self.confirmed.add(conversation)
            elif state is None:
                self.unconfirmed.append((now, conversation))  # not applied yet: look again later

    def run(self):
        try:
            start = time.monotonic()
            produced = 0
            while not self.stop_requested.is_set():
                due = int((time.monotonic() - start) * self.rate) - produced
                if due <= 0:
                    time.sleep(0.005)
                    continue
                batch = [self.next_entry() for _ in range(min(due, 40))]
                produced += len(batch)
                self.send(batch)
                self.confirm_some()
        except Exception as error:  # noqa: BLE001
            self.failure = repr(error)


# ----------------------------------------------------------------------------- the AOF

def read_aof_intake(folder, intake_key):
    """Every XADD to the intake stream in the append-only files, in order: [(id, fields)].
    Redis writes `XADD key * …` there with the id it chose, so this includes entries whose
    reply a client never got (a connection closed by the restart)."""
    aof_dir = os.path.join(folder, "appendonlydir")
    manifest = os.path.join(aof_dir, "appendonly.aof.manifest")
    files = []
    with open(manifest, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            info = dict(zip(parts[0::2], parts[1::2]))
            if info.get("type") == "i":
                files.append((int(info["seq"]), info["file"]))
    entries = []
    key = intake_key.encode()
    for _, name in sorted(files):
        with open(os.path.join(aof_dir, name), "rb") as handle:
            data = handle.read()
        for argv in parse_resp_commands(data):
            if len(argv) >= 3 and argv[0].upper() == b"XADD" and argv[1] == key:
                rest = argv[2:]
                while rest and rest[0].upper() in (b"NOMKSTREAM", b"MAXLEN", b"MINID", b"LIMIT", b"=", b"~"):
                    option = rest[0].upper()
                    rest = rest[1:] if option in (b"NOMKSTREAM", b"=", b"~") else rest[2:]
                entry_id = rest[0].decode()
                values = [item.decode("utf-8", "surrogateescape") for item in rest[1:]]
                entries.append((entry_id, dict(zip(values[0::2], values[1::2]))))
    return entries


def parse_resp_commands(data):
    position, size = 0, len(data)
    while position < size:
        if data[position:position + 1] != b"*":
            raise ValueError(f"unexpected byte in AOF at {position}")
        end = data.index(b"\r\n", position)
        count = int(data[position + 1:end])
        position = end + 2
        argv = []
        try:
            for _ in range(count):
                end = data.index(b"\r\n", position)
                length = int(data[position + 1:end])
                start = end + 2
                if start + length > size:
                    return  # a truncated tail (not expected after a clean shutdown)
                argv.append(data[start:start + length])
                position = start + length + 2
        except ValueError:
            return
        yield argv


# ----------------------------------------------------------------------------- queue state

def group_state(client, intake):
    try:
        groups = client.xinfo_groups(intake)
    except redis.exceptions.ResponseError:
        return None
    for group in groups:
        if group["name"] == GROUP:
            unread = client.xrange(intake, "(" + group["last-delivered-id"], "+", count=1) \
                if group["last-delivered-id"] != "0-0" else client.xrange(intake, "-", "+", count=1)
            return {"pending": group["pending"], "lag": group.get("lag"), "last": group["last-delivered-id"],
                    "unread": bool(unread), "length": client.xlen(intake)}
    return None


def wait_until_settled(client, intake, limit, stuck_after=None, live_names=None):
    """Waits until nothing is pending and nothing is unread. With `stuck_after`, gives up
    early when only entries held by gone consumers remain pending and nothing moves."""
    deadline = time.monotonic() + limit
    last_pending, since = None, time.monotonic()
    state = None
    while time.monotonic() < deadline:
        try:
            state = group_state(client, intake)
        except TRANSIENT:
            time.sleep(0.2)
            continue
        if state and state["pending"] == 0 and not state["unread"]:
            return True, state
        if state and stuck_after is not None and not state["unread"]:
            if state["pending"] != last_pending:
                last_pending, since = state["pending"], time.monotonic()
            holders = {c["name"] for c in client.xpending(intake, GROUP)["consumers"] or []}
            if holders and not holders & set(live_names()) and time.monotonic() - since > stuck_after:
                return False, state
        time.sleep(0.2)
    return False, state


def read_stream(client, key, chunk=10000):
    out, start = [], "-"
    while True:
        batch = client.xrange(key, start, "+", count=chunk)
        out.extend(batch)
        if len(batch) < chunk:
            return out
        start = "(" + batch[-1][0]


# ----------------------------------------------------------------------------- checks

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


def short(items, limit=8):
    items = list(items)
    text = "; ".join(str(item) for item in items[:limit])
    return text + (f"; … {len(items) - limit} more" if len(items) > limit else "")


def replay_conversations(events, new_entries):
    """Replays the routing events in version order. Returns (conversations, held, violations,
    capacity violations, peak)."""
    conversations = {}
    held = collections.defaultdict(set)
    capacity, default_capacity = {}, 3
    violations, over = [], []
    peak = collections.Counter()

    def cap(agent):
        return capacity.get(agent, default_capacity)

    for stream_id, event in events:
        kind = event.get("type")
        cid, agent, version = event.get("conversation_id"), event.get("agent_id"), event.get("version")
        where = f"v{version} {kind} {cid or ''} entry {event.get('entry')}"
        current = conversations.get(cid)
        if kind == "profile" and "capacity" in event:
            capacity[agent] = int(event["capacity"])
        elif kind == "settings" and "default_capacity" in event:
            default_capacity = int(event["default_capacity"])
        elif kind == "queued":
            if current is not None:
                violations.append(f"{where}: queued again (it was {current['state']})")
            conversations[cid] = {"state": "queued", "agent": None, "team": event.get("team", "")}
        elif kind == "waiting":
            if current is None or current["state"] != "queued":
                violations.append(f"{where}: waiting while {current and current['state']}")
        elif kind == "assigned":
            if current is None:
                # conversation.new's fast path: an agent had room and nobody waited, so
                # `assigned` comes without `queued`. Only the conversation.new may do that.
                if event.get("entry") not in new_entries.get(cid, ()):
                    violations.append(f"{where}: assigned to {agent} but never created")
                current = conversations[cid] = {"state": "queued", "agent": None, "team": event.get("team", "")}
            if current["state"] == "assigned":
                violations.append(f"{where}: assigned to {agent} while still assigned to {current['agent']}")
                held[current["agent"]].discard(cid)
            elif current["state"] == "closed":
                violations.append(f"{where}: assigned to {agent} after it was closed")
            current.update(state="assigned", agent=agent, team=event.get("team", current["team"]))
            held[agent].add(cid)
            peak[agent] = max(peak[agent], len(held[agent]))
            if len(held[agent]) > cap(agent):
                over.append(f"{where}: {agent} holds {len(held[agent])} > capacity {cap(agent)} "
                            f"({event.get('reason')}, {short(sorted(held[agent]), 5)})")
        elif kind == "closed":
            if current is None:
                conversations[cid] = {"state": "closed", "agent": agent, "team": event.get("team", "")}
                if agent:
                    violations.append(f"{where}: closed with agent {agent} but never created")
                continue
            if current["state"] == "closed":
                violations.append(f"{where}: closed twice")
            elif current["state"] == "assigned":
                if agent != current["agent"]:
                    violations.append(f"{where}: closed from {agent}, but it was with {current['agent']}")
                held[current["agent"]].discard(cid)
            elif agent:
                violations.append(f"{where}: closed from {agent}, but it was queued")
            current.update(state="closed", agent=current["agent"] if current["state"] == "assigned" else None)
        elif kind == "transferred":
            if current is None or current["state"] == "closed":
                violations.append(f"{where}: transferred while {current and current['state']}")
                continue
            if current["state"] == "assigned":
                if agent != current["agent"]:
                    violations.append(f"{where}: transferred from {agent}, but it was with {current['agent']}")
                held[current["agent"]].discard(cid)
            elif agent:
                violations.append(f"{where}: transferred from {agent}, but it was queued")
            current.update(state="queued", agent=None, team=event.get("team", ""))
        elif kind == "reassigned":
            if current is None or current["state"] != "assigned" or current["agent"] != agent:
                violations.append(f"{where}: reassigned from {agent}, but it was "
                                  f"{current and current['state']} with {current and current['agent']}")
            if current is not None:
                if current["agent"]:
                    held[current["agent"]].discard(cid)
                current.update(state="queued", agent=None)
    return conversations, held, violations, over, peak, capacity, default_capacity


def presence_snapshot(client, prefix):
    base = f"{prefix}:{{{WORKSPACE}}}:"
    agents = sorted(client.smembers(base + "agents"))
    pipe = client.pipeline(transaction=False)
    for agent in agents:
        pipe.hgetall(base + f"agent:{agent}")
        pipe.hgetall(base + f"agent:{agent}:sessions")
    values = pipe.execute()
    snapshot = {}
    for index, agent in enumerate(agents):
        state, sessions = values[2 * index], values[2 * index + 1]
        snapshot[agent] = ({name: state.get(name) for name in PRESENCE_FIELDS}, sessions, state.get("floor"))
    return snapshot


def dead_letters(client, prefix):
    """Every dead letter: `<prefix>:dead`, and with intake shards each shard's `<prefix>:dead:<n>`."""
    by_entry = collections.defaultdict(list)
    streams = [f"{prefix}:dead"] + sorted(client.scan_iter(match=f"{prefix}:dead:*", count=1000))
    for stream in streams:
        for _, fields in read_stream(client, stream):
            by_entry[fields.get("entry")].append(fields)
    return by_entry


# ----------------------------------------------------------------------------- main

def find_switchboard(explicit):
    if explicit:
        return os.path.abspath(explicit)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for configuration in ("release", "debug"):
        candidate = os.path.join(root, ".build", configuration, "switchboard")
        if os.access(candidate, os.X_OK):
            return candidate
    try:
        path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=root, capture_output=True, text=True,
                              timeout=120, check=True).stdout.strip()
        return os.path.join(path, "switchboard")
    except (OSError, subprocess.SubprocessError) as error:
        sys.exit(f"chaos: no switchboard binary found ({error}); build it or pass --switchboard")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120, help="seconds of load and chaos (default 120, at most 180)")
    parser.add_argument("--switchboard", help="the switchboard binary (default: .build/release or .build/debug, "
                                              "else `swift build --show-bin-path`)")
    parser.add_argument("--seed", type=int, help="seed of the workload and the chaos schedule (default: random, printed)")
    parser.add_argument("--workers", type=int, default=3, help="workers running at once (default 3)")
    parser.add_argument("--rate", type=float, default=250, help="intake entries per second (default 250)")
    parser.add_argument("--intake-shards", type=int, default=1, help="intake streams the workers read (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (Redis files, worker logs)")
    arguments = parser.parse_args()
    if not 5 <= arguments.duration <= 180:
        parser.error("--duration must be from 5 to 180 seconds")
    if not 1 <= arguments.workers <= 16:
        parser.error("--workers must be from 1 to 16")
    if not 10 <= arguments.rate <= 1000:
        parser.error("--rate must be from 10 to 1000")
    if not 1 <= arguments.intake_shards <= 1024:
        parser.error("--intake-shards must be from 1 to 1024")
    if arguments.seed is None:
        arguments.seed = random.SystemRandom().randint(1, 2**31)
    return arguments


def main():
    arguments = parse_arguments()
    began = time.monotonic()
    duration = arguments.duration
    # Keep the events stream under its cap (no trimming, so check 4 sees every version).
    rate = min(arguments.rate, 60000 / duration)
    binary = find_switchboard(arguments.switchboard)
    if not os.access(binary, os.X_OK):
        sys.exit(f"chaos: {binary} is not an executable")
    if shutil.which("redis-server") is None:
        sys.exit("chaos: redis-server is not on PATH")
    help_text = subprocess.run([binary, "worker", "--help"], capture_output=True, text=True, timeout=30).stdout
    reclaim = "--claim-idle" in help_text and "--max-deliveries" in help_text
    extra = ["--claim-idle", "2s", "--max-deliveries", "5"] if reclaim else []
    if "--http" in help_text:
        extra += ["--http", "off"]  # several workers on one host: no health port each
    shards = arguments.intake_shards
    if shards > 1:
        extra += ["--intake-shards", str(shards)]
    rng = random.Random(arguments.seed)
    folder = tempfile.mkdtemp(prefix="sb-chaos-")
    prefix = f"chaos{os.getpid()}x{rng.randrange(16**6):06x}"
    in_order_prefix = prefix + "io"
    intake, in_order_intake = intake_key(prefix, WORKSPACE, shards), intake_key(in_order_prefix, WORKSPACE, shards)
    log(f"chaos: seed {arguments.seed}, duration {duration:g} s, {arguments.workers} workers, {rate:g} entries/s, {shards} intake shard(s), "
        f"prefix {prefix}, folder {folder}, binary {binary}")
    log("workers reclaim crashed workers' entries (--claim-idle 2s --max-deliveries 5)" if reclaim else
        "this switchboard worker has no --claim-idle/--max-deliveries: nothing reclaims a killed worker's pending entries")

    server = RedisServer(folder)
    workers = []
    generator = None
    watchdog_fired = threading.Event()

    def watchdog():
        watchdog_fired.set()
        print(f"FAIL watchdog: the run exceeded {duration + 170:g} s; stopping everything", flush=True)
        for worker in workers:
            if worker.alive():
                worker.process.kill()
        if server.process and server.process.poll() is None:
            server.process.kill()
        print("chaos: 0 passed, 1 failed", flush=True)
        os._exit(1)

    timer = threading.Timer(duration + 170, watchdog)
    timer.daemon = True
    timer.start()

    def on_signal(number, _frame):
        raise KeyboardInterrupt(f"signal {number}")

    signal.signal(signal.SIGTERM, on_signal)
    report = Report()
    try:
        server.start()
        log(f"redis-server on {server.socket} and 127.0.0.1:{server.port} (appendfsync always)")
        admin = connect(server.socket, timeout=30)
        names = iter(f"w{n}" for n in range(1, 10_000))

        def start_worker(worker_prefix=prefix, name=None):
            worker = WorkerProcess(binary, folder, server.socket, worker_prefix, name or next(names), extra)
            workers.append(worker)
            return worker

        live = [start_worker() for _ in range(arguments.workers)]

        # ---- setup: settings and profiles, applied before the chaos starts
        generator = LoadGenerator(server.socket, prefix, shards, rate, rng.randrange(2**32))
        setup = generator.setup_entries()
        ids = generator.send(setup)
        for entry_id in ids:
            popped = admin.blpop(reply_key(prefix, intake, entry_id), timeout=20)
            if popped is None or '"outcome":"applied"' not in popped[1]:
                raise RuntimeError(f"setup entry {entry_id} was not applied: {popped}")
        log(f"setup applied: settings and {len(setup) - 1} profiles")

        # ---- load and chaos
        kill_every = min(6.0, max(3.0, duration / 24))
        sigterm_at = duration * 0.35
        restart_at = duration * 0.6
        schedule = []
        moment = kill_every
        while moment < duration - 2:
            if abs(moment - restart_at) > 1.5 and abs(moment - sigterm_at) > 1.0:
                schedule.append((moment, "kill"))
            moment += kill_every * rng.uniform(0.7, 1.3)
        if not schedule:
            schedule.append((duration * 0.15, "kill"))  # a short run still gets one kill
        schedule += [(sigterm_at, "sigterm"), (restart_at, "restart")]
        schedule.sort()
        kills, sigterms, restarts, died = 0, [], [], []
        terminating = None
        generator.start()
        load_start = time.monotonic()
        for at, action in schedule + [(duration, "end")]:
            while time.monotonic() - load_start < at:
                time.sleep(0.05)
                for worker in list(live):
                    if worker is not terminating and not worker.alive():
                        worker.fate, worker.exit_code = "died", worker.process.returncode
                        died.append(worker)
                        live.remove(worker)
                        log(f"worker {worker.name} exited by itself with {worker.exit_code}; starting another")
                        live.append(start_worker())
                if terminating is not None and not terminating.alive():
                    code = terminating.await_exit()
                    sigterms.append(terminating)
                    log(f"worker {terminating.name} exited {code} {terminating.term_seconds:.2f} s after SIGTERM")
                    terminating = None
                if terminating is not None and time.monotonic() - terminating.term_sent > SIGTERM_LIMIT:
                    terminating.await_exit(0)
                    sigterms.append(terminating)
                    log(f"worker {terminating.name} did not exit within {SIGTERM_LIMIT:g} s of SIGTERM; killed")
                    terminating = None
                if generator.failure:
                    raise RuntimeError(f"load generator failed: {generator.failure}")
            elapsed = time.monotonic() - load_start
            if action == "kill":
                victim = rng.choice([w for w in live if w is not terminating])
                victim.kill9()
                live.remove(victim)
                kills += 1
                replacement = start_worker()
                live.append(replacement)
                log(f"t={elapsed:5.1f}s kill -9 {victim.name}; started {replacement.name}")
            elif action == "sigterm":
                candidates = [w for w in live if time.monotonic() - w.started > 1.0] or live
                terminating = rng.choice(candidates)
                terminating.terminate()
                live.remove(terminating)
                replacement = start_worker()
                live.append(replacement)
                log(f"t={elapsed:5.1f}s SIGTERM {terminating.name}; started {replacement.name}")
            elif action == "restart":
                stopped_at = time.monotonic()
                code = server.stop()
                server.start()
                downtime = time.monotonic() - stopped_at
                restarts.append((code, downtime))
                admin = connect(server.socket, timeout=30)
                log(f"t={elapsed:5.1f}s restarted redis-server (exit {code}, down {downtime:.2f} s)")
        generator.give_up_at = time.monotonic() + 10
        generator.stop_requested.set()
        generator.join(15)
        load_seconds = time.monotonic() - load_start
        if terminating is not None:
            terminating.await_exit()
            sigterms.append(terminating)
        if generator.failure:
            raise RuntimeError(f"load generator failed: {generator.failure}")
        log(f"load stopped after {load_seconds:.1f} s: {len(generator.records)} entries recorded "
            f"({len(generator.records) / load_seconds:.0f}/s), {generator.connection_errors} connection errors retried, "
            f"{kills} kills, {len(sigterms)} SIGTERM, {len(restarts)} Redis restart")

        # ---- settle
        settle_limit = min(45.0, 10 + duration / 4)
        settle_start = time.monotonic()
        settled, state = wait_until_settled(admin, intake, settle_limit,
                                            stuck_after=None if reclaim else 3.0,
                                            live_names=lambda: [w.name for w in live])
        log(f"queue {'settled' if settled else 'NOT settled'} in {time.monotonic() - settle_start:.1f} s: {state}")
        stuck = []
        if not settled:
            for item in admin.xpending_range(intake, GROUP, "-", "+", 100000):
                stuck.append(item)
        for worker in live:
            worker.terminate()
        for worker in live:
            worker.await_exit()
            sigterms.append(worker)
        live = []

        # ---- what was written
        checks_start = time.monotonic()
        aof = read_aof_intake(folder, intake)
        aof_ids = {entry_id for entry_id, _ in aof}
        recorded_ids = [entry_id for entry_id, _ in generator.records]
        recorded_set = set(recorded_ids)
        unrecorded = [(entry_id, fields) for entry_id, fields in aof if entry_id not in recorded_set]
        missing_from_aof = [entry_id for entry_id in recorded_ids if entry_id not in aof_ids]
        malformed_ids = {entry_id for entry_id, fields in aof if tuple(fields.items()) in MALFORMED_SHAPES}
        fields_by_id = dict(aof)
        for entry_id, fields in generator.records:
            fields_by_id.setdefault(entry_id, fields)
        last_id = max(aof_ids | set(recorded_ids), key=id_key)

        # ---- 1. none lost
        problems = []
        if missing_from_aof:
            problems.append(f"{len(missing_from_aof)} recorded ids are not in the append-only file "
                            f"(lost by Redis): {short(missing_from_aof)}")
        pending = admin.xpending(intake, GROUP)
        group = group_state(admin, intake)
        if pending["pending"]:
            described = []
            for item in stuck[:10] or admin.xpending_range(intake, GROUP, "-", "+", 10):
                entry_id = item["message_id"]
                described.append(f"{entry_id} held by {item['consumer']} (delivered {item['times_delivered']}x, "
                                 f"idle {item['time_since_delivered'] / 1000:.0f} s) {fields_by_id.get(entry_id)}")
            holders = collections.Counter({c["name"]: c["pending"] for c in pending["consumers"]})
            gone = {w.name for w in workers if w.fate == "killed"}
            why = ("nothing moved for 3 s and only gone consumers hold them: this worker has no reclaim"
                   if not reclaim else f"waited {settle_limit:g} s")
            problems.append(f"{pending['pending']} entries still pending (unacknowledged) at the end ({why}), "
                            f"held by {dict(holders)} (killed workers: {sorted(gone & set(holders))}): {short(described, 10)}")
        if group is None or id_key(group["last"]) < id_key(last_id):
            problems.append(f"the group's last-delivered id {group and group['last']} is before the last entry {last_id}")
        if group and group["unread"]:
            problems.append("entries were never read")
        for stream in other_intake_streams(prefix, shards):
            other = group_state(admin, stream)
            if other is None or other["length"] or other["pending"]:
                problems.append(f"{stream}, which nothing writes to, is {other} (the workers create its group; it stays empty)")
        dead = dead_letters(admin, prefix)
        dead_ids = set(dead)
        valid_dead = sorted(dead_ids - malformed_ids, key=id_key)
        malformed_kept = sorted(malformed_ids - dead_ids, key=id_key)
        duplicates = {entry_id: len(items) for entry_id, items in dead.items() if len(items) > 1}
        if valid_dead:
            problems.append(f"{len(valid_dead)} valid entries were dead-lettered: " + short(
                f"{entry_id} {fields_by_id.get(entry_id)} -> {dead[entry_id][0].get('error')}" for entry_id in valid_dead))
        if malformed_kept:
            problems.append(f"{len(malformed_kept)} malformed entries have no dead letter: "
                            + short(f"{entry_id} {fields_by_id.get(entry_id)}" for entry_id in malformed_kept))
        dead_total = sum(len(items) for items in dead.values())
        detail = (f"{len(aof)} intake entries written ({len(recorded_ids)} recorded by the generator, {len(unrecorded)} "
                  f"more found only in the AOF), {len(malformed_ids)} malformed, {dead_total} dead letters for "
                  f"{len(dead_ids)} entries")
        if duplicates:
            detail += f" ({len(duplicates)} entries dead-lettered more than once, redeliveries: {short(duplicates.items(), 4)})"
        report.check("none lost", not problems, "; ".join(problems) if problems else detail)

        # ---- 2-4. the events log
        events_key = f"{prefix}:{{{WORKSPACE}}}:events"
        events = read_stream(admin, events_key)
        for _, event in events:
            event["version"] = int(event["version"])
        new_entries = collections.defaultdict(set)
        generated = set()
        for entry_id, fields in aof:
            if fields.get("op") == "conversation.new" and entry_id not in malformed_ids:
                new_entries[fields["conversation"]].add(entry_id)
                generated.add(fields["conversation"])
        conversations, held, violations, over, peak, capacity, default_capacity = replay_conversations(events, new_entries)

        base = f"{prefix}:{{{WORKSPACE}}}:"
        ids = sorted(set(conversations) | generated)
        pipe = admin.pipeline(transaction=False)
        for cid in ids:
            pipe.hgetall(base + f"conversation:{cid}")
        hashes = dict(zip(ids, pipe.execute()))
        state_problems = []
        queued_by_suffix = collections.defaultdict(list)
        for cid in ids:
            stored, replayed = hashes[cid], conversations.get(cid)
            if replayed is None:
                if stored.get("state") != "closed":
                    state_problems.append(f"{cid}: written (conversation.new {short(sorted(new_entries[cid]), 2)}) "
                                          f"but no event and state {stored.get('state')}: lost")
                continue
            if stored.get("state") != replayed["state"]:
                state_problems.append(f"{cid}: events say {replayed['state']} ({replayed['agent']}), "
                                      f"Redis says {stored.get('state')} ({stored.get('agent')})")
            elif replayed["state"] == "assigned" and stored.get("agent") != replayed["agent"]:
                state_problems.append(f"{cid}: events say agent {replayed['agent']}, Redis says {stored.get('agent')}")
            elif replayed["state"] == "queued":
                suffix = f":{stored.get('team')}" if stored.get("team") else ""
                if stored.get("team", "") != replayed["team"]:
                    state_problems.append(f"{cid}: events say team '{replayed['team']}', Redis says '{stored.get('team')}'")
                queued_by_suffix[suffix].append(cid)
        pipe = admin.pipeline(transaction=False)
        suffixes = sorted(queued_by_suffix)
        for suffix in suffixes:
            for cid in queued_by_suffix[suffix]:
                pipe.zscore(base + "queue" + suffix, cid)
        scores = iter(pipe.execute())
        for suffix in suffixes:
            for cid in queued_by_suffix[suffix]:
                if next(scores) is None:
                    state_problems.append(f"{cid}: queued but not in {base}queue{suffix}")
        agents = sorted(admin.smembers(base + "agents") | set(held))
        pipe = admin.pipeline(transaction=False)
        for agent in agents:
            pipe.smembers(base + f"agent:{agent}:conversations")
            pipe.hmget(base + f"agent:{agent}", "load", "capacity")
        values = pipe.execute()
        final_over = []
        for index, agent in enumerate(agents):
            members, (load, stored_capacity) = values[2 * index], values[2 * index + 1]
            if members != held.get(agent, set()):
                state_problems.append(f"agent {agent}: :conversations {short(sorted(members), 4)} but the events give "
                                      f"{short(sorted(held.get(agent, set())), 4)}")
            if int(load or 0) != len(members):
                state_problems.append(f"agent {agent}: load {load} but {len(members)} in :conversations")
            limit = int(stored_capacity) if stored_capacity is not None else default_capacity
            if len(members) > limit:
                final_over.append(f"agent {agent}: {len(members)} open > capacity {limit} at the end")
        # A conversation waits only while no agent of its queue is eligible (docs: section 4).
        settings = admin.hgetall(base + "settings")
        stranded = []
        for suffix in suffixes:
            pool = admin.zrange(base + "pool" + suffix, 0, -1)
            busy = admin.zrange(base + "busy" + suffix, 0, -1) if settings.get("busy_fallback") == "true" else []
            if pool or busy:
                stranded.append(f"queue{suffix} holds {len(queued_by_suffix[suffix])} "
                                f"({short(queued_by_suffix[suffix], 3)}) while pool{suffix}={pool} busy{suffix}={busy}")
        counts = collections.Counter(c["state"] for c in conversations.values())
        problems = violations + state_problems + stranded
        report.check("conversations", not problems,
                     f"{len(problems)} problems: " + short(problems) if problems else
                     f"{len(generated)} conversations written; events and Redis agree: {counts['assigned']} assigned, "
                     f"{counts['queued']} queued, {counts['closed']} closed; none assigned twice or lost")

        over_all = over + final_over
        busiest = sorted(((peak[a] / max(1, capacity.get(a, default_capacity)), a) for a in peak), reverse=True)[:1]
        report.check("capacity", not over_all,
                     f"{len(over_all)} times over capacity: " + short(over_all) if over_all else
                     f"no agent above its capacity at any of {sum(1 for _, e in events if e.get('type') == 'assigned')} "
                     f"assignments" + (f" (fullest: {busiest[0][1]} at {peak[busiest[0][1]]}/"
                                       f"{capacity.get(busiest[0][1], default_capacity)})" if busiest else ""))

        versions = [event["version"] for _, event in events]
        gaps = [f"{a} -> {b} at {events[i + 1][0]}" for i, (a, b) in enumerate(zip(versions, versions[1:])) if b != a + 1]
        meta_version = int(admin.hget(base + "meta", "version") or 0)
        problems = gaps[:]
        if versions and versions[0] != 1:
            problems.append(f"the first version is {versions[0]}, not 1 (trimmed? {len(events)} events, cap {EVENTS_CAP})")
        if versions and versions[-1] != meta_version:
            problems.append(f"the last version is {versions[-1]} but meta says {meta_version}")
        report.check("versions", not problems, short(problems) if problems else
                     f"{len(versions)} events, versions 1..{versions[-1] if versions else 0} consecutive")

        log(f"checks of the chaos run took {time.monotonic() - checks_start:.1f} s")

        # ---- 5-6. the same entries in order, one worker, no chaos
        chaos_presence = presence_snapshot(admin, prefix)
        in_order_start = time.monotonic()
        for offset in range(0, len(aof), 1000):
            pipe = admin.pipeline(transaction=False)
            for entry_id, fields in aof[offset:offset + 1000]:
                pipe.xadd(in_order_intake, fields, id=entry_id)
            pipe.execute()
        replayer = start_worker(in_order_prefix, "in-order")
        replay_limit = 20 + len(aof) / 500
        replay_settled, replay_state = wait_until_settled(admin, in_order_intake, replay_limit)
        replayer.terminate()
        replayer.await_exit()
        sigterms.append(replayer)
        log(f"in-order replay of {len(aof)} entries by one worker: "
            f"{'settled' if replay_settled else 'NOT settled'} in {time.monotonic() - in_order_start:.1f} s")
        in_order_presence = presence_snapshot(admin, in_order_prefix)
        differences = []
        for agent in sorted(set(chaos_presence) | set(in_order_presence)):
            chaos_state, chaos_sessions, chaos_floor = chaos_presence.get(agent, ({}, {}, None))
            order_state, order_sessions, _ = in_order_presence.get(agent, ({}, {}, None))
            fields = [f"{name} {chaos_state.get(name)!r} vs {order_state.get(name)!r}" for name in PRESENCE_FIELDS
                      if chaos_state.get(name) != order_state.get(name)]
            if chaos_sessions != order_sessions:
                fields.append(f"sessions {sorted(chaos_sessions.items())} vs {sorted(order_sessions.items())}")
            if fields:
                differences.append(f"agent {agent} (chaos vs in order; chaos floor {chaos_floor}): " + ", ".join(fields))
        problems = differences[:]
        if not replay_settled:
            problems.insert(0, f"the in-order run did not settle within {replay_limit:.0f} s: {replay_state}")
        report.check("presence in order", not problems, f"{len(problems)} differences: " + short(problems, 6) if problems
                     else f"{len(chaos_presence)} agents: status, message, sessions and the other presence fields "
                          f"equal the in-order result")

        in_order_dead = dead_letters(admin, in_order_prefix)
        mismatched = []
        for entry_id in sorted(set(in_order_dead) | dead_ids, key=id_key):
            chaos_errors = sorted({item.get("error") for item in dead.get(entry_id, [])})
            order_errors = sorted({item.get("error") for item in in_order_dead.get(entry_id, [])})
            if chaos_errors != order_errors:
                mismatched.append(f"{entry_id} {fields_by_id.get(entry_id)}: chaos {chaos_errors or 'applied'}, "
                                  f"in order {order_errors or 'applied'}")
        report.check("dead letters in order", not mismatched, f"{len(mismatched)} differ: " + short(mismatched) if mismatched
                     else f"the same {len(dead_ids)} entries refused with the same errors as in order")

        # ---- 7. workers
        problems = []
        for worker in sigterms:
            if worker.exit_code != 0:
                problems.append(f"{worker.name} exited {worker.exit_code} after SIGTERM (None: not within {SIGTERM_LIMIT:g} s)")
        for worker in died:
            problems.append(f"{worker.name} exited by itself with {worker.exit_code}")
        for worker in workers:
            worker.log_file.flush()
            with open(worker.log_path, encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    if CRASH_PATTERN.search(line):
                        problems.append(f"{worker.name} log: {line.strip()[:300]}")
                        break
        slowest = max((w.term_seconds or 0 for w in sigterms), default=0)
        report.check("workers", not problems, short(problems) if problems else
                     f"{len(workers)} workers started, {kills} killed with -9, {len(sigterms)} SIGTERMed all exited 0 "
                     f"(slowest {slowest:.2f} s), no crash in the logs")

        run_seconds = time.monotonic() - began
        print(f"figures: seed {arguments.seed}; {len(aof)} entries written in {load_seconds:.0f} s "
              f"({len(generator.records)} recorded, {len(unrecorded)} only in the AOF, {generator.unsent} never sent), "
              f"{len(malformed_ids)} malformed; {kills} kill -9, {len(sigterms)} SIGTERM (1 during the load, "
              f"{len(sigterms) - 2} to stop the workers, 1 for the in-order worker), Redis restarted "
              f"{len(restarts)}x (down {sum(d for _, d in restarts):.2f} s), {generator.connection_errors} load retries; "
              f"{dead_total} dead letters; {len(events)} events; {len(generated)} conversations; "
              f"mix {dict(generator.counts)}; run time {run_seconds:.0f} s", flush=True)
    except KeyboardInterrupt as interrupt:
        report.check("run", False, f"interrupted ({interrupt})")
    except Exception as error:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        report.check("run", False, f"the chaos run itself failed: {error!r}")
    finally:
        timer.cancel()
        if generator is not None:
            generator.give_up_at = time.monotonic()
            generator.stop_requested.set()
        for worker in workers:
            worker.close()
        server.stop()
        if arguments.keep:
            log(f"kept {folder}")
        elif report.failed:
            log(f"the workload is reproducible with --seed {arguments.seed} (not the timing); --keep keeps the "
                f"Redis files and worker logs")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"chaos: {report.passed} passed, {report.failed} failed", flush=True)
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
