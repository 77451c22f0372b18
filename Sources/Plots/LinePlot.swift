import Foundation

/// One line of a line plot; `band` (low, high) draws a shaded range (e.g. the inter-quartile range over heads).
public struct LineSeries {
    public var title: String
    public var x: [Double]
    public var y: [Double]
    public var band: (low: [Double], high: [Double])?
    public init(title: String, x: [Double], y: [Double], band: (low: [Double], high: [Double])? = nil) {
        self.title = title; self.x = x; self.y = y; self.band = band
    }
}

/// Line plots: S2 alignments and sub-module cosine against the layer pair (Fig 5), and attention
/// distributions against key position (Fig 12). Lines only guide the eye between discrete points.
public enum LinePlot {
    @discardableResult
    public static func draw(_ series: [LineSeries], title: String, xlabel: String, ylabel: String,
                            yrange: (Double, Double)? = nil, logY: Bool = false, keyOutside: Bool = false, to base: URL) throws -> [URL] {
        var body = """
            set title "\(Gnuplot.quoted(title))"
            set xlabel "\(Gnuplot.quoted(xlabel))"
            set ylabel "\(Gnuplot.quoted(ylabel))"
            set key \(keyOutside ? "outside right top" : "top right")
            set grid

            """
        if let yr = yrange { body += "set yrange [\(yr.0):\(yr.1)]\n" }
        if logY { body += "set logscale y\n" }
        var parts: [String] = []
        for (i, s) in series.enumerated() {
            let sb = base.deletingPathExtension().appendingPathExtension("series\(i)")
            let rows = s.x.indices.map { k -> [Double] in
                var r = [s.x[k], s.y[k]]
                if let b = s.band { r += [b.low[k], b.high[k]] }
                return r
            }
            let dat = try Gnuplot.writeColumns(s.band == nil ? ["x", "y"] : ["x", "y", "low", "high"], rows, to: sb)
            if s.band != nil {
                parts.append("'\(dat.path)' skip 1 using 1:3:4 with filledcurves lc \(i + 1) fs transparent solid 0.2 notitle")
            }
            parts.append("'\(dat.path)' skip 1 using 1:2 with linespoints lc \(i + 1) pt 7 ps 0.6 title \"\(Gnuplot.quoted(s.title))\"")
        }
        body += "plot " + parts.joined(separator: ", \\\n  ") + "\n"
        return try Gnuplot.render(base: base, size: (keyOutside ? 900 : 720, 440), body: body)
    }
}
