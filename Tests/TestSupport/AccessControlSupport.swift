// Access-control tests: the ACL rules as docs/operations.md writes them, a private Redis
// whose default user has a password, and `switchboard` processes run with credentials.
import ChildProcess
import Foundation
import Redis

/// The `ACL SETUSER` lines of `docs/operations.md`, each in the fenced block that follows a
/// marker comment such as `<!-- acl:worker -->`.
public enum DocumentedACL {
    /// The repository's root folder (this file is `Tests/TestSupport/…`).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `docs/operations.md`.
    public static var operationsPage: URL { repositoryRoot.appendingPathComponent("docs/operations.md") }

    /// The words after `ACL SETUSER` of the rule named `name` (`worker`, `operator`, `client`):
    /// the user name first, then the rules, as written (password placeholder included).
    public static func rule(_ name: String) throws -> [String] {
        let lines = try lines(name)
        guard lines.count == 1, let line = lines.first else {
            throw TestSupportError("the block after <!-- acl:\(name) --> must hold exactly one ACL SETUSER line, found \(lines.count)")
        }
        return line
    }

    /// The words after `ACL SETUSER` of each such line in the block marked `name` (e.g.
    /// `upgrade`, the grants of a rolling upgrade).
    public static func lines(_ name: String) throws -> [[String]] {
        let text = try String(contentsOf: operationsPage, encoding: .utf8)
        let marker = "<!-- acl:\(name) -->"
        guard let found = text.range(of: marker) else { throw TestSupportError("docs/operations.md has no \(marker)") }
        // Trimmed: a block inside a list item is indented.
        let lines = text[found.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        // The marker's own line ends first; the fence must follow right after it.
        guard let open = lines.dropFirst().first(where: { !$0.isEmpty }),
              open.hasPrefix("```") else {
            throw TestSupportError("\(marker) in docs/operations.md is not followed by a fenced block")
        }
        let start = lines.firstIndex(of: open)! + 1
        guard let close = lines[start...].firstIndex(where: { $0.hasPrefix("```") }) else {
            throw TestSupportError("the block after \(marker) is not closed")
        }
        let commands = lines[start..<close].filter { $0.hasPrefix("ACL SETUSER ") }
        guard !commands.isEmpty else { throw TestSupportError("the block after \(marker) holds no ACL SETUSER line") }
        return commands.map { Array($0.split(whereSeparator: \.isWhitespace).map(String.init).dropFirst(2)) }
    }

    /// The rule with its password placeholder (`>…` or `#…`) replaced by `password`.
    public static func rule(_ name: String, password: String) throws -> [String] {
        let words = try rule(name)
        guard words.contains(where: { $0.hasPrefix(">") || $0.hasPrefix("#") }) else {
            throw TestSupportError("the \(name) rule sets no password (>… or #…)")
        }
        return words.map { $0.hasPrefix(">") || $0.hasPrefix("#") ? ">" + password : $0 }
    }

    /// The commands a rule allows one by one (`+name` words, categories left out), lowercase:
    /// `["ping", "client|setname", …]`.
    public static func allowedCommands(_ name: String) throws -> Set<String> {
        Set(try rule(name).filter { $0.hasPrefix("+") && !$0.hasPrefix("+@") }.map { $0.dropFirst().lowercased() })
    }
}

/// A private `redis-server` whose `default` user has a password (the admin here), for
/// creating ACL users that never leak into the shared test server.
public final class AccessControlServer: @unchecked Sendable {
    // @unchecked: used from one test at a time; `admin` is only touched from that test.
    public let server: RedisServerProcess
    public let adminPassword: String
    /// A connection as the `default` user (every permission).
    public let admin: RedisConnection

    /// Starts the server; `adminPassword` becomes `requirepass`.
    public init(adminPassword: String = "admin-\(UUID().uuidString.prefix(8))") throws {
        self.adminPassword = adminPassword
        server = try RedisServerProcess(arguments: ["--requirepass", adminPassword])
        var configuration = server.configuration(name: "sb-test-admin")
        configuration.password = adminPassword
        admin = RedisConnection(configuration: configuration)
    }

