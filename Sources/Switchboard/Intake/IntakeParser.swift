// IntakeParser: turns one raw intake stream entry into an IntakeEntry or a rejection sentence.
// Checks run in a fixed order so the first problem reported is the most basic one:
// entry shape (limits, UTF-8, duplicates), then op and workspace, then the op's fields.

/// Parses and validates intake stream entries; pure, no I/O.
public enum IntakeParser {
    /// The most fields one entry may have.
    public static let maxFields = 32
    /// The longest field name, in bytes.
    public static let maxFieldNameBytes = 64
    /// The longest field value, in bytes.
    public static let maxValueBytes = 1024
    /// The longest status message, in characters (grapheme clusters).
    public static let maxMessageCharacters = 280

    /// Parses one stream entry's field/value pairs (as received from Redis: raw bytes, may be invalid UTF-8, may repeat a field name).
    public static func parse(_ fields: [(name: [UInt8], value: [UInt8])]) -> Result<IntakeEntry, IntakeRejection> {
        do throws(IntakeRejection) {
            return .success(try parseEntry(IntakeFields(fields)))
        } catch {
            return .failure(IntakeRejection(error.message, workspace: workspaceHint(in: fields)))
        }
    }

    /// Convenience for text fields (tests, the CLI): parses `fields` encoded as UTF-8.
    public static func parse(_ fields: [(name: String, value: String)]) -> Result<IntakeEntry, IntakeRejection> {
        parse(fields.map { (Array($0.name.utf8), Array($0.value.utf8)) })
    }

    private static func parseEntry(_ fields: IntakeFields) throws(IntakeRejection) -> IntakeEntry {
        let why = "every entry needs 'op' (for example agent.status) and 'workspace'"
        let opText = try fields.required("op", neededBy: why)
        let workspaceText = try fields.required("workspace", neededBy: why)
        let workspace = try Identifier.validate(workspaceText, field: "workspace")
        guard let operation = IntakeOperation(rawValue: opText) else {
            throw IntakeRejection(
                "Field 'op' is \(IntakeDisplay.quoted(opText)); expected one of \(IntakeOperation.supportedList)."
            )
        }
        try checkFieldNames(fields, for: operation)
        let wantsReply = try parseReply(fields["reply"])
        let command = try parseCommand(operation, fields)
        return IntakeEntry(workspace: workspace, command: command, wantsReply: wantsReply)
    }

    private static func checkFieldNames(_ fields: IntakeFields, for operation: IntakeOperation) throws(IntakeRejection) {
        let allowed = IntakeOperation.commonFields + operation.requiredFields + operation.optionalFields
        let unknown = fields.names(notIn: allowed)
        if !unknown.isEmpty {
            let shown = unknown.prefix(5).map(IntakeDisplay.quoted)
            let named = unknown.count > 5 ? shown.joined(separator: ", ") + " and \(unknown.count - 5) more" : IntakeDisplay.list(shown)
            let subject = unknown.count == 1 ? "Field \(named) is" : "Fields \(named) are"
            throw IntakeRejection(
                "\(subject) not used by \(operation.rawValue), which takes \(operation.fieldsDescription)."
            )
        }
        for name in operation.requiredFields where fields[name] == nil {
            throw IntakeRejection(
                "Field '\(name)' is missing; \(operation.rawValue) needs \(IntakeDisplay.list(operation.requiredFields))."
            )
        }
    }

    /// The priority range of `conversation.new`.
    public static let priorityRange = -1000...1000

