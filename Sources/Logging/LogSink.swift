// LogSink: where rendered lines go. Standard error writes each line with one write(2) so lines
// from concurrent threads never interleave; a collecting sink keeps lines for tests.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A destination for rendered log lines (each without its trailing newline).
public struct LogSink: Sendable {
    private let writeLine: @Sendable (String) -> Void

    /// Creates a sink that hands each line (without a newline) to `write`; `write` may be
    /// called from several threads at once.
    public init(_ write: @escaping @Sendable (_ line: String) -> Void) {
        writeLine = write
    }

    /// Writes `line` to the sink.
    public func write(_ line: String) {
        writeLine(line)
    }

    /// The process's standard error, one `write(2)` per line.
    public static let standardError = LogSink { line in
        writeToStandardError(line)
    }

    /// Appends each line to `collector`.
    public static func collecting(into collector: LogCollector) -> LogSink {
        LogSink { line in collector.append(line) }
    }
}

/// One `write(2)` for line and newline together; a pipe write of at most PIPE_BUF bytes is
/// atomic, so lines from threads stay whole. Retries only the unwritten rest after a short
/// write or EINTR; gives up silently on other errors (there is nowhere left to report them).
private func writeToStandardError(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.append(UInt8(ascii: "\n"))
    bytes.withUnsafeBytes { buffer in
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            let written = write(2, base + offset, buffer.count - offset)
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
