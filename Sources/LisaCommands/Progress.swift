import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A progress bar with ETA on stderr; silent when stderr is not a terminal.
final class Progress {
    let total: Int
    let label: String
    let start = Date()
    let enabled: Bool
    var unitsPerItem: Double = 0
    var unitName = ""

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
        enabled = isatty(2) != 0
    }

    func update(_ done: Int, extra: String = "") {
        guard enabled else { return }
        let el = Date().timeIntervalSince(start)
        let frac = Double(done) / Double(total)
        let eta = done > 0 ? el / Double(done) * Double(total - done) : 0
        let width = 30
        let bar = String(repeating: "#", count: Int(frac * Double(width))) + String(repeating: ".", count: width - Int(frac * Double(width)))
        let msg = String(format: "\r%@ [%@] %d/%d  %.0f s elapsed, ETA %.0f s %@", label, bar, done, total, el, eta, extra)
        FileHandle.standardError.write(msg.data(using: .utf8)!)
    }

    func finish() { if enabled { FileHandle.standardError.write("\n".data(using: .utf8)!) } }
}
