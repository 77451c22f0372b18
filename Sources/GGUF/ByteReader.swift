/// Bounds-checked little-endian cursor over the mapped bytes; every read names its field for errors.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, path: String) { self.bytes = bytes; self.path = path }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ n: Int, _ field: @autoclosure () -> String) throws {
        if n < 0 || n > remaining {
            throw GGUFError.truncated(path: path, field: field(), offset: offset, needed: n, fileSize: bytes.count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ field: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, field())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readFloat(_ field: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, field()))
    }

    mutating func readDouble(_ field: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, field()))
    }

    /// A gguf_string_t: u64 length then UTF-8 bytes (not NUL-terminated).
    mutating func readString(_ field: @autoclosure () -> String) throws -> String {
        let start = offset
        let len = try read(UInt64.self, "length of " + field())
        guard len <= UInt64(remaining) else {
            throw GGUFError.truncated(
                path: path, field: field(), offset: offset,
                needed: len > UInt64(Int.max) ? Int.max : Int(len), fileSize: bytes.count)
        }
        let n = Int(len)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        guard let s = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw GGUFError.invalidUTF8(path: path, field: field(), offset: start)
        }
        offset += n
        return s
    }
}
