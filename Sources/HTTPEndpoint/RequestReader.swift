// RequestReader: reads one request off a connection, under the server's deadline.

import EventLoop

/// Reads one request off a connection: the head, then a `Content-Length` body.
final class RequestReader {
    private weak var server: HTTPServer?
    let connection: LoopConnection
    var deadline: LoopTimer?
    private var received: [UInt8] = []
    private var head: (request: HTTPRequest, length: Int, bodyLength: Int)?
    private var finished = false

    init(server: HTTPServer, connection: LoopConnection) {
        self.server = server
        self.connection = connection
    }

    func receive(_ bytes: [UInt8]) {
        guard !finished else { return }
        let searchFrom = max(0, received.count - 3)
        received.append(contentsOf: bytes)
        if head == nil {
            guard let length = RequestHead.length(of: received, searchingFrom: searchFrom) else {
                if received.count >= HTTPServer.maximumHeadLength {
                    refuse(431, "request head larger than \(HTTPServer.maximumHeadLength) bytes")
                }
                return
            }
            guard length <= HTTPServer.maximumHeadLength else {
                refuse(431, "request head larger than \(HTTPServer.maximumHeadLength) bytes")
                return
            }
            switch RequestHead.parse(received[..<length]) {
            case .failure(let refusal):
                refuse(refusal.status, refusal.reason)
                return
            case .success(let request):
                switch bodyLength(of: request) {
                case .failure(let refusal):
                    refuse(refusal.status, refusal.reason)
                    return
                case .success(let bodyLength):
                    head = (request, length, bodyLength)
                }
            }
        }
        guard let head, received.count >= head.length + head.bodyLength else { return }
        finished = true
        deadline?.cancel()
        let bodyEnd = head.length + head.bodyLength
        server?.deliver(head.request, body: Array(received[head.length..<bodyEnd]),
                       leftover: Array(received[bodyEnd...]), on: connection)
    }

    func timedOut() {
        guard !finished else { return }
        refuse(408, "the request did not arrive in time")
    }

    private func refuse(_ status: Int, _ reason: String) {
        finished = true
        deadline?.cancel()
        server?.refuse(status: status, reason: reason, on: connection)
    }

    /// The body's length from `Content-Length` (0 without one); chunked bodies are refused.
    private func bodyLength(of request: HTTPRequest) -> Result<Int, RequestHead.Refusal> {
        if request.header("Transfer-Encoding") != nil {
            return .failure(.init(status: 411, reason: "chunked request bodies are not accepted: send Content-Length"))
        }
        let values = request.headers.filter { $0.name.lowercased() == "content-length" }.map(\.value)
        guard let first = values.first else { return .success(0) }
        guard values.allSatisfy({ $0 == first }), !first.isEmpty, first.utf8.count <= 18,
              first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let length = Int(first) else {
            return .failure(.init(status: 400, reason: "malformed Content-Length"))
        }
        let maximum = server?.maximumBodyLength ?? 0
        guard length <= maximum else {
            return .failure(.init(status: 413, reason: "the request body is larger than \(maximum) bytes"))
        }
        return .success(length)
    }
}