    private static func parseCommand(_ operation: IntakeOperation, _ fields: IntakeFields) throws(IntakeRejection) -> IntakeCommand {
        switch operation {
        case .conversationNew:
            let conversation = try identifier("conversation", in: fields)!
            let team = try identifier("team", in: fields)
            let priority = try fields["priority"].map { text throws(IntakeRejection) in try signedInteger(text, field: "priority", in: priorityRange) } ?? 0
            return .newConversation(conversation: conversation, team: team, priority: priority)
        case .conversationClose:
            return .closeConversation(conversation: try identifier("conversation", in: fields)!)
        case .conversationAssign:
            return .assignConversation(conversation: try identifier("conversation", in: fields)!, agent: try identifier("agent", in: fields)!,
                                       actor: try identifier("actor", in: fields)!, overCapacity: try overCapacity(fields))
        case .conversationTransfer:
            return .transferConversation(conversation: try identifier("conversation", in: fields)!, team: try identifier("team", in: fields)!,
                                         actor: try identifier("actor", in: fields))
        case .reassign:
            return .reassignAgent(agent: try identifier("agent", in: fields)!, to: try identifier("to", in: fields),
                                  actor: try identifier("actor", in: fields)!, overCapacity: try overCapacity(fields))
        case .settings:
            let change = try parseSettingsChange(fields)
            if change.isEmpty { throw setsNothing("workspace.settings", "nothing", IntakeOperation.settingsFields) }
            return .updateSettings(change)
        default:
            return try parseAgentCommand(operation, fields)
        }
    }

    /// "The agent.profile entry sets no profile field; expected at least one of … or …."
    private static func setsNothing(_ op: String, _ what: String, _ fields: [String]) -> IntakeRejection {
        IntakeRejection("The \(op) entry sets \(what); expected at least one of "
                            + IntakeDisplay.list(fields, conjunction: "or") + ".")
    }

    private static func overCapacity(_ fields: IntakeFields) throws(IntakeRejection) -> Bool {
        try fields["over_capacity"].map { text throws(IntakeRejection) in try boolean(text, field: "over_capacity") } ?? false
    }

    private static func parseSettingsChange(_ fields: IntakeFields) throws(IntakeRejection) -> WorkspaceSettingsChange {
        var change = WorkspaceSettingsChange()
        change.routing = try oneOf(RoutingMode.self, "routing", in: fields)
        if let text = fields["busy_fallback"] { change.busyFallback = try boolean(text, field: "busy_fallback") }
        if let text = fields["default_capacity"] { change.defaultCapacity = try integer(text, field: "default_capacity", in: ProfileChange.capacityRange) }
        if let text = fields["ai_chat"] { change.aiChat = try boolean(text, field: "ai_chat") }
        change.widgetMode = try oneOf(WidgetMode.self, "widget_mode", in: fields)
        change.widgetManual = try oneOf(WidgetState.self, "widget_manual", in: fields)
        if let text = fields["offline_when_team_away"] { change.offlineWhenTeamAway = try boolean(text, field: "offline_when_team_away") }
        // Each schedule field is checked on its own: the others may be stored already.
        do {
            if let text = fields["widget_hours"] { _ = try WidgetSchedule(hours: text, timeZone: "", exceptions: ""); change.widgetHours = text }
            if let text = fields["widget_timezone"] { _ = try WidgetSchedule(hours: "", timeZone: text, exceptions: ""); change.widgetTimezone = text }
            if let text = fields["widget_exceptions"] {
                _ = try WidgetSchedule(hours: "", timeZone: "", exceptions: text)
                change.widgetExceptions = text
            }
        } catch {
            throw IntakeRejection(error.message)
        }
        return change
    }

    /// A whole number with an optional leading minus sign, digits otherwise.
    static func signedInteger(_ text: String, field: String, in range: ClosedRange<Int>) throws(IntakeRejection) -> Int {
        let negative = text.hasPrefix("-")
        let digits = negative ? String(text.dropFirst()) : text
        let valid = !digits.isEmpty && digits.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard valid, let magnitude = Int(digits), range.contains(negative ? -magnitude : magnitude) else {
            throw IntakeRejection(
                "Field '\(field)' is \(IntakeDisplay.quoted(text)); expected a whole number from "
                    + "\(range.lowerBound) to \(range.upperBound)."
            )
        }
        return negative ? -magnitude : magnitude
    }

