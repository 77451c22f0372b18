import Foundation

/// Why `lisa site` could not build the site; each case reads as a sentence naming the path.
public enum SiteError: Error, CustomStringConvertible, Equatable {
    case noReportsFolder(String)
    case outIsNotASite(String)
    case outInsideReport(out: String, report: String)
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .noReportsFolder(let p):
            return "The reports folder \(p) does not exist or is not a folder; give one with --reports."
        case .outIsNotASite(let p):
            return
                "The output folder \(p) is not empty and was not built by `lisa site` (no \(SiteBuilder.marker) in "
                + "it); "
                + "choose an empty or new folder with --out."
        case .outInsideReport(let out, let report):
            return "The output folder \(out) lies inside the report folder \(report), which the site copies; "
                + "choose a folder outside it with --out."
        case .unreadable(let p, let reason):
            return "\(p): cannot read it: \(reason)."
        case .unwritable(let p, let reason):
            return "\(p): cannot write it: \(reason)."
        }
    }
}
