import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress on stderr with ETA and tokens/s; silent when stderr is not a terminal.
public final class StudyProgress {
    let total: Int
    let label: String
    let start = Date()
    let enabled: Bool
    private var tokens = 0

    public init(total: Int, label: String, enabled: Bool = isatty(2) != 0) {
        self.total = max(total, 1); self.label = label; self.enabled = enabled
    }

    /// `done` items so far, `newTokens` processed since the last call.
    public func update(_ done: Int, newTokens: Int) {
        tokens += newTokens
        guard enabled else { return }
        let el = Date().timeIntervalSince(start)
        let eta = done > 0 ? el / Double(done) * Double(total - done) : 0
        let rate = el > 0 ? Double(tokens) / el : 0
        let msg = String(format: "\r%@ %d/%d  %.0f s, ETA %.0f s, %.0f tok/s   ", label, done, total, el, eta, rate)
        FileHandle.standardError.write(Data(msg.utf8))
    }

    public func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }
}
