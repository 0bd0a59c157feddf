// Switchboard team view: one WebSocket to the gateway's events endpoint, a snapshot, then every
// event of the workspace in version order. Plain browser JavaScript, no build step, no framework.
"use strict";

(() => {
  const STATUSES = ["online", "busy", "away", "dnd", "offline"];
  const STATUS_LABELS = { online: "Online", busy: "Busy", away: "Away", dnd: "Do Not Disturb", offline: "Offline" };
  const ROLES = ["agent", "supervisor", "admin", "owner"];
  const SUPERVISING_ROLES = new Set(["supervisor", "admin", "owner"]);
  const PROFILE_FIELDS = ["preferred_status", "accept_chats_after_login", "capacity", "teams", "role"];
  const WIDGET_REASONS = {
    default: "never configured",
    manual_online: "switched on by hand",
    manual_offline: "switched off by hand",
    within_hours: "within business hours",
    outside_hours: "outside business hours",
    team_away: "no agent is available",
  };
  const RECENT_ASSIGNMENTS = 20;
  const RETRY_LIMIT_MS = 15000;
  const REFUSED_RETRY_MS = 30000;
  const PENDING_STATUS_MS = 10000;

  const $ = (selector) => document.querySelector(selector);
  const element = (tag, attributes = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  };
  const timeOf = (milliseconds) =>
    Number.isFinite(milliseconds) ? new Date(milliseconds).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "";

  // ---- The token: from the fragment (never sent to the server except on the socket URL) ----

  /** The claims of the token's payload, or throws an Error whose message says what is wrong. */
  function decodeClaims(token) {
    const parts = token.split(".");
    if (parts.length !== 3) throw new Error("The link's token is not a JWT (three parts separated by dots).");
    let claims;
    try {
      const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
      const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
      const bytes = Uint8Array.from(atob(padded), (character) => character.charCodeAt(0));
      claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      throw new Error("The link's token has a payload that is not base64url-encoded JSON.");
    }
    if (typeof claims !== "object" || claims === null) throw new Error("The link's token has no claims.");
    for (const claim of ["sub", "workspace"]) {
      if (typeof claims[claim] !== "string" || claims[claim] === "") throw new Error(`The link's token has no '${claim}' claim.`);
    }
    if (!ROLES.includes(claims.role)) throw new Error(`The link's token has no valid 'role' claim (one of ${ROLES.join(", ")}).`);
    if (typeof claims.exp !== "number") throw new Error("The link's token has no 'exp' claim.");
    return claims;
  }

  const isExpired = (claims) => claims.exp <= Date.now() / 1000;
  const expiredSentence = (claims) =>
    `The link's token expired at ${new Date(claims.exp * 1000).toLocaleString()}; ask for a new team view link.`;

  // ---- State: the last snapshot with every event after it applied ----

  const state = {
    version: null, // the version of the last snapshot or event applied; null before the first snapshot
    viewer: null, // {agent, role, session} from the snapshot
    agents: new Map(), // id → agent object (protocol.md §6.1 field names)
    queues: { general: 0, teams: {} },
    settings: { default_capacity: 3 },
    widget: null,
    assignments: [], // assigned events, newest first
    // What this page learned since the snapshot about each conversation: {team, agent, moving}.
    // Conversations from before the snapshot are unknown; an event whose effect on queues or
    // loads depends on one asks for a fresh snapshot (resync).
    conversations: new Map(),
  };

  function agentNamed(id) {
    let agent = state.agents.get(id);
    if (!agent) {
      agent = { agent: id, status: "offline", load: 0, teams: [], role: "agent" };
      state.agents.set(id, agent);
    }
    return agent;
  }

  const depth = (team) => (team ? state.queues.teams[team] ?? 0 : state.queues.general);
  function addToQueue(team, change) {
    const value = Math.max(0, depth(team) + change);
    if (team) state.queues.teams[team] = value;
    else state.queues.general = value;
  }
  function addLoad(id, change) {
    const agent = agentNamed(id);
    agent.load = Math.max(0, (agent.load ?? 0) + change);
  }
  const knownQueued = (team) =>
    [...state.conversations.values()].filter((c) => c.agent === null && !c.moving && c.team === team).length;

  function applySnapshot(snapshot) {
    const couldSupervise = canSupervise();
    state.version = snapshot.version;
    state.viewer = snapshot.viewer ?? state.viewer;
    if (canSupervise() !== couldSupervise) dropAgentRows(); // rebuilt with or without the override
    state.agents = new Map((snapshot.agents ?? []).map((agent) => [agent.agent, { ...agent, load: agent.load ?? 0, teams: agent.teams ?? [] }]));
    state.queues = { general: snapshot.queues?.general ?? 0, teams: { ...(snapshot.queues?.teams ?? {}) } };
    state.settings = { ...snapshot.settings };
    state.widget = snapshot.widget ? { ...snapshot.widget } : null;
    state.assignments = (snapshot.recent_assignments ?? []).slice(-RECENT_ASSIGNMENTS).reverse();
    state.conversations = new Map();
  }

  /** Applies one event of the events stream; returns true when its effect on queues or loads is unknown. */
  function applyEvent(event) {
    const id = event.conversation_id;
    const known = id === undefined ? undefined : state.conversations.get(id);
    let unknownEffect = false;
    switch (event.type) {
      case "status": {
        const agent = agentNamed(event.agent_id);
        agent.status = event.status;
        agent.message = event.message ?? undefined;
        agent.since = Date.parse(event.timestamp);
        agent.actor = event.actor ?? undefined;
        agent.reason = event.reason;
        break;
      }
      case "profile": {
        const agent = agentNamed(event.agent_id);
        for (const field of PROFILE_FIELDS) {
          if (!(field in event)) continue;
          if (field === "teams") agent.teams = Array.isArray(event.teams) ? event.teams : String(event.teams).split(",").filter(Boolean);
          else agent[field] = event[field];
        }
        // Empty values are left out of events: a profile event that names no field cleared the teams.
        if (!PROFILE_FIELDS.some((field) => field in event)) agent.teams = [];
        break;
      }
      case "queued":
        state.conversations.set(id, { team: event.team ?? "", agent: null });
        addToQueue(event.team ?? "", +1);
        break;
      case "assigned": {
        const team = event.team ?? "";
        if (known?.moving) {
          // The reassigned event before it already took it from its previous agent.
        } else if (known) {
          if (known.agent !== null) addLoad(known.agent, -1);
          else addToQueue(known.team, -1);
        } else if (event.reason === "routed") {
          // Routing takes a queue's head, or a new conversation straight away only when its
          // queue is empty: more waiting than this page saw queued means it came from the queue.
          if (depth(team) > knownQueued(team)) addToQueue(team, -1);
        } else {
          unknownEffect = true; // from a queue or from another agent: cannot tell
        }
        state.conversations.set(id, { team, agent: event.agent_id });
        addLoad(event.agent_id, +1);
        state.assignments.unshift(event);
        state.assignments.length = Math.min(state.assignments.length, RECENT_ASSIGNMENTS);
        break;
      }
      case "reassigned":
        if (event.agent_id !== undefined) addLoad(event.agent_id, -1);
        if (event.to !== undefined) {
          state.conversations.set(id, { team: known?.team ?? "", agent: null, moving: true });
        } else if (known) {
          state.conversations.set(id, { team: known.team, agent: null });
          addToQueue(known.team, +1);
        } else {
          unknownEffect = true; // back to a queue, but which one is not in the event
        }
        break;
      case "closed":
        if (event.agent_id !== undefined) addLoad(event.agent_id, -1);
        else addToQueue(event.team ?? "", -1);
        state.conversations.delete(id);
        break;
      case "transferred":
        if (event.agent_id !== undefined) addLoad(event.agent_id, -1);
        else addToQueue(event.previous_team ?? "", -1);
        addToQueue(event.team ?? "", +1);
        state.conversations.set(id, { team: event.team ?? "", agent: null });
        break;
      case "settings":
        for (const field of ["routing", "busy_fallback", "default_capacity", "ai_chat"]) {
          if (field in event) state.settings[field] = event[field];
        }
        break;
      case "widget":
        state.widget = { ...(state.widget ?? {}), state: event.state, reason: event.reason, since: Date.parse(event.timestamp) };
        delete state.widget.explanation;
        break;
      case "rejected":
        if (state.viewer && event.actor === state.viewer.agent) showRefusal(event.error ?? "The gateway refused the action.");
        break;
      default:
        break; // waiting, and types this page does not know
    }
    return unknownEffect;
  }

  // ---- Rendering: the DOM follows the state ----

  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(() => {
      renderQueued = false;
      render();
    }, 0);
  }

  const rows = new Map(); // agent id → its <li>

  function render() {
    renderAgents();
    renderQueues();
    renderAssignments();
    renderWidget();
    renderOwnStatus();
    renderAssignForm();
  }

  function capacityOf(agent) {
    return agent.capacity ?? state.settings.default_capacity ?? 3;
  }

  function statusTitle(agent) {
    const label = STATUS_LABELS[agent.status] ?? agent.status;
    const parts = [label];
    if (Number.isFinite(agent.since)) parts.push(`since ${timeOf(agent.since)}`);
    if (agent.reason === "override" && agent.actor) parts.push(`(set by ${agent.actor})`);
    return parts.join(" ");
  }

  function renderAgents() {
    const list = $("#agents");
    const ids = [...state.agents.keys()].sort();
    for (const [id, row] of rows) {
      if (!state.agents.has(id)) {
        row.remove();
        rows.delete(id);
      }
    }
    for (const id of ids) {
      const agent = state.agents.get(id);
      let row = rows.get(id);
      if (!row) {
        row = newAgentRow(id);
        rows.set(id, row);
      }
      updateAgentRow(row, agent);
      list.append(row); // keeps the order (append moves an existing row)
    }
    $("#no-agents").hidden = ids.length > 0;
  }

  function dropAgentRows() {
    for (const row of rows.values()) row.remove();
    rows.clear();
  }

  function newAgentRow(id) {
    const row = element("li", { class: "agent", "data-agent": id });
    row.append(
      element("span", { class: "dot", role: "img" }),
      element("span", { class: "name" }, id, element("span", { class: "you", hidden: "" }, " (you)"), element("span", { class: "teams" })),
      element("span", { class: "status-label" }),
      element("span", { class: "load", title: "open conversations / capacity" }),
      element("span", { class: "control" }),
      element("span", { class: "message" }),
    );
    if (canSupervise()) {
      const select = element("select", { class: "override", "data-agent": id, "aria-label": `Set ${id}'s status` });
      for (const status of STATUSES) select.append(element("option", { value: status }, STATUS_LABELS[status]));
      select.addEventListener("change", () => {
        const status = select.value;
        const action = { type: "status", status };
        if (id !== state.viewer?.agent) action.agent = id;
        send(action, (error) => {
          if (error) {
            showRefusal(error);
            select.value = state.agents.get(id)?.status ?? "offline";
          }
        });
      });
      row.querySelector(".control").append(select);
    }
    return row;
  }

  function updateAgentRow(row, agent) {
    const status = STATUSES.includes(agent.status) ? agent.status : "offline";
    const label = STATUS_LABELS[status];
    row.dataset.status = status;
    row.querySelector(".you").hidden = agent.agent !== state.viewer?.agent;
    const dot = row.querySelector(".dot");
    dot.dataset.status = status;
    dot.setAttribute("aria-label", label);
    dot.title = statusTitle(agent);
    const statusLabel = row.querySelector(".status-label");
    statusLabel.textContent = label;
    statusLabel.title = statusTitle(agent);
    row.querySelector(".teams").textContent = (agent.teams ?? []).join(", ");
    const load = row.querySelector(".load");
    load.textContent = `${agent.load ?? 0}/${capacityOf(agent)}`;
    load.classList.toggle("full", (agent.load ?? 0) >= capacityOf(agent));
    row.querySelector(".message").textContent = agent.message ?? "";
    const select = row.querySelector("select.override");
    if (select && select.dataset.shown !== status) {
      select.value = status;
      select.dataset.shown = status;
    }
  }

  function renderQueues() {
    const list = $("#queues");
    const entries = [["general", "General queue", state.queues.general]];
    for (const team of Object.keys(state.queues.teams).sort()) entries.push([team, team, state.queues.teams[team]]);
    list.replaceChildren(
      ...entries.map(([key, name, count]) => {
        const depthLabel = element("span", { class: count > 0 ? "depth waiting" : "depth" }, String(count));
        return element("li", { "data-queue": key, title: `${count} waiting` }, element("span", {}, name), depthLabel);
      }),
    );
  }

  function renderAssignments() {
    const list = $("#assignments");
    list.replaceChildren(
      ...state.assignments.map((event) => {
        const how = [event.reason ?? ""];
        if (event.actor) how.push(`by ${event.actor}`);
        if (event.team) how.push(`team ${event.team}`);
        if (event.agent_status) how.push(`while ${STATUS_LABELS[event.agent_status] ?? event.agent_status}`);
        return element(
          "li",
          { "data-conversation": event.conversation_id ?? "", "data-agent": event.agent_id ?? "" },
          element("span", {}, `${event.conversation_id} → ${event.agent_id}`),
          element("span", { class: "how" }, how.filter(Boolean).join(" · ")),
          element("span", { class: "when" }, timeOf(Date.parse(event.timestamp))),
        );
      }),
    );
    $("#no-assignments").hidden = state.assignments.length > 0;
  }

  function renderWidget() {
    const widget = $("#widget");
    const current = state.widget?.state ?? "unknown";
    widget.dataset.state = current;
    widget.querySelector(".label").textContent = current === "unknown" ? "…" : current === "online" ? "Online" : "Offline";
    const why = state.widget?.explanation ?? WIDGET_REASONS[state.widget?.reason] ?? state.widget?.reason ?? "";
    widget.title = why ? `The chat widget is ${current}: ${why}` : "The chat widget on the workspace's site";
  }

  let pendingStatus = null; // {status, timer}: asked for, its event not seen yet

  function renderOwnStatus() {
    const me = state.viewer ? state.agents.get(state.viewer.agent) : undefined;
    const status = me && STATUSES.includes(me.status) ? me.status : "offline";
    const button = $("#own-dot");
    button.dataset.status = status;
    if (pendingStatus && pendingStatus.status === status) clearPendingStatus();
    if (pendingStatus) button.dataset.pending = pendingStatus.status;
    else delete button.dataset.pending;
    $("#own-status").textContent = STATUS_LABELS[status];
    $("#own-message").textContent = me?.message ?? "";
    button.title = `Your status: ${STATUS_LABELS[status]}${pendingStatus ? ` (changing to ${STATUS_LABELS[pendingStatus.status]})` : ""}. Click to change it.`;
    for (const choice of document.querySelectorAll("#status-menu button[data-status]")) {
      choice.setAttribute("aria-checked", String(choice.dataset.status === status));
    }
  }

  function clearPendingStatus() {
    if (!pendingStatus) return;
    clearTimeout(pendingStatus.timer);
    pendingStatus = null;
  }

  function renderAssignForm() {
    $("#assign-section").hidden = !canSupervise();
    if (!canSupervise()) return;
    const select = $("#assign-agent");
    const chosen = select.value;
    select.replaceChildren(
      ...[...state.agents.values()]
        .sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0))
        .map((agent) => {
          const status = STATUSES.includes(agent.status) ? agent.status : "offline";
          const text = `${agent.agent} — ${STATUS_LABELS[status].toLowerCase()}, ${agent.load ?? 0}/${capacityOf(agent)}`;
          return element("option", { value: agent.agent, "data-status": status }, text);
        }),
    );
    if (chosen && state.agents.has(chosen)) select.value = chosen;
  }

  // ---- Notices ----

  /** Shows a sentence above the page (`kind` "connection" is cleared when the stream is live again). */
  function showNotice(text, kind = "action") {
    const notice = $("#notice");
    notice.textContent = text;
    notice.hidden = !text;
    notice.dataset.kind = kind;
  }

  /** A refusal of one of this viewer's actions (an `error` message or a `rejected` event). */
  function showRefusal(text) {
    showNotice(text);
  }

  function setConnection(connectionState, text) {
    const connection = $("#connection");
    connection.dataset.state = connectionState;
    connection.querySelector(".label").textContent = text;
  }

  // ---- The connection ----

  let token = null;
  let claims = null;
  let socket = null; // the socket whose messages are applied
  let replacement = null; // a socket opening to take over from `socket` (make before break)
  let failures = 0;
  let retryTimer = null;
  let everLive = false;

  // The page's own path up to /app/: the gateway's endpoints are beside it (also behind a proxy
  // that serves the gateway under a path prefix).
  const basePath = location.pathname.replace(/app\/(index\.html)?$/, "");

  function eventsURL(since, session) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = new URL(`${scheme}//${location.host}${basePath}v1/workspaces/${encodeURIComponent(claims.workspace)}/events`);
    url.searchParams.set("token", token);
    if (since !== null && since !== undefined) url.searchParams.set("since", String(since));
    if (session) url.searchParams.set("session", session);
    return url.href;
  }

  /**
   * Opens the stream, resuming after the last version applied (a fresh page gets a snapshot).
   * A reconnect names the session of the stream that dropped: the gateway logs that one in
   * again, which only refreshes it, so the agent's status (Do Not Disturb, say) stays.
   */
  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (isExpired(claims)) return refuse(expiredSentence(claims), false);
    setConnection(everLive ? "reconnecting" : "connecting", everLive ? "Reconnecting…" : "Connecting…");
    adopt(new WebSocket(eventsURL(state.version, state.viewer?.session)));
  }

  /** Makes `opening` the stream whose messages are applied; its end starts a reconnect. */
  function adopt(opening) {
    socket = opening;
    let openedAt = null;
    const opened = () => {
      openedAt = Date.now();
      markLive();
    };
    if (opening.readyState === WebSocket.OPEN) opened();
    else opening.onopen = opened;
    opening.onmessage = (message) => {
      if (opening === socket) receive(message.data);
    };
    opening.onclose = (closing) => {
      if (opening !== socket) return;
      socket = null;
      // A stream that lived a while was not a failed attempt: start the backoff again.
      if (openedAt !== null && Date.now() - openedAt > 5000) failures = 0;
      dropped(closing, openedAt !== null);
    };
  }

  /**
   * Opens a second stream and switches to it once it is open, then closes the first: for a
   * fresh snapshot (since null) or to resume after a gap. The gateway counts each stream as a
   * session of the agent; opening the new one first keeps the agent logged in throughout. The
   * new stream gets a session of its own: closing the first logs its session out.
   */
  function replaceStream(since) {
    if (replacement || !socket) return;
    const opening = new WebSocket(eventsURL(since));
    replacement = opening;
    opening.onopen = () => {
      if (replacement !== opening) return;
      replacement = null;
      const previous = socket;
      adopt(opening);
      previous?.close(1000, "replaced by a newer stream");
    };
    opening.onclose = () => {
      if (replacement === opening) replacement = null;
    };
  }

  function markLive() {
    everLive = true;
    setConnection("live", "Live");
    if ($("#notice").dataset.kind === "connection") showNotice("");
  }

  function dropped(closing, opened) {
    if (replacement) {
      // A stream still opening to take over: the retry below opens the one to keep.
      replacement.onopen = null;
      replacement.close();
      replacement = null;
    }
    if (isExpired(claims)) return refuse(expiredSentence(claims), false);
    const reason = closing.reason ? `: ${closing.reason}` : "";
    if (opened && [1008, 1009, 1013].includes(closing.code)) {
      // Too many actions, a message too large, or too slow to keep up: the gateway said why.
      showNotice(`The gateway closed the connection (${closing.code}${reason}). Reconnecting.`, "connection");
    }
    if (opened) return retry();
    // It never opened: the network, or a refusal (the browser hides the HTTP status). If the
    // server that served this page answers, the gateway refused the stream.
    fetch(`${basePath}app/app.css`, { cache: "no-store" })
      .then((response) => {
        if (!response.ok) return retry();
        refuse(
          "The gateway refused the connection: the link's token is not valid for this workspace " +
            "(bad signature, expired, or another workspace), or the gateway is at its connection limit. " +
            "Open a new team view link if this lasts.",
          true,
        );
      })
      .catch(() => retry());
  }

  function retry() {
    failures += 1;
    const delay = Math.min(RETRY_LIMIT_MS, 500 * 2 ** (failures - 1)) * (0.8 + Math.random() * 0.4);
    setConnection("reconnecting", `Reconnecting in ${Math.max(1, Math.round(delay / 1000))} s…`);
    retryTimer = setTimeout(connect, delay);
  }

  function refuse(sentence, tryAgain) {
    setConnection("refused", "Refused");
    showNotice(sentence, "connection");
    if (tryAgain) retryTimer = setTimeout(connect, REFUSED_RETRY_MS);
  }

  // When the browser gets its network back, do not wait for the backoff.
  window.addEventListener("online", () => {
    if (retryTimer !== null && claims && !isExpired(claims)) connect();
  });

  function receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message === null || typeof message !== "object") return;
    switch (message.type) {
      case "snapshot":
        applySnapshot(message);
        failures = 0;
        break;
      case "accepted":
        settle(message.id, null);
        break;
      case "error":
        settle(message.id, message.error ?? "The gateway refused the action.");
        break;
      default:
        if (typeof message.version !== "number" || state.version === null) break;
        if (message.version <= state.version) break; // already applied (a resume may repeat)
        if (message.version !== state.version + 1) {
          replaceStream(state.version); // a gap: resume from the last version applied
          break;
        }
        state.version = message.version;
        if (applyEvent(message)) replaceStream(null);
    }
    document.body.dataset.version = String(state.version); // what the page shows is as of this version
    scheduleRender();
  }

  // ---- Actions ----

  let nextActionID = 1;
  const pendingActions = new Map(); // action id → callback(error or null)

  /** Sends an action; `settled` gets null when the gateway wrote it, or the refusal's sentence. */
  function send(action, settled) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      settled("Not connected to the gateway: wait until the connection shows Live, then try again.");
      return;
    }
    const id = `a${nextActionID++}`;
    pendingActions.set(id, settled);
    socket.send(JSON.stringify({ ...action, id }));
  }

  function settle(id, error) {
    const settled = id === null || id === undefined ? undefined : pendingActions.get(id);
    if (settled) {
      pendingActions.delete(id);
      settled(error);
    } else if (error) {
      showRefusal(error);
    }
  }

  function canSupervise() {
    return SUPERVISING_ROLES.has(state.viewer?.role ?? claims?.role);
  }

  function setOwnStatus(status) {
    closeStatusMenu();
    clearPendingStatus();
    pendingStatus = { status, timer: setTimeout(() => { pendingStatus = null; scheduleRender(); }, PENDING_STATUS_MS) };
    const message = $("#status-message").value.trim();
    const action = { type: "status", status };
    if (message) action.message = message;
    send(action, (error) => {
      if (error) {
        clearPendingStatus();
        showRefusal(error);
      }
      scheduleRender();
    });
    scheduleRender();
  }

  function openStatusMenu() {
    const me = state.viewer ? state.agents.get(state.viewer.agent) : undefined;
    $("#status-message").value = me?.message ?? "";
    $("#status-menu").hidden = false;
    $("#own-dot").setAttribute("aria-expanded", "true");
    const current = $(`#status-menu button[aria-checked="true"]`) ?? $("#status-menu button");
    current.focus();
  }

  function closeStatusMenu() {
    $("#status-menu").hidden = true;
    $("#own-dot").setAttribute("aria-expanded", "false");
  }

  function wireControls() {
    $("#own-dot").addEventListener("click", () => {
      if ($("#status-menu").hidden) openStatusMenu();
      else closeStatusMenu();
    });
    for (const choice of document.querySelectorAll("#status-menu button[data-status]")) {
      choice.addEventListener("click", () => setOwnStatus(choice.dataset.status));
    }
    $("#status-message").addEventListener("keydown", (key) => {
      if (key.key !== "Enter") return;
      key.preventDefault();
      setOwnStatus($("#own-dot").dataset.status); // the same status with the new message
    });
    document.addEventListener("keydown", (key) => {
      if (key.key === "Escape" && !$("#status-menu").hidden) {
        closeStatusMenu();
        $("#own-dot").focus();
      }
    });
    document.addEventListener("click", (click) => {
      if (!$("#status-menu").hidden && !click.target.closest("#status-menu, #own-dot")) closeStatusMenu();
    });
    $("#assign").addEventListener("submit", (submit) => {
      submit.preventDefault();
      const result = $("#assign-result");
      const conversation = $("#assign-conversation").value.trim();
      const agent = $("#assign-agent").value;
      result.className = "result";
      result.textContent = `Assigning ${conversation} to ${agent}…`;
      send({ type: "assign", conversation, agent, over_capacity: $("#assign-over-capacity").checked }, (error) => {
        result.className = error ? "result error" : "result";
        result.textContent = error ?? `Sent: ${conversation} to ${agent}.`;
      });
    });
  }

  // ---- Start ----

  function start() {
    token = new URLSearchParams(location.hash.slice(1)).get("token");
    // A new link in the same tab is a new viewer: start again from scratch.
    window.addEventListener("hashchange", () => location.reload());
    if (!token) {
      return refuse("This page needs a token: open it as /app/#token=<token> (switchboard token --workspace W --agent A --role R mints one).", false);
    }
    try {
      claims = decodeClaims(token);
    } catch (error) {
      return refuse(`${error.message} Open a new team view link.`, false);
    }
    $("#workspace-name").textContent = claims.workspace;
    $("#own-name").textContent = claims.sub;
    document.title = `${claims.workspace} · Team view · Switchboard`;
    wireControls();
    render();
    connect();
  }

  start();
})();
