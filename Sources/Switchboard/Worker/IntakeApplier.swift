// Turns a parsed intake entry into the one script call that applies it.

/// Maps each intake command to its workspace script.
struct IntakeApplier {
    let keys: KeySchema
    let sessionTTL: Duration
    let eventsCap: Int

    var replay = ReplayLimits()

    func call(for entry: IntakeEntry, entryID: String) -> WorkspaceScriptCall {
        let ttl = Int(sessionTTL.components.seconds) * 1000 + Int(sessionTTL.components.attoseconds / 1_000_000_000_000_000)
        return AgentEventScript.call(keys: keys.workspace(entry.workspace), entryID: entryID, eventsCap: eventsCap,
                                     command: entry.command, sessionTTLMilliseconds: ttl, replay: replay)
    }
}
