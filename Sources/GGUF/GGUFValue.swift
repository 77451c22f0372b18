/// GGUF metadata value types (gguf.md `gguf_metadata_value_type`).
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Fixed size in bytes, nil for string and array.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The fewest bytes one value of this type takes in a file: a string's u64 length, an array's
    /// u32 element type and u64 count.
    var minimumSize: Int { fixedSize ?? (self == .string ? 8 : 12) }

    /// The type in words, for error messages ("an unsigned integer", "a string").
    public var inWords: String {
        switch self {
        case .uint8, .uint16, .uint32, .uint64: return "an unsigned integer"
        case .int8, .int16, .int32, .int64: return "a signed integer"
        case .float32, .float64: return "a floating-point number"
        case .bool: return "a bool"
        case .string: return "a string"
        case .array: return "an array"
        }
    }
}

/// One metadata value. Arrays keep their element type so they can be written back byte for byte.
public enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String)
    case array(GGUFArray)
    case uint64(UInt64), int64(Int64), float64(Double)

    /// An array from boxed items (for writers and tests); stored compactly when the items match `type`.
    public static func array(_ type: GGUFValueType, _ items: [GGUFValue]) -> GGUFValue {
        .array(GGUFArray(type, items))
    }

    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// Any integer type as Int (nil for other types or values that do not fit).
    public var int: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return v <= UInt64(Int.max) ? Int(v) : nil
        case let .int64(v): return Int(v)
        default: return nil
        }
    }

    /// Any float or integer type as Double.
    public var double: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return int.map(Double.init)
        }
    }

    public var string: String? { if case let .string(s) = self { return s }; return nil }
    public var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var array: GGUFArray? { if case let .array(a) = self { return a }; return nil }

    /// Short human description used in error messages and `lisa inspect`.
    public var typeDescription: String {
        if case let .array(a) = self { return "array of \(a.count) \(a.elementType)" }
        return "\(type)"
    }

    /// The value's type in words ("a string", "an array of 3 int32"), for "is X, not Y" messages.
    public var typeInWords: String {
        if case let .array(a) = self { return "an array of \(a.count) \(a.elementType)" }
        return type.inWords
    }
}

/// The items of a metadata array in one typed Swift array (a file's 150 000 token types take 600 KB, not a boxed
/// value each). `mixed` holds items that do not all have the declared type; only a writer's input can be mixed.
public enum GGUFArray: Equatable, Sendable, RandomAccessCollection {
    case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
    case float32([Float]), bool([Bool]), string([String]), uint64([UInt64]), int64([Int64]), float64([Double])
    case arrays([GGUFArray])
    case mixed(GGUFValueType, [GGUFValue])

    public init(_ type: GGUFValueType, _ items: [GGUFValue]) {
        func all<T>(_ get: (GGUFValue) -> T?) -> [T]? {
            var out: [T] = []
            out.reserveCapacity(items.count)
            for v in items { guard v.type == type, let x = get(v) else { return nil }; out.append(x) }
            return out
        }
        let typed: GGUFArray?
        switch type {
        case .uint8:
            typed = all {
                if case let .uint8(x) = $0 { return x }; return nil
            }.map(GGUFArray.uint8)
        case .int8:
            typed = all {
                if case let .int8(x) = $0 { return x }; return nil
            }.map(GGUFArray.int8)
        case .uint16:
            typed = all {
                if case let .uint16(x) = $0 { return x }; return nil
            }.map(GGUFArray.uint16)
        case .int16:
            typed = all {
                if case let .int16(x) = $0 { return x }; return nil
            }.map(GGUFArray.int16)
        case .uint32:
            typed = all {
                if case let .uint32(x) = $0 { return x }; return nil
            }.map(GGUFArray.uint32)
        case .int32:
            typed = all {
                if case let .int32(x) = $0 { return x }; return nil
            }.map(GGUFArray.int32)
        case .float32:
            typed = all {
                if case let .float32(x) = $0 { return x }; return nil
            }.map(GGUFArray.float32)
        case .bool: typed = all(\.bool).map(GGUFArray.bool)
        case .string: typed = all(\.string).map(GGUFArray.string)
        case .uint64:
            typed = all {
                if case let .uint64(x) = $0 { return x }; return nil
            }.map(GGUFArray.uint64)
        case .int64:
            typed = all {
                if case let .int64(x) = $0 { return x }; return nil
            }.map(GGUFArray.int64)
        case .float64:
            typed = all {
                if case let .float64(x) = $0 { return x }; return nil
            }.map(GGUFArray.float64)
        case .array: typed = all(\.array).map(GGUFArray.arrays)
        }
        self = typed ?? .mixed(type, items)
    }

    public var elementType: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        case .arrays: return .array
        case let .mixed(t, _): return t
        }
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch self {
        case let .uint8(a): return a.count
        case let .int8(a): return a.count
        case let .uint16(a): return a.count
        case let .int16(a): return a.count
        case let .uint32(a): return a.count
        case let .int32(a): return a.count
        case let .float32(a): return a.count
        case let .bool(a): return a.count
        case let .string(a): return a.count
        case let .uint64(a): return a.count
        case let .int64(a): return a.count
        case let .float64(a): return a.count
        case let .arrays(a): return a.count
        case let .mixed(_, a): return a.count
        }
    }

    /// Item i as a boxed value (made on access; nothing is stored boxed).
    public subscript(i: Int) -> GGUFValue {
        switch self {
        case let .uint8(a): return .uint8(a[i])
        case let .int8(a): return .int8(a[i])
        case let .uint16(a): return .uint16(a[i])
        case let .int16(a): return .int16(a[i])
        case let .uint32(a): return .uint32(a[i])
        case let .int32(a): return .int32(a[i])
        case let .float32(a): return .float32(a[i])
        case let .bool(a): return .bool(a[i])
        case let .string(a): return .string(a[i])
        case let .uint64(a): return .uint64(a[i])
        case let .int64(a): return .int64(a[i])
        case let .float64(a): return .float64(a[i])
        case let .arrays(a): return .array(a[i])
        case let .mixed(_, a): return a[i]
        }
    }

    /// The items as strings, nil unless this is an array of strings.
    public var strings: [String]? { if case let .string(a) = self { return a }; return nil }

    /// The items as Int, nil unless every item is an integer that fits.
    public var ints: [Int]? {
        switch self {
        case let .uint8(a): return a.map(Int.init)
        case let .int8(a): return a.map(Int.init)
        case let .uint16(a): return a.map(Int.init)
        case let .int16(a): return a.map(Int.init)
        case let .uint32(a): return a.map(Int.init)
        case let .int32(a): return a.map(Int.init)
        case let .int64(a): return a.map(Int.init)
        case let .uint64(a): return a.allSatisfy({ $0 <= UInt64(Int.max) }) ? a.map(Int.init) : nil
        case .float32, .float64, .bool, .string, .arrays: return nil
        case let .mixed(_, a):
            let out = a.compactMap(\.int)
            return out.count == a.count ? out : nil
        }
    }

    /// The items as Float, nil unless every item is a number.
    public var floats: [Float]? {
        switch self {
        case let .float32(a): return a
        case let .float64(a): return a.map(Float.init)
        case .bool, .string, .arrays: return nil
        case let .mixed(_, a):
            let out = a.compactMap { $0.double.map(Float.init) }
            return out.count == a.count ? out : nil
        default: return ints?.map(Float.init)
        }
    }
}
