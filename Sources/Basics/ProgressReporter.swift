import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long run on stderr, with done/total, rate and ETA. On a terminal one line is redrawn in place;
/// otherwise (CI, nohup, a pipe) a line is printed every `seconds` (LISA_PROGRESS_SECONDS, default 30; 0 = every
/// update, "off" = none), so a run is visibly alive without flooding a log. Runs shorter than one interval print
/// nothing.
public final class ProgressReporter {
    public enum Mode: Equatable, Sendable {
        case terminal
        case periodic(seconds: Double)
        case off

        /// A terminal on stderr redraws; anything else prints periodically.
        public static func automatic(environment: [String: String] = ProcessInfo.processInfo.environment) -> Mode {
            if isatty(2) != 0 { return .terminal }
            switch environment["LISA_PROGRESS_SECONDS"] {
            case nil, "": return .periodic(seconds: 30)
            case "off"?: return .off
            case let s?: return Double(s).map { .periodic(seconds: max($0, 0)) } ?? .periodic(seconds: 30)
            }
        }
    }

    let total: Int
    let label: String
    let mode: Mode
    let start = Date()
    private let write: (String) -> Void
    private var tokens = 0
    private var lastLine: Date?
    private var done = 0
    /// Items already done when this process started (a resumed run's stored ones): they count towards done/total
    /// but not towards the rate, which would otherwise promise a resumed run an ETA of seconds.
    private var baseline = 0

    public init(
        total: Int, label: String, mode: Mode = .automatic(),
        write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.total = max(total, 1); self.label = label; self.mode = mode; self.write = write
    }

    /// `n` items were done before this run started (stored by a stopped run): call before the first `update`.
    public func resumed(_ n: Int) {
        baseline = min(max(n, 0), total); done = baseline
    }

    /// `done` items so far, `newTokens` processed since the last call, `extra` appended to the line.
    public func update(_ done: Int, newTokens: Int = 0, extra: String = "") {
        tokens += newTokens
        self.done = done
        let now = Date()
        switch mode {
        case .off: return
        case .terminal: write("\r" + line(now, extra) + "   ")
        case let .periodic(seconds):
            guard now.timeIntervalSince(lastLine ?? start) >= seconds else { return }
            lastLine = now
            write(line(now, extra) + "\n")
        }
    }

    public func finish() {
        switch mode {
        case .off: return
        case .terminal: write("\n")
        case .periodic:
            // Only a run that showed progress says it ended.
            if lastLine != nil { write(line(Date(), "done") + "\n") }
        }
    }

    /// "piqa: 120/1838 (6.5 %), 2.31/s, 52 s elapsed, ETA 9 min 30 s, 812 tok/s".
    func line(_ now: Date, _ extra: String) -> String {
        let el = now.timeIntervalSince(start)
        let fresh = done - baseline  // done by this process
        let rate = el > 0 ? Double(fresh) / el : 0
        let eta = fresh > 0 ? el / Double(fresh) * Double(max(total - done, 0)) : nil
        var s = String(
            format: "%@: %d/%d (%.1f %%), %.2f/s, %@ elapsed, ETA %@", label, done, total,
            100 * Double(done) / Double(total), rate, Self.duration(el), eta.map(Self.duration) ?? "unknown")
        if baseline > 0 { s += ", \(baseline) resumed" }
        if tokens > 0, el > 0 { s += String(format: ", %.0f tok/s", Double(tokens) / el) }
        if !extra.isEmpty { s += ", " + extra }
        return s
    }

    /// 42 s, 9 min 30 s, 2 h 05 min.
    public static func duration(_ t: Double) -> String {
        let s = Int(t.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return String(format: "%d h %02d min", s / 3600, s % 3600 / 60)
    }
}
