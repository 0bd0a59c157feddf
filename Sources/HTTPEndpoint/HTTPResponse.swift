// HTTPResponse: what a handler answers (status, content type, body) and its bytes on the wire.

/// A response; the server adds `Content-Length` and `Connection: close`, and leaves out the
/// body when answering `HEAD`.
public struct HTTPResponse: Sendable {
    /// The status code, e.g. 200; one outside 100...599 is sent as 500.
    public var status: Int
    /// The `Content-Type`, e.g. `text/plain; charset=utf-8`.
    public var contentType: String
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response with a byte body.
    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// Creates a response with a text body, sent as UTF-8.
    public init(status: Int = 200, contentType: String = "text/plain; charset=utf-8", body: String) {
        self.init(status: status, contentType: contentType, body: Array(body.utf8))
    }

    /// `404 Not Found` with a one-line text body.
    public static let notFound = HTTPResponse(status: 404, body: "not found\n")

    /// The reason phrase sent after `status`, e.g. `Not Found`.
    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 101: "Switching Protocols"
        case 200: "OK"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 426: "Upgrade Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    /// Status line, header fields and (unless `includeBody` is false) body.
    func serialized(includeBody: Bool, extraHeaders: [(name: String, value: String)] = []) -> [UInt8] {
        let code = (100...599).contains(status) ? status : 500
        var head = "HTTP/1.1 \(code) \(Self.reasonPhrase(for: code))\r\n"
        head += Self.headerLine("Content-Type", contentType)
        head += "Content-Length: \(body.count)\r\n"
        for (name, value) in extraHeaders { head += Self.headerLine(name, value) }
        head += "Connection: close\r\n\r\n"
        return includeBody ? Array(head.utf8) + body : Array(head.utf8)
    }

    /// `name: value` and CRLF; control characters are left out, so a value taken from a
    /// request or a handler cannot add header lines of its own.
    static func headerLine(_ name: String, _ value: String) -> String {
        let clean = { (text: String) in String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }) }
        return "\(clean(name)): \(clean(value))\r\n"
    }
}
