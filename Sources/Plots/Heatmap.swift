import Foundation

/// One layer×layer panel: S1 (Fig 3/11), two-sentence baseline or first-token ablation (Fig 4).
public struct HeatmapPanel {
    public var title: String
    public var matrix: [[Double]]
    public init(title: String, matrix: [[Double]]) { self.title = title; self.matrix = matrix }
}

/// Layer×layer JS heatmaps (FIGURES.md Fig 3): deep red = low JSD = similar, yellow = dissimilar,
/// fixed range [0, 0.3] nats with values above clipped, contours at 0.05 and 0.1, axes 0-based,
/// global (full-attention) layers marked "G" on the top and right axes.
public enum Heatmap {
    public static let range = 0.3

    @discardableResult
    public static func draw(_ panels: [HeatmapPanel], globalLayers: [Int], title: String, to base: URL) throws -> [URL] {
        var body = """
            set multiplot layout 1,\(panels.count) title "\(Gnuplot.quoted(title))"
            set palette defined (0 "#5a0000", 0.17 "#b00000", 0.35 "#ff2a00", 0.6 "#ff9900", 1 "#ffff66")
            set cbrange [0:\(range)]
            set cblabel "JSD (nats), > \(range) clipped" offset 1,0
            set xlabel "layer (0-based)"
            set ylabel "layer (0-based)"
            set size ratio -1
            set tics out nomirror
            set key off

            """
        if !globalLayers.isEmpty {
            let g = globalLayers.map { "\"G\" \($0)" }.joined(separator: ", ")
            body += "set x2tics (\(g)) out\nset y2tics (\(g)) out\n"
        }
        for (i, p) in panels.enumerated() {
            let n = p.matrix.count
            let clipped = p.matrix.map { $0.map { min($0, range) } }
            let panelBase = base.deletingPathExtension().appendingPathExtension("panel\(i)")
            let dat = try Gnuplot.writeMatrix(p.matrix, to: panelBase)
            let clipDat = panelBase.deletingPathExtension().appendingPathExtension("panel\(i)-clipped")
            _ = try Gnuplot.writeMatrix(clipped, to: clipDat)
            let cont = panelBase.appendingPathExtension("contour.dat")
            let step = n > 20 ? 4 : 2
            // One colour bar (last panel) and one y label (first panel), so labels do not overlap.
            body += (i == 0 ? "" : "unset ylabel\n") + (i == panels.count - 1 ? "set colorbox\n" : "unset colorbox\n")
            body += """
                set title "\(Gnuplot.quoted(p.title))"
                set xrange [-0.5:\(Double(n) - 0.5)]
                set yrange [-0.5:\(Double(n) - 0.5)]
                set x2range [-0.5:\(Double(n) - 0.5)]
                set y2range [-0.5:\(Double(n) - 0.5)]
                set xtics 0,\(step)
                set ytics 0,\(step)
                set contour base
                set cntrparam levels discrete 0.05, 0.1
                unset surface
                set table '\(cont.path)'
                splot '\(dat.path)' matrix
                unset table
                unset contour
                set surface
                plot '\(clipDat.path).dat' matrix with image, '\(cont.path)' with lines lc rgb "white" lw 1.2

                """
        }
        body += "unset multiplot\n"
        return try Gnuplot.render(base: base, size: (380 * panels.count + 80, 420), body: body)
    }
}