    private static func parseAgentCommand(_ operation: IntakeOperation, _ fields: IntakeFields) throws(IntakeRejection) -> IntakeCommand {
        let agent = try identifier("agent", in: fields)!
        switch operation {
        case .login, .heartbeat, .logout:
            let session = try identifier("session", in: fields)!
            switch operation {
            case .login: return .login(agent: agent, session: session)
            case .heartbeat: return .heartbeat(agent: agent, session: session)
            default: return .logout(agent: agent, session: session)
            }
        case .status:
            let status = try oneOf(AgentStatus.self, "status", in: fields)!
            let message = try fields["message"].flatMap(StatusMessage.parse)
            let actor = try identifier("actor", in: fields)
            return .setStatus(agent: agent, status: status, message: message, actor: actor)
        case .profile:
            let change = try parseProfileChange(fields)
            if change.isEmpty { throw setsNothing("agent.profile", "no profile field", IntakeOperation.profileFields) }
            return .updateProfile(agent: agent, change: change)
        case .conversationNew, .conversationClose, .settings, .conversationAssign, .conversationTransfer, .reassign:
            preconditionFailure("handled by parseCommand")
        }
    }

    private static func parseProfileChange(_ fields: IntakeFields) throws(IntakeRejection) -> ProfileChange {
        var change = ProfileChange()
        change.preferredStatus = try oneOf(AgentStatus.self, "preferred_status", in: fields)
        if let text = fields["accept_chats_after_login"] {
            change.acceptChatsAfterLogin = try boolean(text, field: "accept_chats_after_login")
        }
        if let text = fields["capacity"] {
            change.capacity = try integer(text, field: "capacity", in: ProfileChange.capacityRange)
        }
        if let text = fields["teams"] {
            change.teams = try TeamList.parse(text)
        }
        change.role = try oneOf(AgentRole.self, "role", in: fields)
        return change
    }

    // MARK: Field values

    /// `reply` is "1" to ask for a reply or "0" (the same as leaving it out).
    private static func parseReply(_ text: String?) throws(IntakeRejection) -> Bool {
        switch text {
        case nil, "0": return false
        case "1": return true
        case let text?:
            throw IntakeRejection("Field 'reply' is \(IntakeDisplay.quoted(text)); expected 1 (send a reply) or 0.")
        }
    }

    private static func identifier(_ field: String, in fields: IntakeFields) throws(IntakeRejection) -> Identifier? {
        guard let text = fields[field] else { return nil }
        return try Identifier.validate(text, field: field)
    }

    private static func oneOf<Value: RawRepresentable & CaseIterable>(
        _ type: Value.Type, _ field: String, in fields: IntakeFields
    ) throws(IntakeRejection) -> Value? where Value.RawValue == String {
        guard let text = fields[field] else { return nil }
        guard let value = Value(rawValue: text) else {
            let expected = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw IntakeRejection("Field '\(field)' is \(IntakeDisplay.quoted(text)); expected one of \(expected).")
        }
        return value
    }

    private static func boolean(_ text: String, field: String) throws(IntakeRejection) -> Bool {
        switch text {
        case "true": return true
        case "false": return false
        default: throw IntakeRejection("Field '\(field)' is \(IntakeDisplay.quoted(text)); expected true or false.")
        }
    }

    /// Plain decimal digits only: no sign, no spaces, no exponent.
    static func integer(_ text: String, field: String, in range: ClosedRange<Int>) throws(IntakeRejection) -> Int {
        let digitsOnly = !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard digitsOnly, let value = Int(text), range.contains(value) else {
            throw IntakeRejection(
                "Field '\(field)' is \(IntakeDisplay.quoted(text)); expected a whole number from "
                    + "\(range.lowerBound) to \(range.upperBound), digits only."
            )
        }
        return value
    }

    /// The workspace to report a rejection against: set only when there is exactly one
    /// `workspace` field and it is a valid id, whatever else is wrong with the entry.
    private static func workspaceHint(in fields: [(name: [UInt8], value: [UInt8])]) -> Identifier? {
        let candidates = fields.filter { $0.name.elementsEqual("workspace".utf8) }
        guard candidates.count == 1, let text = UTF8Validation.decode(candidates[0].value) else { return nil }
        return Identifier(text)
    }
}
