// Placeholder until the team view lands.
