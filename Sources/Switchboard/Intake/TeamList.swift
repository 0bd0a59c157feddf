// TeamList: the `teams` field of `agent.profile`, a comma-separated list of team ids.

enum TeamList {
    /// The teams in `text` in the order given; "" is the empty list.
    static func parse(_ text: String) throws(IntakeRejection) -> [Identifier] {
        if text.isEmpty { return [] }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if items.count > ProfileChange.maxTeams {
            throw IntakeRejection(
                "Field 'teams' lists \(items.count) teams; expected at most \(ProfileChange.maxTeams)."
            )
        }
        var teams: [Identifier] = []
        for (index, item) in items.enumerated() {
            if let problem = Identifier.problem(in: item) {
                throw IntakeRejection(
                    "Field 'teams' item \(index + 1) \(problem.describing(item)); expected a comma-separated list "
                        + "(no spaces) of ids of 1 to 64 characters, each a letter, a digit, '.', '_', '@' or '-'."
                )
            }
            let team = Identifier(unchecked: item)
            if teams.contains(team) {
                throw IntakeRejection("Field 'teams' lists \(IntakeDisplay.quoted(item)) twice; expected each team once.")
            }
            teams.append(team)
        }
        return teams
    }
}
