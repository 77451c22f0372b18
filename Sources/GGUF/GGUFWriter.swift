#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes GGUF v3 files laid out as ggml's gguf_write does: header, metadata, tensor infos, zero padding
/// to the alignment, then each tensor's data padded to the alignment, offsets counted from the data
/// section. Reading a ggml-written file and writing it back gives the same bytes.
public struct GGUFWriter {
    public struct Tensor {
        public var name: String
        /// ggml order: dims[0] is the row length.
        public var dims: [Int]
        public var type: GGMLType
        /// elementCount / blockSize · blockBytes bytes.
        public var data: [UInt8]

        public init(name: String, dims: [Int], type: GGMLType, data: [UInt8]) {
            self.name = name; self.dims = dims; self.type = type; self.data = data
        }
    }

    public var metadata: [(key: String, value: GGUFValue)]
    public var tensors: [Tensor]

    public init(metadata: [(key: String, value: GGUFValue)] = [], tensors: [Tensor] = []) {
        self.metadata = metadata
        self.tensors = tensors
    }

    /// Everything in `file` (metadata in file order, tensors in file order, raw data copied).
    public init(copying file: GGUFFile) {
        metadata = file.metadataOrder
        tensors = file.tensors.map {
            Tensor(name: $0.name, dims: $0.dims, type: $0.type, data: Array(file.rawBytes($0)))
        }
    }

    /// general.alignment when present, else ggml's default 32.
    public var alignment: Int {
        metadata.first { $0.key == "general.alignment" }?.value.int ?? 32
    }

    /// The complete file.
    public func bytes(path: String = "<memory>") throws -> [UInt8] {
        let align = alignment
        guard align > 0, align <= 65536, align & (align - 1) == 0 else {
            throw GGUFError.badAlignment(path: path, value: UInt64(max(align, 0)))
        }
        var w = ByteWriter()
        w.append(Array("GGUF".utf8))
        w.put(UInt32(3))
        w.put(UInt64(tensors.count))
        w.put(UInt64(metadata.count))
        var keys = Set<String>()
        for (key, value) in metadata {
            guard keys.insert(key).inserted else {
                throw GGUFError.duplicate(path: path, what: "metadata key", name: key)
            }
            if let bad = GGUFWriter.mistypedArray(value) {
                throw GGUFError.writeFailed(path: path, reason: "metadata key '\(key)' holds \(bad)")
            }
            w.string(key)
            w.put(value.type.rawValue)
            w.value(value)
        }
        var offset = 0
        for t in tensors {
            let count = t.dims.reduce(1, *)
            let expected = count / t.type.blockSize * t.type.blockBytes
            guard t.data.count == expected, count % t.type.blockSize == 0 else {
                throw GGUFError.writeFailed(
                    path: path, reason: "tensor '\(t.name)' has \(t.data.count) bytes of data, expected \(expected)")
            }
            guard (1...4).contains(t.dims.count), t.dims.allSatisfy({ $0 >= 1 }) else {
                throw GGUFError.badDimensions(
                    path: path, tensor: t.name, reason: "dims \(t.dims) (1 to 4 dimensions, each at least 1)")
            }
            w.string(t.name)
            w.put(UInt32(t.dims.count))
            for d in t.dims { w.put(UInt64(d)) }
            w.put(t.type.rawValue)
            w.put(UInt64(offset))
            offset += padded(t.data.count, align)
        }
        w.pad(to: align)
        for t in tensors {
            w.append(t.data)
            w.pad(to: align)
        }
        return w.buffer
    }

    /// Writes the file to `path` (replacing it).
    public func write(to path: String) throws {
        let all = try bytes(path: path)
        guard let fp = fopen(path, "wb") else {
            throw GGUFError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        let written = all.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, fp) }
        let closed = fclose(fp)
        guard written == all.count, closed == 0 else {
            throw GGUFError.writeFailed(path: path, reason: "wrote \(written) of \(all.count) bytes")
        }
    }

    /// A description of the first array whose items are not all of its declared element type, if any
    /// (such a value could not be read back).
    static func mistypedArray(_ v: GGUFValue) -> String? {
        guard case let .array(items) = v else { return nil }
        let t = items.elementType
        if let bad = items.first(where: { $0.type != t }) { return "an array of \(t) with a \(bad.type) item" }
        return items.lazy.compactMap(mistypedArray).first
    }

    func padded(_ n: Int, _ align: Int) -> Int { (n + align - 1) / align * align }
}

/// Little-endian output buffer for GGUFWriter.
struct ByteWriter {
    var buffer: [UInt8] = []

    mutating func append(_ b: [UInt8]) { buffer.append(contentsOf: b) }

    mutating func put<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// gguf_string_t: u64 byte length, UTF-8 bytes.
    mutating func string(_ s: String) {
        put(UInt64(s.utf8.count))
        buffer.append(contentsOf: s.utf8)
    }

    mutating func pad(to align: Int) {
        let rem = buffer.count % align
        if rem != 0 { buffer.append(contentsOf: repeatElement(0, count: align - rem)) }
    }

    /// The value's payload (its type tag is written by the caller); arrays write element type, count,
    /// then the elements' payloads (nested arrays again as type, count, payloads).
    mutating func value(_ v: GGUFValue) {
        switch v {
        case let .uint8(x): put(x)
        case let .int8(x): put(x)
        case let .uint16(x): put(x)
        case let .int16(x): put(x)
        case let .uint32(x): put(x)
        case let .int32(x): put(x)
        case let .float32(x): put(x.bitPattern)
        case let .bool(x): put(UInt8(x ? 1 : 0))
        case let .string(s): string(s)
        case let .uint64(x): put(x)
        case let .int64(x): put(x)
        case let .float64(x): put(x.bitPattern)
        case let .array(items):
            put(items.elementType.rawValue)
            put(UInt64(items.count))
            switch items {
            case let .uint8(a): append(a)
            case let .string(a): for s in a { string(s) }
            default: for item in items { value(item) }
            }
        }
    }
}
