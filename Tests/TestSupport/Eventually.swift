// Waiting for state a test cannot subscribe to (a key a worker writes in its own time):
// look again every 20 ms until it holds or the deadline passes.
import Foundation

/// Waits until `condition` holds, or `seconds` pass; returns whether it held.
public func eventually(upTo seconds: Int = 15, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}
