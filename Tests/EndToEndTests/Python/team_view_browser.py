"""The team view (/app/) in a real browser: headless Chromium driven by Selenium.

Run by TeamViewBrowserTests.swift against a worker with the gateway on; everything comes from
the environment:
  GATEWAY_URL        http://127.0.0.1:<gateway port>
  REDIS_URL          the worker's Redis (redis://host:port or unix:///path), for redis-cli
  SB_PREFIX, SB_WORKSPACE, SB_INTAKE   key prefix, workspace, its intake stream
  SUPERVISOR_TOKEN   a token of agent SUPERVISOR_AGENT (role supervisor) for SB_WORKSPACE
  AGENT_TOKEN        a token of agent OTHER_AGENT (role agent)
  SUPERVISOR_AGENT, OTHER_AGENT        agent ids; both known to the workspace before the run
  SCREENSHOT         where to save the screenshot (a PNG)
  SWITCHBOARD        the switchboard executable (inspect workspace --json: Redis's own snapshot)
Every wait is a WebDriverWait or a blocking Redis read with a deadline. Prints one line per
check and ends with "<n> passed, <m> failed"; exits 1 on a failure.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import traceback
from urllib.parse import parse_qs, urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT_SECONDS = 20
GATEWAY_URL = os.environ["GATEWAY_URL"].rstrip("/")
REDIS_URL = os.environ["REDIS_URL"]
PREFIX = os.environ["SB_PREFIX"]
WORKSPACE = os.environ["SB_WORKSPACE"]
INTAKE = os.environ["SB_INTAKE"]
SUPERVISOR_TOKEN = os.environ["SUPERVISOR_TOKEN"]
AGENT_TOKEN = os.environ["AGENT_TOKEN"]
SUPERVISOR = os.environ["SUPERVISOR_AGENT"]
OTHER = os.environ["OTHER_AGENT"]
SCREENSHOT = os.environ["SCREENSHOT"]
SWITCHBOARD = os.environ["SWITCHBOARD"]
EVENTS = f"{PREFIX}:{{{WORKSPACE}}}:events"


def redis_cli(*arguments):
    """Runs redis-cli against the test Redis; returns its reply, decoded from redis-cli's --json."""
    if REDIS_URL.startswith("unix://"):
        target = ["-s", REDIS_URL[len("unix://"):].split("?")[0]]
    else:
        target = ["-u", REDIS_URL]
    done = subprocess.run(["redis-cli", *target, "--json", *arguments],
                          capture_output=True, text=True, timeout=WAIT_SECONDS + 10, check=True)
    return json.loads(done.stdout)


def write_intake(op, *fields):
    """XADDs an intake entry of the workspace with reply 1 and waits for the worker's outcome."""
    entry = redis_cli("XADD", INTAKE, "*", "op", op, "workspace", WORKSPACE, *fields, "reply", "1")
    popped = redis_cli("BLPOP", f"{PREFIX}:reply:{entry}", str(WAIT_SECONDS))
    assert popped, f"no worker applied {op} {fields} within {WAIT_SECONDS}s"
    outcome = json.loads(popped[1])
    assert outcome["outcome"] == "applied", outcome
    return outcome


def status_events():
    """Every status event of the workspace's events stream, as field dictionaries."""
    entries = redis_cli("XRANGE", EVENTS, "-", "+")
    events = [dict(zip(fields[::2], fields[1::2])) for _, fields in entries]
    return [event for event in events if event.get("type") == "status"]


def stored_loads_and_queues():
    """Each agent's load/capacity and the non-empty queues, from Redis's atomic snapshot."""
    redis_option = ["--redis", REDIS_URL, "--prefix", PREFIX, "--workspace", WORKSPACE]
    done = subprocess.run([SWITCHBOARD, "inspect", "workspace", *redis_option, "--json"],
                          capture_output=True, text=True, timeout=WAIT_SECONDS, check=True)
    snapshot = json.loads(done.stdout)
    default = snapshot["settings"]["default_capacity"]
    loads = {agent["agent"]: f"{agent['load']}/{agent.get('capacity', default)}" for agent in snapshot["agents"]}
    queues = {"general": snapshot["queues"]["general"], **snapshot["queues"]["teams"]}
    return loads, {queue: depth for queue, depth in queues.items() if depth}


SHOWN_LOADS_AND_QUEUES = """
const loads = Object.fromEntries([...document.querySelectorAll('.agent')]
  .map((row) => [row.dataset.agent, row.querySelector('.load').textContent]));
const queues = Object.fromEntries([...document.querySelectorAll('#queues li')]
  .map((row) => [row.dataset.queue, Number(row.querySelector('.depth').textContent)]).filter(([, depth]) => depth));
return [loads, queues];
"""


