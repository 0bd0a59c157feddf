// The request-head parser on its own: where a head ends, and what it yields.

@testable import HTTPEndpoint
import Testing

@Suite("Request head")
struct RequestHeadTests {
    @Test(arguments: [
        ("GET / HTTP/1.1\r\n\r\n", 18),
        ("GET / HTTP/1.1\n\n", 16),
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody", 27),
        ("GET / HTTP/1.1\r\nHost: x\r\n", nil),
        ("GET / HTTP/1.1\r\n\r", nil),
    ])
    func endOfHead(text: String, expected: Int?) {
        #expect(RequestHead.length(of: Array(text.utf8)) == expected)
    }

    @Test func endOfHeadFoundAcrossChunks() {
        var bytes = Array("GET / HTTP/1.1\r\nHost: x\r\n\r".utf8)
        #expect(RequestHead.length(of: bytes) == nil)
        let previous = bytes.count
        bytes.append(UInt8(ascii: "\n"))
        #expect(RequestHead.length(of: bytes, searchingFrom: max(0, previous - 3)) == bytes.count)
    }

    @Test func parsesRequestLineAndHeaders() throws {
        let head = Array("HEAD /metrics?x=1 HTTP/1.1\r\nHost: localhost:9464\r\nAccept:text/plain\r\n\r\n".utf8)
        let request = try RequestHead.parse(head[...]).get()
        #expect(request.method == "HEAD")
        #expect(request.target == "/metrics?x=1")
        #expect(request.path == "/metrics")
        #expect(request.query == "x=1")
        #expect(request.version == "HTTP/1.1")
        #expect(request.header("host") == "localhost:9464")
        #expect(request.header("ACCEPT") == "text/plain")
        #expect(request.header("missing") == nil)
    }

    @Test func absoluteFormTargetYieldsItsPath() {
        #expect(HTTPRequest(method: "GET", target: "http://h:1/metrics?q").path == "/metrics")
        #expect(HTTPRequest(method: "GET", target: "http://h:1").path == "/")
        #expect(HTTPRequest(method: "GET", target: "/a/b").query == nil)
    }

    @Test func responseBytes() {
        let response = HTTPResponse(status: 503, contentType: "text/plain\r\nX-Injected: 1", body: "down\n")
        let text = String(decoding: response.serialized(includeBody: true), as: UTF8.self)
        #expect(text == "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plainX-Injected: 1\r\nContent-Length: 5\r\nConnection: close\r\n\r\ndown\n")
        let head = String(decoding: HTTPResponse(status: 42, body: "x").serialized(includeBody: false), as: UTF8.self)
        #expect(head == "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 1\r\nConnection: close\r\n\r\n")
    }
}
