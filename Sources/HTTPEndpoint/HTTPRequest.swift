// HTTPRequest: the head of one request (request line and header fields), as the handler sees it.

/// A request's method, target and header fields; the server ignores any body.
public struct HTTPRequest: Sendable {
    /// The method as sent, e.g. `GET` (methods are case-sensitive).
    public var method: String
    /// The request target as sent, e.g. `/metrics?name=x`.
    public var target: String
    /// The target's path, without query, e.g. `/metrics`.
    public var path: String
    /// The target's query, after `?`, if any.
    public var query: String?
    /// `HTTP/1.1` or `HTTP/1.0`.
    public var version: String
    /// The header fields in the order sent, values without surrounding whitespace.
    public var headers: [(name: String, value: String)]

    /// Creates a request; `path` and `query` are taken from `target`.
    public init(method: String, target: String, version: String = "HTTP/1.1", headers: [(name: String, value: String)] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        let (path, query) = Self.split(target: target)
        self.path = path
        self.query = query
    }

    /// The value of the first header field named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// Path and query of an origin-form (`/p?q`) or absolute-form (`http://host/p?q`) target.
    private static func split(target: String) -> (path: String, query: String?) {
        var rest = Substring(target)
        if let scheme = rest.firstRange(of: "://"), !rest.hasPrefix("/") {
            rest = rest[scheme.upperBound...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        guard let mark = rest.firstIndex(of: "?") else { return (String(rest), nil) }
        return (String(rest[..<mark]), String(rest[rest.index(after: mark)...]))
    }
}

/// Finds the end of a request head and parses it.
enum RequestHead {
    /// Why a head was refused, as the status to answer with.
    struct Refusal: Error, Equatable {
        var status: Int
        var reason: String
    }

    /// The number of bytes of the head (through its empty line) when `bytes` holds a whole
    /// head; lines may end with CRLF or a bare LF.
    static func length(of bytes: [UInt8], searchingFrom start: Int = 0) -> Int? {
        var index = max(start, 1)
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                if bytes[index - 1] == UInt8(ascii: "\n") { return index + 1 }
                if index >= 2 && bytes[index - 1] == UInt8(ascii: "\r") && bytes[index - 2] == UInt8(ascii: "\n") { return index + 1 }
            }
            index += 1
        }
        return nil
    }

    /// Parses a whole head (as delimited by ``length(of:searchingFrom:)``).
    static func parse(_ head: ArraySlice<UInt8>) -> Result<HTTPRequest, Refusal> {
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let requestLine = lines.first, !requestLine.isEmpty else { return .failure(Refusal(status: 400, reason: "no request line")) }

        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(Refusal(status: 400, reason: "malformed request line")) }
        let (method, target, version) = (parts[0], parts[1], parts[2])
        guard !method.isEmpty, method.allSatisfy(isTokenByte) else { return .failure(Refusal(status: 400, reason: "malformed method")) }
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              target.first == UInt8(ascii: "/") || target.first == UInt8(ascii: "*") || isAbsoluteTarget(target) else {
            return .failure(Refusal(status: 400, reason: "malformed request target"))
        }
        let versionText = String(decoding: version, as: UTF8.self)
        guard versionText == "HTTP/1.1" || versionText == "HTTP/1.0" else {
            let digits = Array(version.dropFirst(5))
            if version.starts(with: "HTTP/".utf8), digits.count == 3, digits[1] == UInt8(ascii: "."),
               digits[0].isDigit, digits[2].isDigit {
                return .failure(Refusal(status: 505, reason: "HTTP version not supported"))
            }
            return .failure(Refusal(status: 400, reason: "malformed HTTP version"))
        }

        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return .failure(Refusal(status: 400, reason: "malformed header field")) }
            let name = line[..<colon]
            // An empty name, whitespace before the colon or a folded line (leading whitespace) is refused (RFC 9112, 5.1 and 5.2).
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { return .failure(Refusal(status: 400, reason: "malformed header field")) }
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else {
                return .failure(Refusal(status: 400, reason: "control character in header field"))
            }
            headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return .success(HTTPRequest(
            method: String(decoding: method, as: UTF8.self), target: String(decoding: target, as: UTF8.self),
            version: versionText, headers: headers
        ))
    }

    /// `http://…` or `https://…` (absolute-form, as sent to proxies).
    private static func isAbsoluteTarget(_ target: ArraySlice<UInt8>) -> Bool {
        let lowered = String(decoding: target.prefix(8), as: UTF8.self).lowercased()
        return lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
    }

    /// A `tchar` of RFC 9110: letters, digits and ``!#$%&'*+-.^_`|~``.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}

extension ArraySlice<UInt8> {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingWhitespace() -> ArraySlice<UInt8> {
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = firstIndex(where: { !isWhitespace($0) }), let last = lastIndex(where: { !isWhitespace($0) }) else { return [] }
        return self[first...last]
    }
}
