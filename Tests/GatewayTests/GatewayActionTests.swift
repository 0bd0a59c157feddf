// Client actions → intake entries: the actor is the token's agent, the token's role decides
// what may be asked, the workers' parser validates, and every refusal is one sentence.
@testable import Gateway
import Switchboard
import Testing

private func viewer(_ agent: String = "42", role: AgentRole = .agent) -> GatewayViewer {
    GatewayViewer(agent: Identifier(agent)!, workspace: Identifier("acme")!, role: role)
}

private func fields(_ json: String, as viewer: GatewayViewer = viewer()) throws -> [String] {
    let action = try GatewayAction.parse(Array(json.utf8), viewer: viewer).get()
    return action.entry.fields.flatMap { [$0.name, $0.value] }
}

private func refusal(_ json: String, as viewer: GatewayViewer = viewer()) -> GatewayAction.Refusal? {
    if case .failure(let refusal) = GatewayAction.parse(Array(json.utf8), viewer: viewer) { return refusal }
    return nil
}

@Suite("Gateway actions")
struct GatewayActionTests {
    @Test func ownStatusTakesTheActorFromTheToken() throws {
        #expect(try fields(#"{"type":"status","status":"dnd","message":"Focus"}"#)
            == ["op", "agent.status", "workspace", "acme", "agent", "42", "status", "dnd", "message", "Focus", "actor", "42"])
        // A null message clears it, as leaving it out does.
        #expect(try fields(#"{"type":"status","status":"online","message":null,"agent":"42"}"#)
            == ["op", "agent.status", "workspace", "acme", "agent", "42", "status", "online", "actor", "42"])
    }

    @Test func overridesNeedASupervisingToken() throws {
        let refused = refusal(#"{"type":"status","status":"dnd","agent":"43","id":"r1"}"#)
        #expect(refused?.id == #""r1""#)
        #expect(refused?.sentence.contains("only its own status") == true)
        for role in [AgentRole.supervisor, .admin, .owner] {
            #expect(try fields(#"{"type":"status","status":"dnd","agent":"43"}"#, as: viewer("sup", role: role))
                == ["op", "agent.status", "workspace", "acme", "agent", "43", "status", "dnd", "actor", "sup"])
        }
    }

    @Test func supervisorActionsBecomeTheirIntakeOps() throws {
        let sup = viewer("sup", role: .supervisor)
        #expect(try fields(#"{"type":"assign","conversation":"c-1","agent":"43","over_capacity":true}"#, as: sup)
            == ["op", "conversation.assign", "workspace", "acme", "conversation", "c-1", "agent", "43", "actor", "sup", "over_capacity", "true"])
        #expect(try fields(#"{"type":"assign","conversation":"c-1","agent":"43","over_capacity":false}"#, as: sup)
            == ["op", "conversation.assign", "workspace", "acme", "conversation", "c-1", "agent", "43", "actor", "sup"])
        #expect(try fields(#"{"type":"reassign","agent":"42","to":"43"}"#, as: sup)
            == ["op", "agent.reassign", "workspace", "acme", "agent", "42", "to", "43", "actor", "sup"])
        #expect(try fields(#"{"type":"reassign","agent":"42"}"#, as: sup)
            == ["op", "agent.reassign", "workspace", "acme", "agent", "42", "actor", "sup"])
        #expect(try fields(#"{"type":"transfer","conversation":"c-1","team":"billing"}"#, as: sup)
            == ["op", "conversation.transfer", "workspace", "acme", "conversation", "c-1", "team", "billing", "actor", "sup"])
    }

    @Test func anAgentTokenMayNotAssignReassignOrTransfer() {
        for json in [#"{"type":"assign","conversation":"c-1","agent":"42"}"#, #"{"type":"reassign","agent":"42"}"#,
                     #"{"type":"transfer","conversation":"c-1","team":"billing"}"#] {
            #expect(refusal(json)?.sentence.contains("needs a supervisor, admin or owner token") == true, "\(json)")
        }
    }

    @Test func theActorAndWorkspaceComeOnlyFromTheToken() {
        #expect(refusal(#"{"type":"status","status":"dnd","actor":"boss"}"#)?.sentence.contains("takes it from the token") == true)
        #expect(refusal(#"{"type":"status","status":"dnd","workspace":"other"}"#)?.sentence.contains("takes it from the token") == true)
    }

    @Test func refusalsAreSentencesAndEchoTheID() {
        let cases: [(String, String)] = [
            ("not json", "not a JSON object"),
            ("[1]", "not a JSON object"),
            (#"{"id":7}"#, "Field 'type' is missing"),
            (#"{"type":"fly","id":7}"#, "Field 'type' is \"fly\""),
            (#"{"type":"status"}"#, "Field 'status' is missing"),
            (#"{"type":"status","status":"sleeping"}"#, "Field 'status' is 'sleeping'"),
            (#"{"type":"status","status":"away","message":"a\tb"}"#, "control character"),
            (#"{"type":"status","status":1}"#, "Field 'status' is a number"),
            (#"{"type":"status","status":"away","mesage":"x"}"#, "Field 'mesage' is not used"),
            (#"{"type":"status","status":"away","id":{"a":1}}"#, "Field 'id' is an object"),
        ]
        for (json, fragment) in cases {
            let sentence = refusal(json)?.sentence ?? ""
            #expect(sentence.contains(fragment), "\(json): \(sentence)")
            #expect(sentence.hasSuffix(".") && !sentence.contains("\n"), "\(sentence)")
        }
        #expect(refusal(#"{"type":"fly","id":7}"#)?.id == "7")
        #expect(refusal(#"{"type":"fly"}"#)?.id == "null")
        #expect(try! GatewayAction.parse(Array(#"{"type":"status","status":"away","id":"a\"b"}"#.utf8), viewer: viewer()).get().id == #""a\"b""#)
    }
}
