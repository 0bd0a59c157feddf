// Turns a parsed intake entry into the one script call that applies it.

/// Maps each intake command to its workspace script.
struct IntakeApplier {
    let keys: KeySchema
    let sessionTTL: Duration
    let eventsCap: Int

    func call(for entry: IntakeEntry, entryID: String) -> WorkspaceScriptCall {
        let workspace = keys.workspace(entry.workspace)
        let ttl = Int(sessionTTL.components.seconds) * 1000 + Int(sessionTTL.components.attoseconds / 1_000_000_000_000_000)
        switch entry.command {
        case .login(let agent, let session), .heartbeat(let agent, let session):
            return SessionOpenScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap, agent: agent, session: session, ttlMilliseconds: ttl)
        case .logout(let agent, let session):
            return SessionCloseScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap, agent: agent, session: session)
        case .setStatus(let agent, let status, let message, let actor):
            return StatusSetScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap, agent: agent, status: status, message: message, actor: actor)
        case .updateProfile(let agent, let change):
            return ProfileUpdateScript.call(keys: workspace, entryID: entryID, eventsCap: eventsCap, agent: agent, change: change)
        }
    }
}
