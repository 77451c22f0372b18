import Foundation
@testable import Site
import Testing
import TestSupport

// The committed reports' site in headless Chromium (Debian's `chromium`; scripts/test installs it when run as root):
// every page loads, every image and link of the rendered DOM names a file of the site, and a screenshot of the
// index is not blank. Skipped, with the reason, where no browser is installed.

enum Browser {
    /// `LISA_CHROMIUM`, else the first of chromium, chromium-browser, google-chrome on PATH.
    static let path: String? = {
        if let p = ProcessInfo.processInfo.environment["LISA_CHROMIUM"], FileManager.default.isExecutableFile(atPath: p)
        {
            return p
        }
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for d in dirs where FileManager.default.isExecutableFile(atPath: "\(d)/\(name)") { return "\(d)/\(name)" }
        }
        return nil
    }()

    static let absent =
        "no headless browser: chromium is not on PATH (scripts/test installs Debian's chromium when run "
        + "as root; elsewhere `apt-get install chromium` or set LISA_CHROMIUM)"

    struct Run { let status: Int32; let stdout: Data; let stderr: String }

    /// Runs Chromium headless with its own profile folder; killed after `timeout` seconds.
    static func run(_ args: [String], profile: URL, timeout: TimeInterval = 90) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        // --no-sandbox: the tests may run as root (CI), where Chromium's sandbox refuses to start.
        p.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                "--user-data-dir=\(profile.path)",
            ] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let e = Box(), g = DispatchGroup()
        g.enter()
        DispatchQueue.global().async {
            e.data = err.fileHandleForReading.readDataToEndOfFile(); g.leave()
        }
        let timer = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        g.wait()
        p.waitUntilExit()
        timer.cancel()
        return Run(status: p.terminationStatus, stdout: o, stderr: String(decoding: e.data, as: UTF8.self))
    }
}

/// Mean, standard deviation and distinct colours of a PNG's pixels, decoded by Python's zlib (an independent
/// decoder: IHDR, IDAT inflate, the five row filters), for 8-bit RGB/RGBA images as Chromium writes them.
enum PNGStats {
    static let script = #"""
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
        pos, idat = 8, b''
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
            if kind == b'IHDR': w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            elif kind == b'IDAT': idat += body
        assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
        bpp = 3 if ctype == 2 else 4
        raw, stride = zlib.decompress(idat), w * bpp
        prev, rows, i = bytearray(stride), [], 0
        for _ in range(h):
            f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 2: line[x] = (line[x] + b) & 255
                elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            rows.append(bytes(line)); prev = line
        lum, colours = [], set()
        for r in rows:
            for x in range(0, stride, bpp):
                colours.add(r[x:x + 3]); lum.append(0.299 * r[x] + 0.587 * r[x + 1] + 0.114 * r[x + 2])
        m = sum(lum) / len(lum)
        print(w, h, m, (sum((v - m) ** 2 for v in lum) / len(lum)) ** 0.5, len(colours))
        """#

    struct Stats { let width: Int, height: Int; let mean: Double, std: Double; let colours: Int }

    static func of(_ png: URL) throws -> Stats? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, png.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let v = text.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard p.terminationStatus == 0, v.count == 5 else { return nil }
        return Stats(
            width: Int(v[0]) ?? 0, height: Int(v[1]) ?? 0, mean: Double(v[2]) ?? 0, std: Double(v[3]) ?? 0,
            colours: Int(v[4]) ?? 0)
    }
}

@Suite(.serialized, .enabled(if: Browser.path != nil, Comment(rawValue: Browser.absent)))
struct BrowserTests {
    func buildSite() throws -> (out: URL, tmp: URL) {
        let tmp = try TestPaths.tempDir("site-browser")
        let out = tmp.appendingPathComponent("site")
        let root = TestPaths.repoRoot
        try SiteBuilder.build(
            .init(
                reportsDir: root.appendingPathComponent("reports"),
                studiesDir: root.appendingPathComponent("studies"), outDir: out, repoRoot: root))
        return (out, tmp)
    }

    @Test func everyPageLoadsAndEveryImageAndLinkOfItsDOMResolves() throws {
        let (out, tmp) = try buildSite()
        let pages = SiteLinkCheck.pages(out)
        #expect(pages.count >= 3)
        for page in pages {
            let r = try Browser.run(
                ["--dump-dom", page.absoluteString], profile: tmp.appendingPathComponent("profile"))
            let dom = String(decoding: r.stdout, as: UTF8.self)
            #expect(r.status == 0, "\(page.path): chromium exited \(r.status): \(r.stderr.suffix(500))")
            // The DOM Chromium built: the page's own title and main content, not an error page.
            let written = try String(contentsOf: page, encoding: .utf8)
            let title = try #require(written.firstMatch(of: #/<title>([^<]*)<\/title>/#)?.1)
            let shown = dom.firstMatch(of: #/<title>([^<]*)<\/title>/#)?.1
            #expect(
                shown.map { SiteLinkCheck.decodeEntities(String($0)) } == SiteLinkCheck.decodeEntities(String(title)),
                "\(page.path): title not in the rendered DOM")
            #expect(dom.contains("<main>") && dom.contains("</footer>"), "\(page.path)")
            let targets = SiteLinkCheck.targets(dom)
            #expect(targets.count == SiteLinkCheck.targets(written).count, "\(page.path): DOM and file disagree")
            #expect(SiteLinkCheck.problems(page: page, siteRoot: out, html: dom) == [], "\(page.path)")
        }
    }

    @Test func screenshotOfTheIndexIsNotBlank() throws {
        let (out, tmp) = try buildSite()
        let shot = tmp.appendingPathComponent("index.png")
        for scheme in ["light", "dark"] {
            let r = try Browser.run(
                ["--window-size=1440,810", "--screenshot=\(shot.path)"]
                    + (scheme == "dark" ? ["--force-dark-mode"] : [])
                    + [out.appendingPathComponent("index.html").absoluteString],
                profile: tmp.appendingPathComponent("profile"))
            #expect(r.status == 0, "\(r.stderr.suffix(500))")
            let s = try #require(try PNGStats.of(shot), "python3 could not decode \(shot.path)")
            #expect(s.width == 1440 && s.height == 810)
            // A blank page is one colour (std 0); text, rules and table stripes give many shades and a spread.
            #expect(s.std > 10, "\(scheme): luminance std \(s.std)")
            #expect(s.colours > 20, "\(scheme): \(s.colours) colours")
            // Light mode is mostly light, dark mode mostly dark (prefers-color-scheme honoured).
            #expect(scheme == "light" ? s.mean > 160 : s.mean < 100, "\(scheme): mean luminance \(s.mean)")
            if scheme == "light", let keep = ProcessInfo.processInfo.environment["LISA_SITE_SCREENSHOT"] {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(at: shot, to: URL(fileURLWithPath: keep))
            }
            try FileManager.default.removeItem(at: shot)
        }
    }
}
