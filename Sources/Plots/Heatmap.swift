import Foundation

/// One layer×layer panel: S1 (Fig 3/11), two-sentence baseline or first-token ablation (Fig 4).
public struct HeatmapPanel {
    public var title: String
    public var matrix: [[Double]]
    public init(title: String, matrix: [[Double]]) {
        self.title = title
        self.matrix = matrix
    }
}

/// Layer×layer JS heatmaps (FIGURES.md Fig 3): deep red = low JSD = similar, yellow = dissimilar,
/// fixed range [0, 0.3] nats with values above clipped (the colour bar says so), contours at 0.05 (solid)
/// and 0.1 (dashed), each labelled with its level, axes 0-based, global (full-attention) layers marked "G"
/// on the top and right axes.
public enum Heatmap {
    public static let range = 0.3
    public static let levels: [(value: Double, dash: Int)] = [(0.05, 1), (0.1, 2)]
    static let panelWidth = 400

    /// `measure` names what the colour shows, e.g. "S1 JSD".
    @discardableResult
    /// `xlabel`/`ylabel`: the axes (x = the matrix's column index b, y = its row index a).
    public static func draw(
        _ panels: [HeatmapPanel], globalLayers: [Int], title: String, measure: String = "JSD",
        xlabel: String = "layer (0-based)", ylabel: String = "layer (0-based)", to base: URL
    ) throws -> [URL] {
        let width = max(640, panelWidth * panels.count + 130)
        let wrapped = Gnuplot.wrap(
            title + ". White contours: JSD = 0.05 (solid) and 0.1 (dashed), labelled.",
            width: Gnuplot.titleWidth(width))
        let titleLines = wrapped.components(separatedBy: "\\n").count
        var body = """
            set multiplot layout 1,\(panels.count) title "\(wrapped)"
            set palette defined (0 "#5a0000", 0.17 "#b00000", 0.35 "#ff2a00", 0.6 "#ff9900", 1 "#ffff66")
            set cbrange [0:\(range)]
            set cbtics 0.05
            set cblabel "\(Gnuplot.quoted(measure)) (nats); values > \(range) clipped" offset 0.5,0
            set xlabel "\(Gnuplot.quoted(xlabel))"
            set ylabel "\(Gnuplot.quoted(ylabel))"
            set size ratio -1
            set tics out nomirror
            set key off

            """
        if !globalLayers.isEmpty {
            let g = globalLayers.map { "\"G\" \($0)" }.joined(separator: ", ")
            body += "set x2tics (\(g)) out\n"
        }
        let y2 = globalLayers.map { "\"G\" \($0)" }.joined(separator: ", ")
        for (i, p) in panels.enumerated() {
            let n = p.matrix.count
            let clipped = p.matrix.map { $0.map { min($0, range) } }
            let panelBase = base.deletingPathExtension().appendingPathExtension("panel\(i)")
            let dat = try Gnuplot.writeMatrix(p.matrix, to: panelBase)
            let clipDat = panelBase.deletingPathExtension().appendingPathExtension("panel\(i)-clipped")
            _ = try Gnuplot.writeMatrix(clipped, to: clipDat)
            let step = n > 20 ? 4 : 2
            // One colour bar (right of the last panel) and one y label (first panel), so labels do not overlap.
            // Each panel gets the same screen slot and the colour bar its own place beyond the last one, so all
            // squares are the same size (a colour bar inside a panel's cell would shrink that panel).
            let left = Double(i * panelWidth + 60) / Double(width),
                right = left + Double(panelWidth - 90) / Double(width)
            body += String(format: "set lmargin at screen %.4f\nset rmargin at screen %.4f\n", left, right)
            body +=
                (i == 0 ? "" : "unset ylabel\n")
                + (i == panels.count - 1
                    ? String(
                        format: "set colorbox user origin screen %.4f, screen 0.18 size screen %.4f, screen 0.62\n"
                            + "unset y2tics\n", right + 25.0 / Double(width), 14.0 / Double(width))
                    : "unset colorbox\n")
            // G on the right axis too, except beside the colour bar (the top axis marks the same layers)
            if !globalLayers.isEmpty, i < panels.count - 1 { body += "set y2tics (\(y2)) out\n" }
            body += """
                set title "\(Gnuplot.quoted(p.title))"
                set xrange [-0.5:\(Double(n) - 0.5)]
                set yrange [-0.5:\(Double(n) - 0.5)]
                set x2range [-0.5:\(Double(n) - 0.5)]
                set y2range [-0.5:\(Double(n) - 0.5)]
                set xtics 0,\(step)
                set ytics 0,\(step)
                unset surface
                set contour base

                """
            var layers: [String] = ["'\(clipDat.path).dat' matrix with image"]
            // Each level in its own table, so a level absent from the panel cannot shift the other's style.
            for (k, lv) in levels.enumerated() {
                let cont = panelBase.appendingPathExtension("contour\(k).dat")
                body += """
                    set cntrparam levels discrete \(lv.value)
                    set table '\(cont.path)'
                    splot '\(dat.path)' matrix
                    unset table

                    """
                layers.append("'\(cont.path)' with lines lc rgb \"white\" lw 1.4 dt \(lv.dash)")
                layers.append(
                    "'\(cont.path)' every 80::12 using 1:2:(\"\(lv.value)\") with labels tc rgb \"white\" font "
                        + "\",7\" offset 0,0.35"
                )
            }
            body += "unset contour\nset surface\nplot " + layers.joined(separator: ", \\\n  ") + "\n"
        }
        body += "unset multiplot\n"
        return try Gnuplot.render(base: base, size: (width, 440 + 14 * (titleLines - 1)), body: body)
    }
}
