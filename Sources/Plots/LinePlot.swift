import Foundation

/// One line of a line plot; `band` (low, high) draws a shaded range (e.g. the inter-quartile range over heads),
/// `se` draws ±1 standard-error bars at the points.
public struct LineSeries {
    public var title: String
    public var x: [Double]
    public var y: [Double]
    public var band: (low: [Double], high: [Double])?
    public var se: [Double]?
    /// The `Gnuplot.style` line type (default: the series' position + 1).
    public var lineType: Int?
    /// Draw large open markers without a line: a series that nearly coincides with another one, drawn after it,
    /// stays visible around the other's points instead of hiding it (or under it).
    public var openMarkers: Bool
    public init(
        title: String, x: [Double], y: [Double], band: (low: [Double], high: [Double])? = nil, se: [Double]? = nil,
        lineType: Int? = nil, openMarkers: Bool = false
    ) {
        self.title = title
        self.x = x
        self.y = y
        self.band = band
        self.se = se
        self.lineType = lineType
        self.openMarkers = openMarkers
    }
}

/// A vertical marker line, e.g. at a Gemma global layer.
public struct PlotMarker {
    public var x: Double
    public var label: String
    public init(x: Double, label: String) {
        self.x = x
        self.label = label
    }
}

/// Line plots: S2 alignments and sub-module cosine against the layer pair (Fig 5), and attention
/// distributions against key position (Fig 12). Lines only guide the eye between discrete points.
/// Series draw in the order given, each in its own line type of `Gnuplot.style` (colour, dash and point),
/// so a caller puts the key series last to draw it on top; shaded bands go below every line.
public enum LinePlot {
    @discardableResult
    public static func draw(
        _ series: [LineSeries], title: String, xlabel: String, ylabel: String,
        yrange: (Double, Double)? = nil, logY: Bool = false, logX: Bool = false, xrange: (Double, Double)? = nil,
        xFormat: String? = nil, keyOutside: Bool = false,
        markers: [PlotMarker] = [], to base: URL
    ) throws -> [URL] {
        let width = keyOutside ? 960 : 760
        // the title centres over the plot area, which an outside key narrows by about 300 px
        let wrapped = Gnuplot.wrap(title, width: Gnuplot.titleWidth(keyOutside ? width - 300 : width))
        let lines = wrapped.components(separatedBy: "\\n").count
        var body = """
            set title "\(wrapped)"
            set xlabel "\(Gnuplot.quoted(xlabel))"
            set ylabel "\(Gnuplot.quoted(ylabel))"
            set key \(keyOutside ? "outside right top" : "top right") box opaque
            set grid lc rgb "#dddddd"

            """
        if let yr = yrange { body += "set yrange [\(yr.0):\(yr.1)]\n" }
        if logY { body += "set logscale y\n" }
        if logX { body += "set logscale x\n" }
        if let xr = xrange { body += "set xrange [\(xr.0):\(xr.1)]\n" }
        if let xFormat { body += "set format x \"\(Gnuplot.quoted(xFormat))\"\n" }
        for (i, m) in markers.enumerated() {
            body +=
                "set arrow \(i + 1) from \(m.x), graph 0 to \(m.x), graph 1 nohead dt 3 lw 1 lc rgb \"#888888\" back\n"
            body +=
                "set label \(i + 1) \"\(Gnuplot.quoted(m.label))\" at \(m.x), graph 1 offset 0,0.6 center tc rgb "
                + "\"#555555\"\n"
        }
        var bands: [String] = []
        var parts: [String] = []
        for (i, s) in series.enumerated() {
            let lt = s.lineType ?? i + 1
            let sb = base.deletingPathExtension().appendingPathExtension("series\(i)")
            let rows = s.x.indices.map { k -> [Double] in
                var r = [s.x[k], s.y[k]]
                if let b = s.band { r += [b.low[k], b.high[k]] }
                if let e = s.se { r += [e[k]] }
                return r
            }
            var header = ["x", "y"]
            if s.band != nil { header += ["low", "high"] }
            if s.se != nil { header += ["se"] }
            let dat = try Gnuplot.writeColumns(header, rows, to: sb)
            if s.band != nil {
                bands.append(
                    "'\(dat.path)' skip 1 using 1:3:4 with filledcurves lt \(lt) fs transparent solid 0.15 noborder "
                        + "notitle"
                )
            }
            if s.openMarkers {
                // pt 8: gnuplot's open triangle, twice the style's size, in the series' colour
                parts.append(
                    "'\(dat.path)' skip 1 using 1:2 with points lt \(lt) pt 8 ps 1.8 lw 1.5 "
                        + "title \"\(Gnuplot.quoted(s.title))\"")
            } else if s.se != nil {
                let c = s.band != nil ? 5 : 3
                parts.append(
                    "'\(dat.path)' skip 1 using 1:2:\(c) with yerrorlines lt \(lt) title \"\(Gnuplot.quoted(s.title))\""
                )
            } else {
                parts.append(
                    "'\(dat.path)' skip 1 using 1:2 with linespoints lt \(lt) title \"\(Gnuplot.quoted(s.title))\"")
            }
        }
        body += "plot " + (bands + parts).joined(separator: ", \\\n  ") + "\n"
        return try Gnuplot.render(base: base, size: (width, 460 + 14 * (lines - 1)), body: body)
    }
}
