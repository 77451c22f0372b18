import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that could not be replaced; the previous file (if any) is left as it was.
public struct AtomicWriteError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    /// Whether a regular file was at `path` (and still is, unchanged).
    public let keptPrevious: Bool
    public var description: String {
        "\(path): cannot write the file: \(reason)" + (keptPrevious ? "; the previous file is unchanged." : ".")
    }
}

/// Replaces the file at `path` with `data` all at once (issue 15: a full disk while writing a report or a checkpoint
/// must leave the previous file intact): the bytes go to a temporary file in the same folder, are flushed with
/// fsync, and rename(2) swaps it in. On any failure the temporary file is removed and the old file stays.
public func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
    // EFBIG from a file-size limit must come back as an error, not kill the process with SIGXFSZ.
    signal(SIGXFSZ, SIG_IGN)
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
        throw AtomicWriteError(path: path, reason: FileProblem.writing(path, posixError()), keptPrevious: false)
    }
    var failure: String?
    data.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 { if errno == EINTR { continue }; failure = String(cString: strerror(errno)); return }
            done += n
        }
    }
    if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
    if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
    if failure == nil, rename(tmp, path) != 0 { failure = FileProblem.writing(path, posixError()) }
    if let failure {
        unlink(tmp)
        var st = stat()
        let kept = stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        throw AtomicWriteError(path: path, reason: failure, keptPrevious: kept)
    }
}

private func posixError() -> Error { NSError(domain: NSPOSIXErrorDomain, code: Int(errno)) }
