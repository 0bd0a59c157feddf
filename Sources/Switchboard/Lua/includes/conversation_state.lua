-- A conversation's `state`: the allowed moves, and the one function that writes it.

-- from → the states it may move to; '' is a conversation not stored yet (a close may
-- overtake its conversation.new: the closed hash is then kept so the new one is stale; a
-- new conversation with an agent free is stored assigned, without a queued step).
local CONVERSATION_MOVES = {
  [''] = {queued = true, assigned = true, closed = true},
  queued = {queued = true, assigned = true, closed = true},     -- routed or assigned; transferred; closed
  assigned = {queued = true, assigned = true, closed = true},   -- requeued or transferred; reassigned; closed
  closed = {},
}

-- Writes the conversation's state `to` (with `...`: more field, value pairs) after checking
-- that `from` (the state it was read or written in) may move there.
local function move_conversation(conversation, from, to, ...)
  if not CONVERSATION_MOVES[from or ''][to] then
    error(string.format("conversation '%s' may not move from %s to %s", conversation, from or 'nothing', to))
  end
  redis.call('HSET', key.conversation(conversation), 'state', to, ...)
end