class CuttableProxy:
    """A TCP proxy in front of the gateway that can cut every connection (a network drop) and
    hold new ones until released, recording each connection's request line."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open = []
        self.request_lines = []
        self.released = threading.Event()
        self.released.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        self.released.wait(WAIT_SECONDS * 3)
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        with self.lock:
            self.open.append((client, upstream))
        first = threading.Event()

        def pump(source, sink, record):
            try:
                while data := source.recv(65536):
                    if record and not first.is_set():
                        first.set()
                        with self.lock:
                            self.request_lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                    sink.sendall(data)
            except OSError:
                pass
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()
        pump(client, upstream, True)

    def cut(self):
        """Closes every connection now, both ways, and holds new ones until release()."""
        self.released.clear()
        with self.lock:
            pairs, self.open = self.open, []
        for pair in pairs:
            for end in pair:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def release(self):
        self.released.set()


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,860"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main():
    gateway_port = int(GATEWAY_URL.rsplit(":", 1)[1])
    proxy = CuttableProxy(gateway_port)
    page = f"http://127.0.0.1:{proxy.port}/app/"
    driver = browser()
    wait = WebDriverWait(driver, WAIT_SECONDS)

    def present(selector):
        return wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, selector)), f"no {selector}")

    def text_is(selector, text):
        return wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text), f"{selector} never read {text!r}")

    def page_shows_the_agents():
        driver.get(f"{page}#token={SUPERVISOR_TOKEN}")
        present('#connection[data-state="live"]')
        present(f'.agent[data-agent="{SUPERVISOR}"]')
        present(f'.agent[data-agent="{OTHER}"]')
        # The gateway logged this tab in as a session of the token's agent: online.
        present('#own-dot[data-status="online"]')
        present(f'.agent[data-agent="{SUPERVISOR}"] .dot[data-status="online"]')

    def status_from_redis_cli_turns_the_dot_red():
        write_intake("agent.status", "agent", OTHER, "status", "dnd", "message", "In a meeting")
        dot = present(f'.agent[data-agent="{OTHER}"] .dot[data-status="dnd"]')
        red, green, blue = [int(part) for part in dot.value_of_css_property("background-color").split("(")[1].split(",")[:3]]
        assert red > 180 and green < 100 and blue < 100, f"the dnd dot is {dot.value_of_css_property('background-color')}, not red"
        text_is(f'.agent[data-agent="{OTHER}"] .message', "In a meeting")
        text_is(f'.agent[data-agent="{OTHER}"] .status-label', "Do Not Disturb")

    def toolbar_do_not_disturb_is_written_as_the_tokens_agent():
        driver.find_element(By.ID, "own-dot").click()
        wait.until(EC.visibility_of_element_located((By.ID, "status-menu")))
        driver.find_element(By.CSS_SELECTOR, '#status-menu button[data-status="dnd"]').click()
        present('#own-dot[data-status="dnd"]')
        present(f'.agent[data-agent="{SUPERVISOR}"] .dot[data-status="dnd"]')
        mine = [e for e in status_events() if e.get("agent_id") == SUPERVISOR and e.get("status") == "dnd"]
        assert mine, "no dnd status event of the supervisor in the events stream"
        assert mine[-1].get("actor") == SUPERVISOR and mine[-1].get("reason") == "manual", mine[-1]
        assert mine[-1].get("entry"), "the status event names no intake entry"

    def supervisor_overrides_a_status():
        Select(present(f'select.override[data-agent="{OTHER}"]')).select_by_value("away")
        present(f'.agent[data-agent="{OTHER}"] .dot[data-status="away"]')
        override = [e for e in status_events() if e.get("agent_id") == OTHER and e.get("status") == "away"][-1]
        assert override.get("actor") == SUPERVISOR and override.get("reason") == "override", override

    def supervisor_assigns_from_the_dropdown():
        # Nobody can take it (the supervisor is dnd, the other agent away): it waits.
        write_intake("conversation.new", "conversation", "c-tv-1")
        text_is('#queues li[data-queue="general"] .depth', "1")
        present("#assign")
        driver.find_element(By.ID, "assign-conversation").send_keys("c-tv-1")
        agents = Select(driver.find_element(By.ID, "assign-agent"))
        labels = [option.text for option in agents.options]
        assert any(label.startswith(f"{OTHER} — away") for label in labels), labels
        assert any(label.startswith(f"{SUPERVISOR} — do not disturb") for label in labels), labels
        agents.select_by_value(OTHER)
        driver.find_element(By.CSS_SELECTOR, '#assign button[type="submit"]').click()
        present(f'#assignments li[data-conversation="c-tv-1"][data-agent="{OTHER}"]')
        text_is('#queues li[data-queue="general"] .depth', "0")
        text_is(f'.agent[data-agent="{OTHER}"] .load', "1/")
        os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
        assert driver.save_screenshot(SCREENSHOT), "no screenshot"
        print(f"screenshot: {SCREENSHOT}")

    def reconnects_with_since_after_a_network_drop():
        version = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-version"))
        proxy.cut()
        present('#connection[data-state="reconnecting"]')
        # Written while the page is cut off: it must come from the resumed stream.
        write_intake("agent.status", "agent", OTHER, "status", "busy", "message", "Back soon")
        proxy.release()
        present('#connection[data-state="live"]')
        present(f'.agent[data-agent="{OTHER}"] .dot[data-status="busy"]')
        text_is(f'.agent[data-agent="{OTHER}"] .message', "Back soon")
        resumed = [line for line in proxy.request_lines if "/events?" in line][-1]
        query = parse_qs(urlsplit(resumed.split(" ")[1]).query)
        assert query.get("since") == [str(version)], f"the page resumed with {resumed.split('token=')[0]}…, not since={version}"

    def shows_what_redis_holds(expected):
        """Waits until the page shows the loads and queue depths Redis's snapshot holds."""
        shown = None

        def matches(_):
            nonlocal shown
            shown = tuple(driver.execute_script(SHOWN_LOADS_AND_QUEUES))
            return shown == expected

        try:
            wait.until(matches)
        except Exception:
            raise AssertionError(f"the page shows {shown}, Redis holds {expected}") from None

    def loads_and_queues_follow_transfers_reassigns_and_closes():
        # The page follows each event; a manual assignment of a conversation it never saw
        # queued or assigned makes it take a fresh snapshot (the page cannot place it).
        write_intake("conversation.new", "conversation", "c-tv-2", "team", "billing")
        write_intake("conversation.new", "conversation", "c-tv-3")
        write_intake("conversation.transfer", "conversation", "c-tv-2", "team", "sales", "actor", SUPERVISOR)
        write_intake("agent.reassign", "agent", OTHER, "actor", SUPERVISOR)
        write_intake("conversation.assign", "conversation", "c-tv-2", "agent", OTHER, "actor", SUPERVISOR)
        write_intake("conversation.close", "conversation", "c-tv-3")
        shows_what_redis_holds(stored_loads_and_queues())
        driver.refresh()  # a fresh snapshot: c-tv-1, with the supervisor, is unknown to this page
        present('#connection[data-state="live"]')
        write_intake("conversation.new", "conversation", "c-tv-4", "team", "billing")
        write_intake("conversation.assign", "conversation", "c-tv-1", "agent", OTHER, "actor", SUPERVISOR, "over_capacity", "true")
        shows_what_redis_holds(stored_loads_and_queues())
        write_intake("conversation.assign", "conversation", "c-tv-4", "agent", SUPERVISOR, "actor", SUPERVISOR, "over_capacity", "true")
        shows_what_redis_holds(stored_loads_and_queues())

    def agent_token_sees_no_supervisor_controls():
        driver.get(f"{page}#token={AGENT_TOKEN}")
        present('#connection[data-state="live"]')
        present(f'.agent[data-agent="{SUPERVISOR}"]')
        assert not driver.find_elements(By.CSS_SELECTOR, "select.override"), "an agent token got override controls"
        assert not driver.find_element(By.ID, "assign").is_displayed(), "an agent token got the assignment form"

    def refused_token_says_so():
        header, payload, signature = SUPERVISOR_TOKEN.split(".")
        forged = f"{header}.{payload}.{'A' * len(signature)}"
        driver.get(f"{page}#token={forged}")
        present('#connection[data-state="refused"]')
        notice = present("#notice")
        assert "token" in notice.text, notice.text
        driver.get(page)  # no fragment: a new document, not a hashchange
        present('#connection[data-state="refused"]')
        assert "needs a token" in driver.find_element(By.ID, "notice").text

    checks = [
        page_shows_the_agents,
        status_from_redis_cli_turns_the_dot_red,
        toolbar_do_not_disturb_is_written_as_the_tokens_agent,
        supervisor_overrides_a_status,
        supervisor_assigns_from_the_dropdown,
        reconnects_with_since_after_a_network_drop,
        loads_and_queues_follow_transfers_reassigns_and_closes,
        agent_token_sees_no_supervisor_controls,
        refused_token_says_so,
    ]
    passed = failed = 0
    try:
        for check in checks:
            try:
                check()
                passed += 1
                print(f"ok {check.__name__}", flush=True)
            except Exception:  # noqa: BLE001 - report every check, then the summary
                failed += 1
                print(f"FAILED {check.__name__}", flush=True)
                traceback.print_exc()
                for entry in driver.get_log("browser"):
                    print(f"  browser: {entry.get('level')} {entry.get('message')}")
                break  # later checks build on earlier ones
    finally:
        driver.quit()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
