// The logger: logfmt quoting and escaping, JSON validity, level filtering, redaction, one line per event.

import Foundation
@testable import Logging
import Testing

private func collectingLogger(
    level: Logger.Level = .trace, format: Logger.Format = .logfmt, metadata: Logger.Metadata = [:]
) -> (Logger, LogCollector) {
    let collector = LogCollector()
    return (Logger(label: "test", level: level, format: format, metadata: metadata, sink: .collecting(into: collector)), collector)
}

/// The line without its `ts=… ` prefix (the only part that changes between runs).
private func withoutTimestamp(_ line: String) -> Substring {
    line.drop { $0 != " " }.dropFirst()
}

private func jsonObject(_ line: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(object as? [String: Any])
}

@Suite("Logger")
struct LoggerTests {
    @Test func logfmtLayout() throws {
        let (logger, collector) = collectingLogger(metadata: ["worker": "w1"])
        logger.info("worker started", metadata: ["b": "2", "a": "1"])
        let line = try #require(collector.lines.first)
        #expect(withoutTimestamp(line) == #"level=info label=test msg="worker started" a=1 b=2 worker=w1"#)
        let timestamp = try #require(line.split(separator: " ").first)
        #expect(timestamp.wholeMatch(of: /ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(timestamp)")
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("", #""""#),
        ("two words", #""two words""#),
        ("a=b", #""a=b""#),
        (#"say "hi""#, #""say \"hi\"""#),
        (#"C:\dir"#, #""C:\\dir""#),
        ("line\nbreak", #""line\nbreak""#),
        ("cr\rtab\t", #""cr\rtab\t""#),
        ("bell\u{7}", #""bell\u0007""#),
        ("sep\u{2028}", #""sep\u2028""#),
        ("nbsp\u{A0}x", "\"nbsp\u{A0}x\""),
        ("émoji🙂", "émoji🙂"),
    ])
    func logfmtValueQuoting(value: String, expected: String) throws {
        let (logger, collector) = collectingLogger()
        logger.info("m", metadata: ["k": value])
        let line = try #require(collector.lines.first)
        #expect(line.hasSuffix(" k=" + expected), "\(line)")
    }

    @Test func logfmtKeysCannotBreakTheLine() throws {
        let (logger, collector) = collectingLogger()
        logger.info("m", metadata: ["a b": "1", "c=d": "2", "e\"f": "3", "g\nh": "4", "": "5"])
        let line = try #require(collector.lines.first)
        #expect(withoutTimestamp(line) == "level=info label=test msg=m _=5 a_b=1 c_d=2 e_f=3 g_h=4")
    }

    @Test func newlineInMessageStaysOneLine() throws {
        for format in Logger.Format.allCases {
            let (logger, collector) = collectingLogger(format: format)
            logger.error("first\nsecond\r\nthird\u{2029}fourth\u{85}", metadata: ["k": "v\nw"])
            let line = try #require(collector.lines.first)
            #expect(!line.contains { $0.isNewline }, "\(line)")
            #expect(collector.lines.count == 1)
        }
    }

    @Test func jsonIsValidAndOrdered() throws {
        let (logger, collector) = collectingLogger(format: .json, metadata: ["worker": "w1"])
        let nasty = "quote \" backslash \\ newline \n tab \t nul \u{0} del \u{7F} emoji 🙂 sep \u{2028}"
        logger.warning(nasty, metadata: ["z": "", "a": nasty])
        let line = try #require(collector.lines.first)
        let object = try jsonObject(line)
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "test")
        #expect(object["msg"] as? String == nasty)
        #expect(object["a"] as? String == nasty)
        #expect(object["z"] as? String == "")
        #expect(object["worker"] as? String == "w1")
        let timestamp = try #require(object["ts"] as? String)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
        #expect(line.hasPrefix(#"{"ts":""#))
        let keys = ["\"ts\"", "\"level\"", "\"label\"", "\"msg\"", "\"a\"", "\"worker\"", "\"z\""]
        let positions = try keys.map { try #require(line.range(of: $0)).lowerBound }
        #expect(positions == positions.sorted(), "\(line)")
        #expect(!line.contains("\n"))
    }

    @Test func levelFiltering() {
        let (logger, collector) = collectingLogger(level: .warning)
        logger.trace("t")
        logger.debug("d")
        logger.info("i")
        logger.notice("n")
        logger.warning("w")
        logger.error("e")
        logger.critical("c")
        logger.log(level: .info, "i2")
        logger.log(level: .error, "e2")
        #expect(collector.lines.map { String(withoutTimestamp($0)) } == [
            "level=warning label=test msg=w",
            "level=error label=test msg=e",
            "level=critical label=test msg=c",
            "level=error label=test msg=e2",
        ])
    }

    @Test func filteredMessagesAreNotBuilt() {
        let (logger, collector) = collectingLogger(level: .info)
        func expensive() -> String {
            Issue.record("message built for a filtered level")
            return "x"
        }
        func expensiveMetadata() -> Logger.Metadata {
            Issue.record("metadata built for a filtered level")
            return [:]
        }
        logger.debug(expensive(), metadata: expensiveMetadata())
        #expect(collector.lines.isEmpty)
    }

    @Test func levelsOrderAndParse() {
        #expect(Logger.Level.allCases == Logger.Level.allCases.sorted())
        #expect(Logger.Level.trace < .debug)
        #expect(Logger.Level.error < .critical)
        #expect(Logger.Level(rawValue: "notice") == .notice)
        #expect(Logger.Level(rawValue: "verbose") == nil)
        #expect(Logger.Format(rawValue: "json") == .json)
    }

    @Test func secretsAreRedacted() throws {
        for format in Logger.Format.allCases {
            let (logger, collector) = collectingLogger(format: format, metadata: ["redis_password": "hunter2"])
            logger.info("connecting", metadata: [
                "Secret": "s3cr3t", "apiToken": "tok", "password": "", "user": "bob", "clientSecretKey": "k",
            ])
            let line = try #require(collector.lines.first)
            for secret in ["hunter2", "s3cr3t", "tok\"", "=tok", "k\""] where !line.contains("\"k\":\"bob\"") {
                #expect(!line.contains(secret), "\(format): \(line)")
            }
            if format == .logfmt {
                #expect(withoutTimestamp(line)
                    == "level=info label=test msg=connecting Secret=*** apiToken=*** clientSecretKey=*** password=*** redis_password=*** user=bob")
            } else {
                let object = try jsonObject(line)
                for key in ["Secret", "apiToken", "password", "redis_password", "clientSecretKey"] {
                    #expect(object[key] as? String == "***", "\(key)")
                }
                #expect(object["user"] as? String == "bob")
            }
        }
    }

    @Test func metadataMergingAndSubscript() throws {
        var (logger, collector) = collectingLogger(metadata: ["worker": "w1", "zone": "a"])
        logger[metadataKey: "pid"] = "42"
        logger[metadataKey: "zone"] = nil
        #expect(logger[metadataKey: "pid"] == "42")
        #expect(logger[metadataKey: "zone"] == nil)
        logger.info("m", metadata: ["worker": "w2"])
        let line = try #require(collector.lines.first)
        #expect(withoutTimestamp(line) == "level=info label=test msg=m pid=42 worker=w2")
    }

    @Test func metadataCannotShadowFixedKeys() throws {
        for format in Logger.Format.allCases {
            let (logger, collector) = collectingLogger(format: format)
            logger.info("real", metadata: ["msg": "fake", "level": "critical", "ts": "0", "label": "x"])
            let line = try #require(collector.lines.first)
            if format == .logfmt {
                #expect(withoutTimestamp(line) == "level=info label=test msg=real meta.label=x meta.level=critical meta.msg=fake meta.ts=0")
            } else {
                let object = try jsonObject(line)
                #expect(object["msg"] as? String == "real")
                #expect(object["meta.msg"] as? String == "fake")
                #expect(object.count == 8)
            }
        }
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_795_449_755_123), "2026-11-23T16:02:35.123Z"),
        (Int64(951_782_400_000), "2000-02-29T00:00:00.000Z"),
        (Int64(4_107_542_399_999), "2100-02-28T23:59:59.999Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
    ])
    func timestamps(milliseconds: Int64, expected: String) {
        #expect(LogTimestamp.rfc3339(millisecondsSinceEpoch: milliseconds) == expected)
    }

    @Test func timestampMatchesFoundationClock() throws {
        let before = Date()
        let stamp = LogTimestamp.now()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(formatter.date(from: stamp))
        #expect(abs(parsed.timeIntervalSince(before)) < 2)
    }

    @Test func concurrentLoggingKeepsWholeLines() async {
        let (logger, collector) = collectingLogger()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<100 { logger.info("event", metadata: ["task": "\(task)", "i": "\(index)"]) }
                }
            }
        }
        #expect(collector.lines.count == 800)
        collector.removeAll()
        #expect(collector.lines.isEmpty)
    }

    @Test func customSinkReceivesLinesWithoutNewline() {
        let collector = LogCollector()
        let logger = Logger(label: "l", sink: LogSink { collector.append("custom:" + $0) })
        logger.notice("hi")
        #expect(collector.lines.count == 1)
        #expect(collector.lines[0].hasPrefix("custom:ts="))
        #expect(!collector.lines[0].hasSuffix("\n"))
    }
}
