// What a dashboard asks for (a WebSocket text message, or the body of POST …/intake),
// turned into the ordinary intake entry the gateway writes for it. The actor is always the
// token's agent; the entry is validated with the workers' own parser before it is written.
import Switchboard

/// A client's action, authorised and validated: the intake entry to write.
struct GatewayAction: Equatable {
    /// The client's `id` as JSON text, echoed in `accepted` or `error` (`null` when absent).
    let id: String
    /// The entry to write to the workspace's intake stream.
    let entry: IntakeEntry

    /// Why an action was refused (nothing is written).
    struct Refusal: Error, Equatable {
        /// The client's `id` as JSON text, or `null`.
        let id: String
        /// One sentence saying what is wrong and what to send instead.
        let sentence: String
    }

    /// The action types and the fields each takes besides `type` and `id`.
    private static let fields: [String: [String]] = [
        "status": ["status", "message", "agent"],
        "assign": ["conversation", "agent", "over_capacity"],
        "reassign": ["agent", "to", "over_capacity"],
        "transfer": ["conversation", "team"],
    ]

    /// "assign, reassign, status or transfer", for sentences.
    private static let typeList = "status, assign, reassign or transfer"

    /// Parses one client message for `viewer`: JSON object, known type and fields, the token's
    /// role allowing it, then the intake rules.
    static func parse(_ bytes: [UInt8], viewer: GatewayViewer) -> Result<GatewayAction, Refusal> {
        guard case .object(let object)? = JSONValue.decode(bytes) else {
            return .failure(Refusal(id: "null", sentence: "The message is not a JSON object; send one object such as {\"type\":\"status\",\"status\":\"away\"}."))
        }
        let id = object["id"].map(\.text) ?? "null"
        func refuse(_ sentence: String) -> Result<GatewayAction, Refusal> { .failure(Refusal(id: id, sentence: sentence)) }
        if let value = object["id"], !value.isScalar {
            return .failure(Refusal(id: "null", sentence: "Field 'id' is \(value.kind); expected a string or a number to echo back."))
        }
        guard case .string(let type)? = object["type"] else {
            return refuse("Field 'type' is missing or not a string; expected one of \(typeList).")
        }
        guard let allowed = fields[type] else {
            return refuse("Field 'type' is \(JSONText.quoted(type)); expected one of \(typeList).")
        }
        var values: [String: String] = [:]
        for (name, value) in object.sorted(by: { $0.key < $1.key }) where name != "type" && name != "id" {
            guard allowed.contains(name) else {
                let why = name == "actor" || name == "workspace" ? " (the gateway takes it from the token)" : ""
                return refuse("Field '\(name)' is not used by a \(type) message\(why), which takes \(allowed.joined(separator: ", ")).")
            }
            switch value {
            case .string(let text): values[name] = text
            case .bool(let flag): values[name] = flag ? "true" : "false"
            case .null: continue
            default: return refuse("Field '\(name)' is \(value.kind); expected a string\(name == "over_capacity" ? " or a boolean" : "").")
            }
        }
        let actor = viewer.agent.rawValue
        var intake: [(name: String, value: String)] = [("workspace", viewer.workspace.rawValue)]
        switch type {
        case "status":
            let agent = values["agent"] ?? actor
            if agent != actor && !viewer.supervises {
                return refuse("An agent token may set only its own status: agent '\(actor)' may not change the status of agent '\(agent)' (a supervisor, admin or owner token may).")
            }
            intake.insert(("op", "agent.status"), at: 0)
            intake += [("agent", agent)] + optional("status", values) + optional("message", values) + [("actor", actor)]
        case "assign", "reassign", "transfer":
            guard viewer.supervises else {
                return refuse("A \(type) message needs a supervisor, admin or owner token; this token's role is agent.")
            }
            switch type {
            case "assign":
                intake.insert(("op", "conversation.assign"), at: 0)
                intake += optional("conversation", values) + optional("agent", values) + [("actor", actor)] + optional("over_capacity", values)
            case "reassign":
                intake.insert(("op", "agent.reassign"), at: 0)
                intake += optional("agent", values) + optional("to", values) + [("actor", actor)] + optional("over_capacity", values)
            default:
                intake.insert(("op", "conversation.transfer"), at: 0)
                intake += optional("conversation", values) + optional("team", values) + [("actor", actor)]
            }
        default:
            preconditionFailure("every type of `fields` is handled")
        }
        switch IntakeParser.parse(intake) {
        case .success(let entry): return .success(GatewayAction(id: id, entry: entry))
        case .failure(let rejection): return refuse(rejection.message)
        }
    }

    private static func optional(_ name: String, _ values: [String: String]) -> [(name: String, value: String)] {
        values[name].map { [(name, $0)] } ?? []
    }
}

extension JSONValue {
    /// Strings, numbers, booleans and null.
    var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    /// "a number", "an object", … for sentences.
    var kind: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