    /// Creates the user of the documented rule `rule` with `password`; returns the user's name.
    @discardableResult
    public func createUser(fromRule rule: String, password: String) throws -> String {
        let words = try DocumentedACL.rule(rule, password: password)
        try admin.send(RedisCommand("ACL", arguments: ["SETUSER"] + words))
        return words[0]
    }

    /// Writes `password` to a file of its own (mode 0600) in the server's folder; returns the path.
    public func passwordFile(_ name: String, containing password: String) throws -> String {
        let path = server.directory.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: Data((password + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw TestSupportError("could not write \(path)")
        }
        return path
    }

    /// The server's URL for `user` with the password left to a password file:
    /// `unix://user:@/…/redis.sock` (or `unix:///…` for the default user).
    public func url(user: String?) -> String {
        user.map { "unix://\($0):@\(server.socketPath)" } ?? server.url
    }

    /// A configuration that logs in as `user` (nil: the default user) with `password`.
    public func configuration(user: String?, password: String, name: String? = nil) -> RedisConfiguration {
        var configuration = server.configuration(name: name)
        configuration.username = user
        configuration.password = password
        return configuration
    }

    /// The server's `ACL LOG` (every refusal since it started), newest first: `reason`,
    /// `context`, `object`, `username`, … per entry.
    public func aclLog() throws -> [[String: String]] {
        (try admin.send(RedisCommand("ACL", "LOG")).array ?? []).compactMap(\.stringPairs)
    }
}

/// A `switchboard` process started with an environment of its own (credentials in
/// `REDIS_URL` / `REDIS_PASSWORD_FILE`), logging to a file; `pid` for `/proc` checks.
public final class SwitchboardProcess: Sendable {
    public let logPath: String
    private let child: ChildProcess

    /// The environment of a test process minus every variable `switchboard` reads, plus `environment`.
    public static func environment(_ environment: [String: String]) -> [String: String] {
        var base = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("REDIS_") && !$0.key.hasPrefix("SWITCHBOARD_")
        }
        // Several workers run at once in the tests: no HTTP endpoint (it would take port 9464).
        base["SWITCHBOARD_HTTP"] = "off"
        base.merge(environment) { $1 }
        return base
    }

    /// Starts `switchboard <arguments>`.
    public init(_ arguments: [String], environment: [String: String] = [:]) throws {
        logPath = NSTemporaryDirectory() + "sb-acl-\(UUID().uuidString.prefix(8)).log"
        child = try ChildProcess(executable: BuiltProducts.switchboard, arguments: arguments,
                                 environment: Self.environment(environment), outputPath: logPath)
    }

    deinit { try? FileManager.default.removeItem(atPath: logPath) }

    /// Runs `switchboard <arguments>` to completion; returns its output (stdout and stderr) and exit code.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (output: String, status: Int32) {
        let process = try SwitchboardProcess(arguments, environment: environment)
        guard let status = process.child.waitOrKill(after: .seconds(60)) else {
            throw TestSupportError("switchboard \(arguments.joined(separator: " ")) did not finish within 60 s; killed. Output:\n\(process.log)")
        }
        return (process.log, status)
    }

    public var pid: pid_t { child.pid }
    public var isRunning: Bool { child.isRunning }

    /// What the process wrote so far (stdout and stderr).
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The process's command line as the kernel shows it to `ps` (`/proc/<pid>/cmdline`,
    /// arguments joined by spaces).
    public var commandLine: String {
        let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: data.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// Waits until the output contains `text`, or the deadline passes; returns whether it did.
    public func waitForOutput(_ text: String, upTo seconds: Double = 15) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if log.contains(text) { return true }
            if !isRunning { return log.contains(text) }
            usleep(20_000)
        }
        return log.contains(text)
    }

    /// Sends SIGTERM and waits; returns the exit code, or -1 when it had not stopped after
    /// 30 s and was killed.
    @discardableResult
    public func stop() -> Int32 {
        child.signal(SIGTERM)
        return child.waitOrKill(after: .seconds(30)) ?? -1
    }

    /// Waits at most `limit` for the process to exit; returns the exit code, or -1 when it
    /// was still running then and was killed.
    @discardableResult
    public func wait(atMost limit: Duration = .seconds(60)) -> Int32 { child.waitOrKill(after: limit) ?? -1 }
}
