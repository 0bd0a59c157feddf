// What a workspace function reports back (see Lua/includes/context.lua): decoded once, in one place.
import Foundation
import Redis

/// The outcome of one workspace function call.
struct ScriptOutcome {
    enum Kind: String {
        case applied, stale, rejected
    }

    let kind: Kind
    /// The sentence explaining a rejection.
    let error: String?
    /// The earliest session expiry of the workspace (ms), when sessions changed.
    let earliestExpiry: Int64?
    /// For the sweeper: sessions expired by this run.
    let expired: Int
    /// For the sweeper: more sessions were due than one run handles.
    let more: Bool
    /// The script's JSON, for replies.
    let json: String
    /// Conversations this call assigned (its `assigned` events).
    let assignments: Int
    /// A settings change voided the widget's business hours: a worker must compute them.
    let widgetSchedule: Bool

    init(reply: RedisValue) throws {
        guard let text = reply.string,
              let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let kind = (object["outcome"] as? String).flatMap(Kind.init(rawValue:))
        else { throw RedisClientError(.protocolError, "A function returned an unexpected reply: \(reply).", recoverySuggestion: "This is a bug in Switchboard; please report it.") }
        self.kind = kind
        self.json = text
        error = object["error"] as? String
        earliestExpiry = (object["earliest"] as? NSNumber)?.int64Value
        expired = (object["expired"] as? NSNumber)?.intValue ?? 0
        more = object["more"] as? Bool ?? false
        widgetSchedule = object["widget_schedule"] as? Bool ?? false
        assignments = (object["events"] as? [[String: Any]])?.count { $0["type"] as? String == "assigned" } ?? 0
    }
}
