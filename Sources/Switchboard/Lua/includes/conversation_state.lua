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
-- that `from` (the state it was read or written in) may move there; a state outside the
-- table (a hand edit) is refused with the same sentence. Callers check before their first
-- write (`may_move_conversation`), so a refusal never leaves half a change.
local function may_move_conversation(from, to) return (CONVERSATION_MOVES[from or ''] or {})[to] == true end
-- The sentence for a state outside the table, for callers to reject the entry with.
local function unknown_conversation_state(conversation, state)
  return string.format("Conversation '%s' has state '%s', which is not one Switchboard writes (queued, assigned, closed): fix or delete its hash by hand, then send the entry again.",
    conversation, state)
end
local function move_conversation(conversation, from, to, ...)
  if not may_move_conversation(from, to) then
    error(string.format("conversation '%s' may not move from %s to %s", conversation, from or 'nothing', to))
  end
  redis.call('HSET', key.conversation(conversation), 'state', to, ...)
end
