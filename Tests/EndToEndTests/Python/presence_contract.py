"""Drives Switchboard from Python with redis-py, as a chat back end would.

Writes intake entries with XADD, waits for their outcomes, and checks the status
broadcast that a dashboard receives. Exits non-zero with a message on any mismatch.
Environment: REDIS_URL, SB_PREFIX, SB_WORKSPACE.
"""
import json
import os
import re
import sys
import zlib

import redis

url, prefix, workspace = os.environ["REDIS_URL"], os.environ["SB_PREFIX"], os.environ["SB_WORKSPACE"]
r = redis.Redis.from_url(url, decode_responses=True)
pubsub = r.pubsub()
pubsub.subscribe(f"{prefix}:{{{workspace}}}:status")
pubsub.get_message(timeout=5)  # the subscribe confirmation

# Which intake stream this workspace writes to (docs/protocol.md section 1): the shard count
# the workers recorded (1 when none is recorded yet), then CRC-32 of the workspace mod N.
shards = int(r.hget(f"{prefix}:config", "intake_shards") or 1)
intake = f"{prefix}:intake" if shards == 1 else f"{prefix}:intake:{zlib.crc32(workspace.encode()) % shards}"


def apply(**fields):
    entry = r.xadd(intake, {"workspace": workspace, "reply": "1", **fields})
    popped = r.blpop(f"{prefix}:reply{intake[len(prefix) + 7:]}:{entry}", timeout=15)  # sb:reply:<id>, sb:reply:<n>:<id>
    if popped is None:
        sys.exit(f"no worker applied {fields}")
    return json.loads(popped[1])


def next_broadcast():
    message = pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
    if message is None:
        sys.exit("no status broadcast arrived")
    return json.loads(message["data"])


assert apply(op="agent.login", agent="py-1", session="browser")["outcome"] == "applied"
login = next_broadcast()
assert login["status"] == "online" and login["reason"] == "login", login

outcome = apply(op="agent.status", agent="py-1", status="away", message="café ☕")
assert outcome["outcome"] == "applied", outcome
away = next_broadcast()
expected = {"type": "status", "workspace": workspace, "agent_id": "py-1", "status": "away",
            "previous": "online", "message": "café ☕", "actor": "py-1", "reason": "manual"}
for key, value in expected.items():
    assert away[key] == value, (key, away)
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", away["timestamp"]), away
assert away["version"] == login["version"] + 1, (login, away)

rejected = apply(op="agent.status", agent="py-1", status="napping")
assert rejected["outcome"] == "rejected" and "napping" in rejected["error"], rejected

state = r.hgetall(f"{prefix}:{{{workspace}}}:agent:py-1")
assert state["status"] == "away" and state["message"] == "café ☕", state
print("python contract: 4 passed, 0 failed")
