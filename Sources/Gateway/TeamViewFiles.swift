// The team view page (Sources/Gateway/App), compiled into the binary and served at /app/.
import HTTPEndpoint

/// Serves the team view's files.
enum TeamViewFiles {
    /// Path → content type and bytes.
    static let files: [String: (type: String, bytes: [UInt8])] = [
        "/app/": ("text/html; charset=utf-8", PackageResources.index_html),
        "/app/index.html": ("text/html; charset=utf-8", PackageResources.index_html),
        "/app/app.js": ("text/javascript; charset=utf-8", PackageResources.app_js),
        "/app/app.css": ("text/css; charset=utf-8", PackageResources.app_css),
    ]

    /// Answers a request under `/app`: `/app` moves to `/app/`, known files are served to
    /// GET and HEAD, anything else is 404.
    static func serve(_ exchange: HTTPExchange) {
        let request = exchange.request
        guard request.method == "GET" || request.method == "HEAD" else {
            return exchange.respond(HTTPResponse(status: 405, body: "The team view takes GET.\n"), extraHeaders: [("Allow", "GET, HEAD")])
        }
        if request.path == "/app" {
            return exchange.respond(HTTPResponse(status: 301, body: "Moved to /app/\n"), extraHeaders: [("Location", "/app/")])
        }
        guard let file = files[request.path] else {
            return exchange.respond(HTTPResponse(status: 404, body: "No such file of the team view; open /app/.\n"))
        }
        exchange.respond(HTTPResponse(status: 200, contentType: file.type, body: file.bytes),
                         extraHeaders: [("Cache-Control", "no-cache"), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")])
    }
}
