// swift-tools-version:6.0
// Switchboard: presence and routing for live chat, stateless Swift workers over Redis.
// No package dependencies by design: the toolchain, Debian's hiredis and OpenSSL (libssl, libcrypto) only.
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Switchboard",
    products: [
        .executable(name: "switchboard", targets: ["SwitchboardCLI"]),
        .executable(name: "switchboard-bench", targets: ["SwitchboardBench"]),
        .library(name: "Redis", targets: ["Redis"]),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // OpenSSL's libssl for TLS to Redis (`rediss://`); hiredis's reader and formatter run over it.
        .systemLibrary(
            name: "CTLS",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "Redis", dependencies: ["CHiredis", "CTLS"], swiftSettings: strictSettings),
        .target(
            name: "Switchboard",
            dependencies: ["Redis", "Logging", "Metrics"],
            // The Lua function library, compiled into the binary: nothing to ship beside it.
            resources: [.embedInCode("Lua")],
            swiftSettings: strictSettings
        ),
        .target(name: "ArgumentParsing", swiftSettings: strictSettings),
        .target(name: "ChildProcess", swiftSettings: strictSettings),
        .executableTarget(
            name: "SwitchboardCLI",
            dependencies: ["Switchboard", "Redis", "ArgumentParsing", "Logging", "HTTPEndpoint", "Metrics", "Gateway", "Tokens"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SwitchboardBench",
            dependencies: ["Redis", "Switchboard", "ChildProcess"],
            resources: [.embedInCode("Yardsticks")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: ["Redis", "ChildProcess"],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RedisTests",
            dependencies: ["Redis", "TestSupport", "ChildProcess"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["SwitchboardCLI", "Switchboard", "Redis", "TestSupport", "ChildProcess", "Tokens"],
            exclude: ["Python"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "ArgumentParsingTests", dependencies: ["ArgumentParsing"], swiftSettings: strictSettings),
        .target(name: "Logging", swiftSettings: strictSettings),
        .testTarget(name: "LoggingTests", dependencies: ["Logging"], swiftSettings: strictSettings),
        .testTarget(name: "SwitchboardTests", dependencies: ["Switchboard", "TestSupport", "ChildProcess"], swiftSettings: strictSettings),
        .target(name: "Metrics", swiftSettings: strictSettings),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "ChildProcess"], exclude: ["Python"], swiftSettings: strictSettings),
        .target(name: "HTTPEndpoint", dependencies: ["EventLoop"], swiftSettings: strictSettings),
        .testTarget(name: "HTTPEndpointTests", dependencies: ["HTTPEndpoint", "EventLoop"], swiftSettings: strictSettings),
        // Linux's epoll and eventfd headers (Glibc's module leaves them out); nothing to link.
        .systemLibrary(name: "CEpoll"),
        .target(name: "EventLoop", dependencies: ["CEpoll"], swiftSettings: strictSettings),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop"], swiftSettings: strictSettings),
        .target(name: "Crypto", dependencies: ["CCrypto"], swiftSettings: strictSettings),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"], swiftSettings: strictSettings),
        .target(name: "Tokens", dependencies: ["Crypto", "Switchboard"], swiftSettings: strictSettings),
        .testTarget(name: "TokensTests", dependencies: ["Tokens", "Crypto", "ChildProcess"], swiftSettings: strictSettings),
        .target(name: "WebSocket", dependencies: ["Crypto", "HTTPEndpoint"], swiftSettings: strictSettings),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "HTTPEndpoint"], swiftSettings: strictSettings),
        .target(
            name: "Gateway",
            dependencies: ["Switchboard", "Redis", "Logging", "Metrics", "HTTPEndpoint", "EventLoop", "WebSocket", "Tokens", "Crypto"],
            // The team view page, compiled into the binary and served at /app/.
            resources: [.embedInCode("App")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Switchboard", "EventLoop", "Tokens", "Redis", "Logging", "Metrics"],
                    swiftSettings: strictSettings),
    ]
)
