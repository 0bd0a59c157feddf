-- The role check: who may act for other agents (override a status, assign, reassign).

local SUPERVISOR_ROLES = {supervisor = true, admin = true, owner = true}

-- nil when the actor may act for others (supervisor, admin, owner), else the sentence why
-- not: "Actor … may not <what>: only a supervisor, admin or owner may[ <may>]."
local function refuse_unless_supervisor(actor, what, may)
  local role = redis.call('HGET', key.agent(actor), 'role') or 'agent'
  if SUPERVISOR_ROLES[role] then return nil end
  return string.format("Actor '%s' has role '%s' and may not %s: only a supervisor, admin or owner may%s.",
    actor, role, what, may and (' ' .. may) or '')
end
