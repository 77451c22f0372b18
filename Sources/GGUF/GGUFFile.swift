/// Description of one tensor in a GGUF file. `dims` are in ggml order: dims[0] is the fastest-varying
/// (row length), so a PyTorch [rows, cols] matrix appears as dims = [cols, rows].
public struct GGUFTensorInfo: Equatable, Sendable {
    public let name: String
    public let dims: [Int]
    public let type: GGMLType
    /// Offset relative to the start of the data section.
    public let offset: UInt64
    public let elementCount: Int
    public let byteCount: Int
}

/// A parsed GGUF file (versions 2 and 3), memory-mapped. Tensor data stay in the map until asked for.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    /// Metadata in file order (needed to write the file back byte for byte).
    public let metadataOrder: [(key: String, value: GGUFValue)]
    public let metadata: [String: GGUFValue]
    public let tensors: [GGUFTensorInfo]
    public let tensorIndex: [String: Int]
    public let alignment: Int
    /// Absolute offset of the data section.
    public let dataOffset: Int
    public let file: MappedFile

    /// Upper bounds that keep a corrupt header from causing huge allocations.
    static let maxDims = 4
    static let maxArrayDepth = 8

    public convenience init(path: String) throws {
        try self.init(mapped: try MappedFile(path: path))
    }

    public init(mapped: MappedFile) throws {
        file = mapped
        path = mapped.path
        var r = ByteReader(mapped.bytes, path: path)
        try r.need(4, "magic")
        let magic = Array(mapped.bytes[0..<4])
        guard magic == Array("GGUF".utf8) else {
            let shown = magic.map {
                (32...126).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16)
            }.joined()
            throw GGUFError.notGGUF(path: path, magic: "\"\(shown)\"")
        }
        r.offset = 4
        version = try r.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(path: path, version: version) }
        let tensorCountOffset = r.offset
        let nTensors = try r.read(UInt64.self, "tensor count")
        let kvCountOffset = r.offset
        let nKV = try r.read(UInt64.self, "metadata key/value count")
        // A tensor info needs at least 8 (name length) + 4 + 8 + 4 + 8 bytes; a key/value at least 8 + 4 + 1.
        guard nTensors <= UInt64(r.remaining / 32) else {
            throw GGUFError.absurdCount(path: path, field: "tensor count", count: nTensors, offset: tensorCountOffset)
        }
        guard nKV <= UInt64(r.remaining / 13) else {
            throw GGUFError.absurdCount(
                path: path, field: "metadata key/value count", count: nKV, offset: kvCountOffset)
        }

        var order: [(key: String, value: GGUFValue)] = []
        var dict: [String: GGUFValue] = [:]
        for i in 0..<Int(nKV) {
            let key = try r.readString("metadata key #\(i)")
            let typeOffset = r.offset
            let rawType = try r.read(UInt32.self, "value type of '\(key)'")
            guard let t = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.unknownValueType(path: path, key: key, type: rawType, offset: typeOffset)
            }
            let v = try GGUFFile.readValue(&r, type: t, key: key, depth: 0)
            guard dict[key] == nil else { throw GGUFError.duplicate(path: path, what: "metadata key", name: key) }
            dict[key] = v
            order.append((key, v))
        }
        metadataOrder = order
        metadata = dict

        var align = 32
        if let a = dict["general.alignment"] {
            guard a.int != nil || a.type == .uint64 else {
                throw GGUFError.wrongKeyType(
                    path: path, key: "general.alignment", expected: "an unsigned integer", found: a.typeInWords)
            }
            guard let av = a.int, av > 0, av <= 65536, av & (av - 1) == 0 else {
                // A negative value is reported as 0 rather than trapping in the UInt64 conversion.
                let shown: UInt64 = {
                    if case let .uint64(u) = a { return u }; return UInt64(max(a.int ?? 0, 0))
                }()
                throw GGUFError.badAlignment(path: path, value: shown)
            }
            align = av
        }
        alignment = align

        var infos: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for i in 0..<Int(nTensors) {
            let name = try r.readString("name of tensor #\(i)")
            let nDims = try r.read(UInt32.self, "dimension count of tensor '\(name)'")
            guard nDims >= 1, nDims <= UInt32(GGUFFile.maxDims) else {
                throw GGUFError.badDimensions(
                    path: path, tensor: name, reason: "\(nDims) dimensions (1 to \(GGUFFile.maxDims) allowed)")
            }
            var dims: [Int] = []
            var count = 1
            for d in 0..<Int(nDims) {
                let v = try r.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
                guard v >= 1, v <= UInt64(Int32.max) else {
                    throw GGUFError.badDimensions(path: path, tensor: name, reason: "dimension \(d) is \(v)")
                }
                let (p, overflow) = count.multipliedReportingOverflow(by: Int(v))
                guard !overflow, p <= Int(Int32.max) * 64 else {
                    throw GGUFError.badDimensions(path: path, tensor: name, reason: "the element count overflows")
                }
                count = p
                dims.append(Int(v))
            }
            let rawType = try r.read(UInt32.self, "type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw GGUFError.unknownTensorType(path: path, tensor: name, type: rawType)
            }
            guard dims[0] % type.blockSize == 0 else {
                throw GGUFError.badDimensions(
                    path: path, tensor: name,
                    reason: "row length \(dims[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
            }
            let off = try r.read(UInt64.self, "data offset of tensor '\(name)'")
            guard off % UInt64(align) == 0 else {
                throw GGUFError.misaligned(path: path, tensor: name, offset: off, alignment: align)
            }
            let bytes = count / type.blockSize * type.blockBytes
            guard index[name] == nil else { throw GGUFError.duplicate(path: path, what: "tensor name", name: name) }
            index[name] = infos.count
            infos.append(
                GGUFTensorInfo(name: name, dims: dims, type: type, offset: off, elementCount: count, byteCount: bytes))
        }
        let dataStart = (r.offset + align - 1) / align * align
        dataOffset = dataStart
        for t in infos {
            // Offsets near 2^64 must not wrap around (or trap); an overflowing end is reported as Int.max.
            let (start, o1) = UInt64(dataStart).addingReportingOverflow(t.offset)
            let (end, o2) = start.addingReportingOverflow(UInt64(t.byteCount))
            guard !o1, !o2, end <= UInt64(mapped.size) else {
                throw GGUFError.tensorOutOfFile(
                    path: path, tensor: t.name, start: o1 ? Int.max : Int(clamping: start),
                    end: o1 || o2 ? Int.max : Int(clamping: end), fileSize: mapped.size)
            }
        }
        // Ranges are inside the file (checked above), so the sums cannot overflow.
        let byStart = infos.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) where a.offset + UInt64(a.byteCount) > b.offset {
            throw GGUFError.overlappingTensors(path: path, first: a.name, second: b.name)
        }
        tensors = infos
        tensorIndex = index
    }

    static func readValue(_ r: inout ByteReader, type: GGUFValueType, key: String, depth: Int) throws -> GGUFValue {
        let f = "value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try r.read(UInt8.self, f))
        case .int8: return .int8(try r.read(Int8.self, f))
        case .uint16: return .uint16(try r.read(UInt16.self, f))
        case .int16: return .int16(try r.read(Int16.self, f))
        case .uint32: return .uint32(try r.read(UInt32.self, f))
        case .int32: return .int32(try r.read(Int32.self, f))
        case .float32: return .float32(try r.readFloat(f))
        case .bool:
            let b = try r.read(UInt8.self, f)
            guard b <= 1 else {
                throw GGUFError.wrongKeyType(path: r.path, key: key, expected: "bool 0 or 1", found: "\(b)")
            }
            return .bool(b == 1)
        case .string: return .string(try r.readString(f))
        case .uint64: return .uint64(try r.read(UInt64.self, f))
        case .int64: return .int64(try r.read(Int64.self, f))
        case .float64: return .float64(try r.readDouble(f))
        case .array: return .array(try readArrayValue(&r, key: key, depth: depth))
        }
    }

    /// An array value: u32 element type, u64 count, the items.
    static func readArrayValue(_ r: inout ByteReader, key: String, depth: Int) throws -> GGUFArray {
        let typeOffset = r.offset
        let rawType = try r.read(UInt32.self, "element type of '\(key)'")
        guard let et = GGUFValueType(rawValue: rawType) else {
            throw GGUFError.unknownValueType(path: r.path, key: key, type: rawType, offset: typeOffset)
        }
        guard depth < GGUFFile.maxArrayDepth else {
            throw GGUFError.absurdCount(
                path: r.path, field: "array nesting depth of '\(key)'", count: UInt64(depth + 1), offset: typeOffset)
        }
        let countOffset = r.offset
        let n = try r.read(UInt64.self, "element count of '\(key)'")
        // Checked before anything is reserved: every item needs at least its minimum size in the bytes left.
        guard n <= UInt64(r.remaining / et.minimumSize) else {
            throw GGUFError.absurdCount(path: r.path, field: "element count of '\(key)'", count: n, offset: countOffset)
        }
        return try readArray(&r, type: et, count: Int(n), key: key, depth: depth)
    }

    /// `count` items of type `type`, read into one typed array.
    static func readArray(
        _ r: inout ByteReader, type: GGUFValueType, count n: Int, key: String, depth: Int
    ) throws -> GGUFArray {
        let f = "item of '\(key)'"
        func many<T>(_ read: (inout ByteReader) throws -> T) throws -> [T] {
            var out: [T] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try read(&r)) }
            return out
        }
        switch type {
        case .uint8: return .uint8(try many { try $0.read(UInt8.self, f) })
        case .int8: return .int8(try many { try $0.read(Int8.self, f) })
        case .uint16: return .uint16(try many { try $0.read(UInt16.self, f) })
        case .int16: return .int16(try many { try $0.read(Int16.self, f) })
        case .uint32: return .uint32(try many { try $0.read(UInt32.self, f) })
        case .int32: return .int32(try many { try $0.read(Int32.self, f) })
        case .float32: return .float32(try many { try $0.readFloat(f) })
        case .uint64: return .uint64(try many { try $0.read(UInt64.self, f) })
        case .int64: return .int64(try many { try $0.read(Int64.self, f) })
        case .float64: return .float64(try many { try $0.readDouble(f) })
        case .string: return .string(try many { try $0.readString(f) })
        case .bool:
            return .bool(
                try many { r in
                    let b = try r.read(UInt8.self, f)
                    guard b <= 1 else {
                        throw GGUFError.wrongKeyType(path: r.path, key: key, expected: "bool 0 or 1", found: "\(b)")
                    }
                    return b == 1
                })
        case .array:
            return .arrays(try many { try readArrayValue(&$0, key: key, depth: depth + 1) })
        }
    }

    // MARK: - Typed access

    public var architecture: String? { metadata["general.architecture"]?.string }

    public func tensor(_ name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The raw (possibly quantized) bytes of a tensor, valid while this file lives.
    public func rawBytes(_ t: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + Int(t.offset)
        return UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + t.byteCount)])
    }

    public func int(_ key: String) throws -> Int {
        let v = try value(key)
        if case let .uint64(u) = v, u > UInt64(Int.max) {
            throw GGUFError.badValue(path: path, key: key, reason: "is \(u), too large for an integer")
        }
        guard let i = v.int else { throw wrongType(key, v, expected: "an integer") }
        return i
    }

    public func double(_ key: String) throws -> Double {
        let v = try value(key)
        guard let d = v.double else { throw wrongType(key, v, expected: "a number") }
        return d
    }

    public func string(_ key: String) throws -> String {
        let v = try value(key)
        guard let s = v.string else { throw wrongType(key, v, expected: "a string") }
        return s
    }

    public func bool(_ key: String) throws -> Bool {
        let v = try value(key)
        guard let b = v.bool else { throw wrongType(key, v, expected: "a bool") }
        return b
    }

    public func strings(_ key: String) throws -> [String] {
        let v = try value(key)
        guard let out = v.array?.strings else { throw wrongType(key, v, expected: "an array of strings") }
        return out
    }

    public func floats(_ key: String) throws -> [Float] {
        let v = try value(key)
        guard let out = v.array?.floats else { throw wrongType(key, v, expected: "an array of numbers") }
        return out
    }

    public func ints(_ key: String) throws -> [Int] {
        let v = try value(key)
        guard let out = v.array?.ints else { throw wrongType(key, v, expected: "an array of integers") }
        return out
    }

    /// The value of a key that must be present.
    public func value(_ key: String) throws -> GGUFValue {
        guard let v = metadata[key] else { throw GGUFError.missingKey(path: path, key: key) }
        return v
    }

    /// The value of `key` when present; nil when absent (a present value of the wrong type is still an error).
    public func optional<T>(_ key: String, _ get: (String) throws -> T) throws -> T? {
        metadata[key] == nil ? nil : try get(key)
    }

    func wrongType(_ key: String, _ v: GGUFValue, expected: String) -> GGUFError {
        .wrongKeyType(path: path, key: key, expected: expected, found: v.typeInWords)
    }

    /// `<arch>.<suffix>` as an integer, e.g. archInt("block_count").
    public func archInt(_ suffix: String) throws -> Int { try int(archKey(suffix)) }
    public func archDouble(_ suffix: String) throws -> Double { try double(archKey(suffix)) }
    /// `<arch>.<suffix>` when present (nil when absent; a wrong type is an error).
    public func archIntIfPresent(_ suffix: String) throws -> Int? { try optional(archKey(suffix), int) }
    public func archDoubleIfPresent(_ suffix: String) throws -> Double? { try optional(archKey(suffix), double) }
    public func archKey(_ suffix: String) -> String { "\(architecture ?? "general").\(suffix)" }
}
