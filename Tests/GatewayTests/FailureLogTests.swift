// Redis failures of the gateway's threads: one line when they start, one when they end.
@testable import Gateway
import Logging
import Testing

@Suite("Gateway failure log")
struct FailureLogTests {
    struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }

    @Test func oneLinePerOutageNotPerRetry() {
        let collector = LogCollector()
        let log = FailureLog("gateway redis reads", logger: Logger(label: "test", sink: .collecting(into: collector)))
        log.record(nil)
        for _ in 0..<5 { log.record(Down()) }
        log.record(nil)
        log.record(nil)
        log.record(Down())
        #expect(collector.lines.count == 3, "\(collector.lines)")
        #expect(collector.lines.first?.contains("gateway redis reads failed; retrying") == true)
        #expect(collector.lines.first?.contains("connection refused") == true)
        #expect(collector.lines.dropFirst().first?.contains("gateway redis reads working again") == true)
    }
}
