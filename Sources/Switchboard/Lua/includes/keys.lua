-- Key names of a workspace, derived from its prefix `sb:{ws}:` (P): the one place the Lua
-- names keys. The names are those of KeySchema.swift (WorkspaceKeys) and docs/keys.md; a
-- test compares the two. `suffix` is '' for the general queue and pools, ':<team>' for a team.
local key = {}
function key.meta() return P .. 'meta' end
function key.agents() return P .. 'agents' end
function key.sessions() return P .. 'sessions' end
function key.events() return P .. 'events' end
function key.status() return P .. 'status' end
function key.assignments() return P .. 'assignments' end
function key.feed() return P .. 'feed' end
function key.settings() return P .. 'settings' end
function key.widget() return P .. 'widget' end
function key.available() return P .. 'available' end
function key.teams() return P .. 'teams' end
function key.queue(suffix) return P .. 'queue' .. suffix end
function key.pool(suffix) return P .. 'pool' .. suffix end
function key.busy(suffix) return P .. 'busy' .. suffix end
function key.conversation(id) return P .. 'conversation:' .. id end
function key.agent(id) return P .. 'agent:' .. id end
function key.agent_sessions(id) return P .. 'agent:' .. id .. ':sessions' end
function key.agent_conversations(id) return P .. 'agent:' .. id .. ':conversations' end
function key.agent_log(id) return P .. 'agent:' .. id .. ':log' end

-- The queue/pool suffix of a team: '' for none (the general queue), else ':<team>'.
local function team_suffix(team) return (team and team ~= '') and (':' .. team) or '' end
-- The team of a suffix: its inverse.
local function suffix_team(suffix) return string.sub(suffix, 2) end
