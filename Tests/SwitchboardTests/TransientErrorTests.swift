import Redis
import Testing
@testable import Switchboard

/// Which errors inside a batch keep it pending for another try rather than dead-letter an
/// entry: the entry is valid, Redis just cannot apply it right now.
@Suite("Transient errors while applying a batch")
struct TransientErrorTests {
    @Test func aFunctionStillMissingAfterTheReloadIsTriedAgainNotDeadLettered() {
        // What Redis answers an FCALL after a FUNCTION FLUSH between the load and the re-send.
        let missing = RedisServerError(message: "ERR Function not found")
        #expect(missing.isMissingFunction)
        #expect(IntakeConsumer.isTransient(missing))
    }

    @Test func refusalsRedisLiftsByItselfOrAnOperatorLiftsAreTransient() {
        for message in ["OOM command not allowed when used memory > 'maxmemory'.", "BUSY Redis is busy running a script.",
                        "LOADING Redis is loading the dataset in memory", "READONLY You can't write against a read only replica.",
                        "NOPERM this user has no permissions to run the 'time' command",
                        "ERR The user executing the script can't run this command or subcommand"] {
            #expect(IntakeConsumer.isTransient(RedisServerError(message: message)), "\(message)")
        }
    }

    @Test func anErrorOfTheEntryItselfIsNot() {
        for message in ["ERR user_function:12: attempt to compare nil with number",
                        "WRONGTYPE Operation against a key holding the wrong kind of value"] {
            #expect(!IntakeConsumer.isTransient(RedisServerError(message: message)), "\(message)")
        }
    }
}
