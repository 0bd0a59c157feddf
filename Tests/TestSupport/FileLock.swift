// An exclusive lock between test runs on one host (two `swift test` in two checkouts): for a
// machine-wide resource such as a fixed port range, which `.serialized` guards only inside
// one process.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock()` on a fixed file, held while the value lives.
public final class FileLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock on `path`, waiting up to `limit` for another holder to let go.
    /// - Throws: ``TestSupportError`` naming the file when it stays held.
    public init(path: String, purpose: String, upTo limit: Duration = .seconds(180)) throws {
        // Read-only is enough for flock, and works on a file another user created.
        let descriptor = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw TestSupportError("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        // A process that dies lets go of its flock, so a stale file never blocks a later run.
        let taken = eventually(upTo: Int(limit.components.seconds)) { flock(descriptor, LOCK_EX | LOCK_NB) == 0 }
        guard taken else {
            close(descriptor)
            throw TestSupportError("another test run on this host held \(path) (\(purpose)) for more than \(limit); let it finish and run the tests again")
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }  // closing the descriptor releases the lock
}
