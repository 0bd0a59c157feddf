// Where `swift build` put the executables the end-to-end tests run.
import Foundation

/// Paths of the package's executables, next to the test bundle in the build folder.
public enum BuiltProducts {
    /// The folder holding the test bundle and the executables (`.build/<triple>/debug`).
    public static var directory: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return bundle.deletingLastPathComponent().path
    }

    /// The `switchboard` executable.
    public static var switchboard: String { directory + "/switchboard" }
}
