// `switchboard functions [prune]`: the versions of the function library in Redis, which
// live workers call each, and removing those none calls.
import ArgumentParsing
import Redis
import Switchboard

/// One version of the library: in Redis or not, and who uses it.
struct LibraryVersion: Codable, Equatable {
    /// `switchboard_<version>`.
    var library: String
    /// Its functions as loaded in Redis; empty when Redis does not hold it (a worker loads
    /// it again on its next call).
    var functions: [String]
    /// Live workers (under this prefix) whose heartbeat names it.
    var workers: [String]
    /// The version this `switchboard` binary calls.
    var thisBuild: Bool
    /// Loaded in Redis.
    var loaded: Bool
}

enum FunctionsCommand {
    private static let shared = RedisOptions.options + [CommonOptions.prefix]

    static let spec = CommandSpec(
        name: "functions",
        abstract: "List the versions of Switchboard's function library in Redis and which live workers call each.",
        discussion: """
        Every worker loads its release's Lua library, named switchboard_<version> (FUNCTION
        LIST shows it), and calls only its own functions, so workers of two releases run side
        by side during a rolling upgrade. A worker writes its library's name into its heartbeat
        (the field library of sb:worker:<name>). Once no live worker calls an old version,
        remove it with 'switchboard functions prune'.
        """,
        options: shared, flags: [CommonOptions.json],
        subcommands: [
            CommandSpec(
                name: "prune",
                abstract: "Delete the versions of the library that no live worker calls (never this build's own).",
                discussion: """
                Runs FUNCTION DELETE on each switchboard_<version> library in Redis that no
                live worker's heartbeat names and that is not this build's (on a Redis Cluster,
                on every primary). Deleting a library
                loses no data: a worker that still needed it (one just starting, or of another
                --prefix, whose workers this command does not see) loads it again on its next call.
                Run it as an admin (a user allowed FUNCTION DELETE): the read-only operator
                user may not delete libraries (docs/operations.md, Function library versions).
                """,
                options: shared
            ) { arguments in
                let connection = try RedisOptions.connection(from: arguments, clientName: "switchboard-functions")
                let unused = try versions(on: connection, keys: CommonOptions.keys(arguments)).filter { $0.loaded && $0.workers.isEmpty && !$0.thisBuild }
                for version in unused {
                    // Every primary holds its own functions; one that lacks the library says so.
                    let replies = try connection.sendToEveryPrimary(RedisCommand("FUNCTION", "DELETE", version.library))
                    let refusals = replies.compactMap(\.reply.serverError).filter { !$0.message.contains("Library not found") }
                    if let refusal = refusals.first(where: { $0.code == "NOPERM" }) {
                        printError("this Redis user may not delete function libraries (\(refusal.message)): run 'switchboard functions prune' "
                                   + "as an admin, a user allowed FUNCTION DELETE (docs/operations.md, Function library versions)")
                        return 1
                    }
                    if let refusal = refusals.first { throw refusal }
                    print("deleted \(version.library) (\(version.functions.count) functions, no live worker calls it)")
                }
                if unused.isEmpty { print("nothing to prune: every switchboard library in Redis is called by a live worker or is this build's") }
                return 0
            },
        ]
    ) { arguments in
        let connection = try RedisOptions.connection(from: arguments, clientName: "switchboard-functions")
        let list = try versions(on: connection, keys: CommonOptions.keys(arguments))
        if arguments.flag("json") {
            print(try Render.json(list))
        } else if list.isEmpty {
            print("no switchboard library in Redis and no live worker")
        } else {
            let rows = list.map { version in
                [version.library + (version.thisBuild ? " (this build)" : ""), version.loaded ? String(version.functions.count) : "not loaded",
                 version.workers.isEmpty ? (version.thisBuild ? "none" : "none (prune removes it)") : version.workers.joined(separator: ",")]
            }
            print(Render.table([["LIBRARY", "FUNCTIONS", "LIVE WORKERS"]] + rows))
        }
        return 0
    }

    /// Every switchboard library in Redis (on a Redis Cluster, on any primary: each loads
    /// its own), every one a live worker names, and this build's.
    static func versions(on connection: RedisConnection, keys: KeySchema) throws -> [LibraryVersion] {
        var loaded: [String: [String]] = [:]
        for primary in try connection.sendToEveryPrimary(RedisCommand("FUNCTION", "LIST", "LIBRARYNAME", "switchboard_*")) {
            for library in try primary.reply.orThrow().array ?? [] {
                let fields = pairs(library)
                guard let name = fields["library_name"]?.string, name.hasPrefix("switchboard_") else { continue }
                let functions = (fields["functions"]?.array ?? []).compactMap { pairs($0)["name"]?.string }
                loaded[name] = Array(Set(loaded[name] ?? []).union(functions)).sorted()
            }
        }
        let names = try connection.send(RedisCommand("ZRANGE", keys.workers, 0, -1)).array?.compactMap(\.string) ?? []
        let used = try connection.pipeline(names.map { RedisCommand("HGET", keys.worker($0), "library") })
        var workers: [String: [String]] = [:]
        for (name, library) in zip(names, used) {
            if let library = library.string { workers[library, default: []].append(name) }
        }
        let own = SwitchboardLibrary.library.name
        return Set(loaded.keys).union(workers.keys).union([own]).sorted().map { name in
            LibraryVersion(library: name, functions: loaded[name] ?? [], workers: workers[name]?.sorted() ?? [], thisBuild: name == own,
                           loaded: loaded[name] != nil)
        }
    }

    /// A RESP2 map (a flat array of name, value) as a dictionary.
    private static func pairs(_ value: RedisValue) -> [String: RedisValue] {
        let items = value.array ?? []
        var result: [String: RedisValue] = [:]
        for index in stride(from: 0, to: items.count - 1, by: 2) {
            if let name = items[index].string { result[name] = items[index + 1] }
        }
        return result
    }
}
