import HTTPEndpoint
import Testing
import WebSocket

@Suite("WebSocket handshake")
struct WebSocketHandshakeTests {
    private func request(method: String = "GET", version: String = "HTTP/1.1", dropping: String? = nil,
                         replacing: [String: String] = [:]) -> HTTPRequest {
        var headers: [(name: String, value: String)] = [
            ("Host", "server.example.com"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
        ]
        headers = headers.filter { $0.name != dropping }.map { (name: $0.name, value: replacing[$0.name] ?? $0.value) }
        return HTTPRequest(method: method, target: "/chat", version: version, headers: headers)
    }

    @Test func acceptsTheRFCExampleWithItsAcceptValue() throws {
        let headers = try WebSocketHandshake.accept(request()).get()
        #expect(headers.first { $0.name == "Sec-WebSocket-Accept" }?.value == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(headers.contains { $0.name == "Upgrade" && $0.value == "websocket" })
        #expect(headers.contains { $0.name == "Connection" && $0.value == "Upgrade" })
    }

    @Test func headerTokensAreCaseInsensitive() throws {
        _ = try WebSocketHandshake.accept(request(replacing: ["Upgrade": "WebSocket", "Connection": "UPGRADE"])).get()
        #expect(WebSocketHandshake.isUpgrade(request(replacing: ["Upgrade": "h2c, WebSocket"])))
        #expect(!WebSocketHandshake.isUpgrade(request(dropping: "Upgrade")))
    }

    @Test(arguments: [
        ("", 400), ("dGhlIHNhbXBsZSBub25j", 400), ("not base64 at all!!!!!!=", 400),
        ("dGhlIHNhbXBsZSBub25jZSE=", 400),  // 17 bytes
    ])
    func badKeysAreRefusedWith400(key: String, status: Int) {
        #expect(refusal(of: request(replacing: ["Sec-WebSocket-Key": key]))?.status == status)
    }

    @Test func missingKeyOrWrongVersionIsRefused() {
        #expect(refusal(of: request(dropping: "Sec-WebSocket-Key"))?.status == 400)
        #expect(refusal(of: request(replacing: ["Sec-WebSocket-Version": "8"]))?.status == 426)
        #expect(refusal(of: request(dropping: "Sec-WebSocket-Version"))?.status == 426)
    }

    @Test func methodVersionAndConnectionAreChecked() {
        #expect(refusal(of: request(method: "POST"))?.status == 400)
        #expect(refusal(of: request(version: "HTTP/1.0"))?.status == 400)
        #expect(refusal(of: request(replacing: ["Connection": "keep-alive"]))?.status == 400)
    }

    private func refusal(of request: HTTPRequest) -> WebSocketHandshake.Refusal? {
        if case .failure(let refusal) = WebSocketHandshake.accept(request) { return refusal }
        return nil
    }
}
