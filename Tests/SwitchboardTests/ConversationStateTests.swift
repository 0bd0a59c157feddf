// A conversation's `state` moves only as the library's table allows; a state written by
// hand that the table does not know is refused with a sentence before anything is written.
import Foundation
import Redis
import Testing
import TestSupport
@testable import Switchboard

@Suite("Conversation states")
struct ConversationStateTests {
    @Test(arguments: ["close", "transfer"])
    func aStateWrittenByHandIsRejectedBeforeAnyWrite(_ op: String) throws {
        let connection = try TestRedis.connection()
        let schema = KeySchema(prefix: "cst" + TestRedis.uniquePrefix().dropFirst(2).dropLast())
        let applier = IntakeApplier(keys: schema, sessionTTL: .seconds(3600), eventsCap: 1000)
        let workspace = Identifier("w")!
        let keys = schema.workspace(workspace)
        let conversation = Identifier("c1")!
        let hash = keys.conversation(conversation)
        try connection.send(RedisCommand("HSET", hash, "state", "parked", "team", "sales"))
        let command: IntakeCommand = op == "close" ? .closeConversation(conversation: conversation)
            : .transferConversation(conversation: conversation, team: Identifier("billing")!, actor: nil)
        let call = applier.call(for: IntakeEntry(workspace: workspace, command: command), entryID: "1000-0")
        let outcome = try ScriptOutcome(reply: connection.call(call.function, command: call.command))
        #expect(outcome.kind == .rejected)
        #expect(outcome.error?.contains("Conversation 'c1' has state 'parked'") == true, "\(outcome.error ?? "")")
        let stored = try connection.send(RedisCommand("HGETALL", hash)).array?.compactMap(\.string) ?? []
        #expect(stored == ["state", "parked", "team", "sales"], "nothing written")
        let leftovers = try connection.send(RedisCommand("KEYS", "\(schema.prefix):*")).array ?? []
        if !leftovers.isEmpty { try connection.send(RedisCommand("DEL", arguments: leftovers.compactMap(\.string))) }
    }
}
