// The `switchboard` executable: workers and operator commands.
import ArgumentParsing
import Foundation
import Switchboard

TerminationSignals.install()

let root = CommandSpec(
    name: "switchboard",
    abstract: "Presence and routing for live chat, shared through Redis.",
    discussion: """
    Workers consume the intake stream and apply each entry atomically; the other
    subcommands let people and scripts drive and inspect a workspace.
    """,
    subcommands: [WorkerCommand.spec, AgentCommand.spec, ConversationCommand.spec, SettingsCommand.spec, WidgetCommand.spec, WatchCommand.spec,
                  InspectCommand.spec, FunctionsCommand.spec, IntakeKeyCommand.spec, TokenCommand.spec, PingCommand.spec, DemoCommand.spec]
).withRedisFlags()

exit(CommandLineTool.main(root, version: SwitchboardInfo.version))
