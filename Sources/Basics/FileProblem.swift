import Foundation

/// Why a file cannot be read or written, in words, for every target that opens files: Foundation's own texts
/// ("The operation could not be completed. (NSCocoaErrorDomain error 256.)") name neither the fault nor,
/// often, the file.
public enum FileProblem {
    /// "it does not exist", "it is a directory, not a file", "permission denied", …
    public static func reading(_ path: String, _ error: Error? = nil) -> String {
        var isDir: ObjCBool = false
        let fm = FileManager.default
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return "it does not exist" }
        if isDir.boolValue { return "it is a directory, not a file" }
        if !fm.isReadableFile(atPath: path) { return "permission denied" }
        return underlying(error)
    }

    /// "it is a directory", "the folder … does not exist", "… is a file, not a folder", "permission denied", …
    public static func writing(_ path: String, _ error: Error? = nil) -> String {
        var isDir: ObjCBool = false
        let fm = FileManager.default
        if fm.fileExists(atPath: path, isDirectory: &isDir) {
            if isDir.boolValue { return "it is a directory, not a file" }
            if !fm.isWritableFile(atPath: path) { return "permission denied" }
            return underlying(error)
        }
        // The nearest ancestor that exists says what is in the way.
        var parent = (path as NSString).deletingLastPathComponent
        if parent.isEmpty { parent = "." }
        var ancestor = parent
        while !fm.fileExists(atPath: ancestor, isDirectory: &isDir), ancestor != "/", !ancestor.isEmpty, ancestor != "."
        {
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        if fm.fileExists(atPath: ancestor, isDirectory: &isDir), !isDir.boolValue {
            return "\(ancestor) is a file, not a folder"
        }
        if ancestor != parent { return "the folder \(parent) does not exist" }
        if !fm.isWritableFile(atPath: parent) { return "permission denied in \(parent)" }
        return underlying(error)
    }

    /// A Foundation file error as a sentence naming its file ("x.json: cannot read the file: it is a directory,
    /// not a file."), or nil when `error` is not one.
    public static func sentence(_ error: Error) -> String? {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain else { return nil }
        guard let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path else {
            return nil
        }
        let writing = (CocoaError.fileWriteUnknown.rawValue...CocoaError.Code(rawValue: 639).rawValue).contains(ns.code)
        if ns.code == CocoaError.fileWriteFileExists.rawValue {
            return "\(path): cannot create the folder: it exists as a file."
        }
        return writing
            ? "\(path): cannot write the file: \(Self.writing(path, error))."
            : "\(path): cannot read the file: \(Self.reading(path, error))."
    }

    /// The POSIX reason under a Foundation error, else its failure reason, else its text.
    static func underlying(_ error: Error?) -> String {
        guard let error else { return "unknown error" }
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedFailureReason ?? "\(error)"
    }
}
