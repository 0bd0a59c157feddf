// `switchboard watch`: print a workspace's status broadcasts as they happen.
import ArgumentParsing
import Dispatch
import Foundation
import Redis
import Switchboard

enum WatchCommand {
    static let spec = CommandSpec(
        name: "watch",
        abstract: "Print a workspace's status broadcasts live, one line each, until Ctrl-C.",
        options: RedisOptions.options + [CommonOptions.workspace, CommonOptions.prefix],
        flags: [Flag(name: "json", help: "Print each broadcast's JSON as received.")]
    ) { arguments in
        let workspace = try CommonOptions.workspace(arguments)
        let channel = CommonOptions.keys(arguments).workspace(workspace).statusChannel
        let json = arguments.flag("json")
        let done = DispatchSemaphore(value: 0)
        let redis = try RedisOptions.configuration(from: arguments, clientName: "switchboard-watch")
        RedisOptions.warnIfUnverified(redis)
        let subscriber = RedisSubscriber(configuration: redis,
                                         channels: [channel]) { event in
            switch event {
            case .ready: FileHandle.standardError.write(Data("watching \(channel) (Ctrl-C to stop)\n".utf8))
            case .message(let message): FileHandle.standardOutput.write(Data(((json ? message.text : describe(message.payload)) + "\n").utf8))
            case .disconnected(let error): FileHandle.standardError.write(Data("connection lost: \(error.message) — reconnecting\n".utf8))
            case .resumedAfterGap: FileHandle.standardError.write(Data("reconnected; broadcasts sent meanwhile were missed (see switchboard inspect agents)\n".utf8))
            case .subscribed: break  // it subscribes to its one channel at start only
            }
        }
        TerminationSignals.onSignal { done.signal() }
        subscriber.start()
        done.wait()
        subscriber.stop()
        return 0
    }

    /// `12:01:02.345  v17  42  ● away ← online  "lunch"  (override by sup-1)`, or for the
    /// widget `12:01:02.345  v18  widget  ● offline ← online  (team_away)`
    static func describe(_ payload: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else {
            return String(decoding: payload, as: UTF8.self)
        }
        let text = { (key: String) in object[key] as? String }
        let time = text("timestamp").map { String($0.dropFirst(11).prefix(12)) } ?? ""
        if text("type") == "widget" {
            let state = text("state") ?? "?"
            return "\(time)  v\(object["version"].map { "\($0)" } ?? "?")  widget  \(Terminal.dot(for: state == "online" ? "online" : "offline")) "
                + "\(state) ← \(text("previous") ?? "?")  (\(text("reason") ?? ""))"
        }
        let status = text("status") ?? "?"
        var line = "\(time)  v\(object["version"].map { "\($0)" } ?? "?")  \(text("agent_id") ?? "?")  \(Terminal.dot(for: status)) \(status) ← \(text("previous") ?? "?")"
        if let message = text("message") { line += "  \"\(message)\"" }
        line += "  (\(text("reason") ?? "")\(text("actor").map { " by \($0)" } ?? ""))"
        return line
    }
}
