import Basics
import Foundation

/// reports/<study>/ with its git-ignored tmp/ (gnuplot data, scripts, SVGs); PNGs are published beside report.md.
struct ReportFolder {
    let dir: URL
    let tmp: URL

    init(reportsDir: String, study: String) throws {
        dir = URL(fileURLWithPath: reportsDir).appendingPathComponent(study)
        tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    /// Copies a rendered file beside report.md, replacing an older copy; returns the copy.
    func publish(_ file: URL) throws -> URL {
        let dest = dir.appendingPathComponent(file.lastPathComponent)
        try writeAtomically(Data(contentsOf: file), to: dest.path)  // the older copy stays if this fails
        return dest
    }
}
