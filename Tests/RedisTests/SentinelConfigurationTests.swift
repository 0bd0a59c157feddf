import Testing
@testable import Redis

@Suite("Sentinel URLs")
struct SentinelConfigurationTests {
    @Test func sentinelsMasterNameCredentialsAndDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis-sentinel://worker:p%40ss@s1.internal:26380,s2.internal,[::1]:26381/my%20primary?db=2&sentinel_password=s3nt")
        #expect(configuration.endpoint == .sentinel(masterName: "my primary", sentinels: [
            .tcp(host: "s1.internal", port: 26380), .tcp(host: "s2.internal", port: 26379), .tcp(host: "::1", port: 26381),
        ]))
        #expect(configuration.username == "worker" && configuration.password == "p@ss", "the credentials are the data nodes'")
        #expect(configuration.sentinelPassword == "s3nt")
        #expect(configuration.database == 2)
    }

    @Test func theDescriptionNamesEverySentinelButNoPassword() throws {
        let configuration = try RedisConfiguration(url: "redis-sentinel://:topsecret@127.0.0.1:26379,127.0.0.1:26380/switchboard?sentinel_password=alsosecret")
        #expect(configuration.description == "redis-sentinel://:***@127.0.0.1:26379,127.0.0.1:26380/switchboard?sentinel_password=***")
        let plain = try RedisConfiguration(url: "redis-sentinel://127.0.0.1/switchboard")
        #expect(plain.description == "redis-sentinel://127.0.0.1:26379/switchboard")
        #expect(!RedisConfiguration.redacted("redis-sentinel//h/m?sentinel_password=alsosecret&db=1").contains("alsosecret"))
    }

    @Test func aURLWithoutMasterNameOrWithABadSentinelIsRefusedWithTheForm() {
        for url in ["redis-sentinel://127.0.0.1:26379", "redis-sentinel://127.0.0.1:26379/", "redis-sentinel://127.0.0.1:0/m",
                    "redis-sentinel://127.0.0.1:26379,/m"] {
            #expect("\(url)") {
                try RedisConfiguration(url: url)
            } throws: { error in
                let error = error as! RedisClientError
                return error.kind == .invalidConfiguration && error.recoverySuggestion.contains("redis-sentinel://")
            }
        }
    }
}
