// The opening handshake: RFC 6455's example accept value, and each refusal with its status.
import HTTPEndpoint
import Testing
@testable import WebSocket

private func request(_ headers: [(String, String)], version: String = "HTTP/1.1") -> HTTPRequest {
    HTTPRequest(method: "GET", target: "/chat", version: version, headers: headers.map { (name: $0.0, value: $0.1) })
}

private let valid: [(String, String)] = [
    ("Host", "server.example.com"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
]

private func replacing(_ name: String, with value: String?) -> [(String, String)] {
    valid.filter { $0.0 != name } + (value.map { [(name, $0)] } ?? [])
}

@Suite("WebSocket handshake")
struct WebSocketHandshakeTests {
    @Test func acceptsWithRFC6455sExampleAcceptValue() throws {
        let headers = try WebSocketHandshake.accept(request(valid)).get()
        #expect(headers.map(\.name) == ["Upgrade", "Connection", "Sec-WebSocket-Accept"])
        #expect(headers.last?.value == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func refusals() {
        let cases: [([(String, String)], String, Int)] = [
            (replacing("Sec-WebSocket-Version", with: "8"), "HTTP/1.1", 426),
            (replacing("Sec-WebSocket-Version", with: nil), "HTTP/1.1", 426),
            (replacing("Sec-WebSocket-Key", with: "c2hvcnQ="), "HTTP/1.1", 400),
            (replacing("Sec-WebSocket-Key", with: "not base64 at all!!!!!!="), "HTTP/1.1", 400),
            (replacing("Sec-WebSocket-Key", with: nil), "HTTP/1.1", 400),
            (replacing("Upgrade", with: "h2c"), "HTTP/1.1", 400),
            (replacing("Connection", with: "keep-alive"), "HTTP/1.1", 400),
            (valid, "HTTP/1.0", 400),
        ]
        for (headers, version, status) in cases {
            guard case .failure(let refusal) = WebSocketHandshake.accept(request(headers, version: version)) else {
                Issue.record("accepted \(headers) \(version)")
                continue
            }
            #expect(refusal.status == status, "\(headers) \(version): \(refusal)")
            #expect(refusal.reason.hasSuffix(".") && !refusal.reason.contains("\n"), "\(refusal.reason)")
        }
    }
}
