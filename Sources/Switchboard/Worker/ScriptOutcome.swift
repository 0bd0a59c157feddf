// What a workspace function reports back (see Lua/includes/context.lua): decoded once, in one place.
import Foundation
import Redis

/// The outcome of one workspace function call.
struct ScriptOutcome {
    enum Kind: String {
        case applied, stale, rejected
    }

    private(set) var kind: Kind = .applied
    /// The sentence explaining a rejection.
    private(set) var error: String?
    /// The earliest session expiry of the workspace (ms), when sessions changed.
    private(set) var earliestExpiry: Int64?
    /// For the sweeper: sessions expired by this run.
    private(set) var expired = 0
    /// For the sweeper: more sessions were due than one run handles.
    private(set) var more = false
    /// The function's JSON, for replies: only when the call asked for it (``WorkspaceFunctionCall/reply``).
    private(set) var json: String?
    /// Conversations this call assigned (its `assigned` events).
    private(set) var assignments = 0
    /// A settings change voided the widget's business hours: a worker must compute them.
    private(set) var widgetSchedule = false

    init(reply: RedisValue) throws {
        if let compact = reply.array {
            try self.init(compact: compact)
        } else {
            try self.init(json: reply)
        }
    }

    /// The compact form: the outcome, then name/value pairs.
    private init(compact: [RedisValue]) throws {
        guard let kind = compact.first?.string.flatMap(Kind.init(rawValue:)) else { throw Self.unexpected(.array(compact)) }
        self.kind = kind
        var index = 1
        while index + 1 < compact.count {
            let value = compact[index + 1]
            switch compact[index].string {
            case "error": error = value.string
            case "earliest": earliestExpiry = value.int.map(Int64.init)
            case "expired": expired = value.int ?? 0
            case "more": more = value.int == 1
            case "widget_schedule": widgetSchedule = value.int == 1
            case "assigned": assignments = value.int ?? 0
            default: break
            }
            index += 2
        }
    }

    /// The JSON form, made for a reply.
    private init(json reply: RedisValue) throws {
        guard let text = reply.string,
              let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let kind = (object["outcome"] as? String).flatMap(Kind.init(rawValue:))
        else { throw Self.unexpected(reply) }
        self.kind = kind
        self.json = text
        error = object["error"] as? String
        earliestExpiry = (object["earliest"] as? NSNumber)?.int64Value
        expired = (object["expired"] as? NSNumber)?.intValue ?? 0
        more = object["more"] as? Bool ?? false
        widgetSchedule = object["widget_schedule"] as? Bool ?? false
        assignments = (object["events"] as? [[String: Any]])?.count { $0["type"] as? String == "assigned" } ?? 0
    }

    private static func unexpected(_ reply: RedisValue) -> RedisClientError {
        RedisClientError(.protocolError, "A function returned an unexpected reply: \(reply).", recoverySuggestion: "This is a bug in Switchboard; please report it.")
    }
}
