import Foundation

/// Plot failures, worded for the user.
public enum PlotError: Error, CustomStringConvertible {
    case gnuplotMissing
    case gnuplotFailed(script: String, status: Int32, stderr: String)
    case incompleteImage(path: String, bytes: Int)

    public var description: String {
        switch self {
        case .gnuplotMissing:
            return
                "gnuplot is not installed; install it with `apt-get install gnuplot-nox` (plots need it; the numbers "
                + "are already stored)."
        case .gnuplotFailed(let script, let status, let err):
            return "gnuplot failed (exit \(status)) on \(script): \(err.prefix(400))"
        case .incompleteImage(let path, let bytes):
            return
                "\(path): gnuplot wrote an incomplete image (\(bytes) bytes; the disk may be full or a file-size limit "
                + "reached); the published figure is unchanged."
        }
    }
}

/// Runs gnuplot scripts; each figure is written as PNG and SVG from one script body.
public enum Gnuplot {
    /// The one style every workbench figure uses (issue 17, item 5): Paul Tol's colour-blind-safe "bright"
    /// palette, each line type with its own dash pattern and point type, so no two series share a look and
    /// a series stays identifiable in greyscale. Applied before every figure body, in PNG and SVG alike.
    public static let style = """
        set linetype 1 lc rgb "#4477AA" lw 2 dt 1 pt 7 ps 0.8
        set linetype 2 lc rgb "#EE6677" lw 2 dt 2 pt 5 ps 0.8
        set linetype 3 lc rgb "#228833" lw 2 dt 4 pt 9 ps 0.9
        set linetype 4 lc rgb "#AA3377" lw 2.5 dt 1 pt 11 ps 0.9
        set linetype 5 lc rgb "#66CCEE" lw 2 dt 3 pt 13 ps 0.9
        set linetype 6 lc rgb "#CCBB44" lw 2 dt 5 pt 4 ps 0.8
        set linetype 7 lc rgb "#555555" lw 2 dt 2 pt 6 ps 0.8
        set linetype 8 lc rgb "#000000" lw 2 dt 4 pt 8 ps 0.8
        set linetype cycle 8
        set border lw 1
        set tics nomirror
        """

    /// Splits `title` at spaces into lines of at most `width` characters (gnuplot "\n" line breaks), so a
    /// title never runs past the figure's edges.
    public static func wrap(_ title: String, width: Int) -> String {
        var lines: [String] = [], line = ""
        for word in quoted(title).split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > max(width, 10) { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.joined(separator: "\\n")
    }

    /// Characters of a 10-point title that fit across `pixels` (≈ 7 px per character, with margins).
    public static func titleWidth(_ pixels: Int) -> Int { max(20, (pixels - 40) / 7) }
    static func executable() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for p in paths + ["/usr/bin", "/usr/local/bin"] {
            let c = "\(p)/gnuplot"
            if FileManager.default.isExecutableFile(atPath: c) { return c }
        }
        return nil
    }

    /// Writes `<base>.gp` and renders `<base>.png` and `<base>.svg`. `body` draws the plot (it must not
    /// set the terminal or output). Returns the image paths.
    @discardableResult
    public static func render(base: URL, size: (Int, Int), body: String) throws -> [URL] {
        guard let exe = executable() else { throw PlotError.gnuplotMissing }
        let png = base.appendingPathExtension("png"), svg = base.appendingPathExtension("svg")
        let script = """
            set terminal pngcairo size \(size.0),\(size.1) font "Sans,10" noenhanced
            set output '\(png.path)'
            \(style)
            \(body)
            unset output
            set terminal svg size \(size.0),\(size.1) font "Sans,10" noenhanced
            set output '\(svg.path)'
            replot
            unset output

            """
        // multiplot figures cannot `replot`: render the body twice instead.
        let full =
            body.contains("multiplot")
            ? """
            set terminal pngcairo size \(size.0),\(size.1) font "Sans,10" noenhanced
            set output '\(png.path)'
            \(style)
            \(body)
            unset output
            reset
            set terminal svg size \(size.0),\(size.1) font "Sans,10" noenhanced
            set output '\(svg.path)'
            \(style)
            \(body)
            unset output

            """ : script
        let gp = base.appendingPathExtension("gp")
        // gnuplot exits 0 even when its output could not be written in full: remove the old images first and check
        // the new ones end as their formats require, so a truncated figure is never published.
        for u in [png, svg] { try? FileManager.default.removeItem(at: u) }
        try full.write(to: gp, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = [gp.path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw PlotError.gnuplotFailed(
                script: gp.path, status: p.terminationStatus, stderr: String(decoding: errData, as: UTF8.self))
        }
        try checkComplete(png: png, svg: svg)
        return [png, svg]
    }

    /// A PNG ends with its IEND chunk (length 0, "IEND", CRC AE 42 60 82); an SVG with its closing `</svg>` tag.
    static func checkComplete(png: URL, svg: URL) throws {
        let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        let p = (try? Data(contentsOf: png)) ?? Data()
        guard p.count >= 8 + iend.count, Array(p.suffix(iend.count)) == iend else {
            throw PlotError.incompleteImage(path: png.path, bytes: p.count)
        }
        let s = (try? Data(contentsOf: svg)) ?? Data()
        guard String(decoding: s.suffix(64), as: UTF8.self).contains("</svg>") else {
            throw PlotError.incompleteImage(path: svg.path, bytes: s.count)
        }
    }

    /// A whitespace-separated matrix file (gnuplot `matrix`), also written as CSV beside it.
    public static func writeMatrix(_ m: [[Double]], to base: URL) throws -> URL {
        let dat = base.appendingPathExtension("dat")
        try m.map { $0.map { String(format: "%.6g", $0) }.joined(separator: " ") }.joined(separator: "\n")
            .appending("\n").write(to: dat, atomically: true, encoding: .utf8)
        try m.map { $0.map { String(format: "%.6g", $0) }.joined(separator: ",") }.joined(separator: "\n")
            .appending("\n").write(to: base.appendingPathExtension("csv"), atomically: true, encoding: .utf8)
        return dat
    }

    /// Columns with a header line (gnuplot `columnheader`), also written as CSV.
    public static func writeColumns(_ header: [String], _ rows: [[Double]], to base: URL) throws -> URL {
        let dat = base.appendingPathExtension("dat")
        let lines = rows.map { $0.map { String(format: "%.6g", $0) } }
        try ([header.joined(separator: " ")] + lines.map { $0.joined(separator: " ") }).joined(separator: "\n")
            .appending("\n").write(to: dat, atomically: true, encoding: .utf8)
        try ([header.joined(separator: ",")] + lines.map { $0.joined(separator: ",") }).joined(separator: "\n")
            .appending("\n").write(to: base.appendingPathExtension("csv"), atomically: true, encoding: .utf8)
        return dat
    }

    static func quoted(_ s: String) -> String { s.replacingOccurrences(of: "\"", with: "'") }
}
