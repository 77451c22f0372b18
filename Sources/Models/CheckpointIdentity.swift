/// A `lisa train` checkpoint as a run records it: the file's SHA-256, its method, and whether NF decoding ran.
public struct CheckpointIdentity: Codable, Equatable, Sendable {
    public var sha256: String
    /// "lisa" or "ds-lora" (the checkpoint's metadata).
    public var method: String
    public var nf: Bool
    public init(sha256: String, method: String, nf: Bool) { self.sha256 = sha256; self.method = method; self.nf = nf }
}
