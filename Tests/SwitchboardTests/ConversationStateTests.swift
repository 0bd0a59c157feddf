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
        let space = try LibraryWorkspace("cst")
        let connection = space.connection
        let conversation = Identifier("c1")!
        let hash = space.keys.conversation(conversation)
        try connection.send(RedisCommand("HSET", hash, "state", "parked", "team", "sales"))
        let command: IntakeCommand = op == "close" ? .closeConversation(conversation: conversation)
            : .transferConversation(conversation: conversation, team: Identifier("billing")!, actor: nil)
        let outcome = try space.outcome("1000-0", command)
        #expect(outcome.kind == .rejected)
        #expect(outcome.error?.contains("Conversation 'c1' has state 'parked'") == true, "\(outcome.error ?? "")")
        let stored = try connection.send(RedisCommand("HGETALL", hash)).array?.compactMap(\.string) ?? []
        #expect(stored == ["state", "parked", "team", "sales"], "nothing written")
        try space.removeKeys()
    }
}
