import CKernels
import Numerics

/// The element type K and V are stored in: F16 (2 bytes, llama.cpp's default and the element size of the paper's
/// §5.2 formulas) or F32 (4 bytes, exact).
public enum KVElement: String, CaseIterable, Sendable {
    case f16, f32
    public var bytes: Int { self == .f16 ? 2 : 4 }
}

/// Per-layer key/value cache. K and V rows are stored after RoPE (K) for absolute positions
/// 0..<count. Layers whose policy needs no keys (direct sharing, uniform) keep an empty K.
/// F16 caches are read back through a Float32 scratch row block (`withKeys`/`withValues`).
public final class KVCache {
    public let nLayers: Int
    public let kvDim: Int
    public let element: KVElement
    /// Tokens already in the cache (the next token's position).
    public private(set) var count = 0
    /// F32 storage: keys32[l], values32[l]: [count, kvDim].
    private var keys32: [[Float]]
    private var values32: [[Float]]
    /// F16 storage (binary16 bits): keys16[l], values16[l]: [count, kvDim].
    private var keys16: [[UInt16]]
    private var values16: [[UInt16]]
    /// Float32 copies of an F16 layer for one product: [count, kvDim] each.
    private var scratchK = FloatBuffer(count: 0), scratchV = FloatBuffer(count: 0)

    public init(config: ModelConfig, reserve: Int = 0, element: KVElement = .f32) {
        nLayers = config.nLayers
        kvDim = config.kvDim
        self.element = element
        keys32 = Array(repeating: [], count: nLayers); values32 = keys32
        keys16 = Array(repeating: [], count: nLayers); values16 = keys16
        if reserve > 0 {
            for l in 0..<nLayers {
                if element == .f32 {
                    keys32[l].reserveCapacity(reserve * kvDim); values32[l].reserveCapacity(reserve * kvDim)
                } else {
                    keys16[l].reserveCapacity(reserve * kvDim); values16[l].reserveCapacity(reserve * kvDim)
                }
            }
        }
    }

    private static func appendHalf(_ a: inout [UInt16], _ p: UnsafePointer<Float>, _ n: Int) {
        let old = a.count
        a.append(contentsOf: repeatElement(0, count: n))
        a.withUnsafeMutableBufferPointer { lk_f32_to_f16(p, $0.baseAddress! + old, Int64(n)) }
    }

    func append(layer: Int, k: UnsafePointer<Float>?, v: UnsafePointer<Float>, rows: Int) {
        let n = rows * kvDim
        if element == .f32 {
            if let k { keys32[layer].append(contentsOf: UnsafeBufferPointer(start: k, count: n)) }
            values32[layer].append(contentsOf: UnsafeBufferPointer(start: v, count: n))
        } else {
            if let k { Self.appendHalf(&keys16[layer], k, n) }
            Self.appendHalf(&values16[layer], v, n)
        }
    }

    /// Layer l's K [positions, kvDim] as Float32 for the duration of `body`.
    func withKeys<R>(layer l: Int, _ body: (UnsafePointer<Float>) -> R) -> R {
        if element == .f32 { return keys32[l].withUnsafeBufferPointer { body($0.baseAddress!) } }
        return Self.widen(keys16[l], into: &scratchK, body)
    }

    /// Layer l's V [positions, kvDim] as Float32 for the duration of `body`.
    func withValues<R>(layer l: Int, _ body: (UnsafePointer<Float>) -> R) -> R {
        if element == .f32 { return values32[l].withUnsafeBufferPointer { body($0.baseAddress!) } }
        return Self.widen(values16[l], into: &scratchV, body)
    }

    /// Layer l's K [positions, kvDim] in the element type it is stored in, and whether that is binary16, for the
    /// duration of `body` (decoding steps read the cache as stored: lk_attn_scores_kv).
    func withStoredKeys<R>(layer l: Int, _ body: (UnsafeRawPointer, Bool) -> R) -> R {
        if element == .f32 { return keys32[l].withUnsafeBytes { body($0.baseAddress!, false) } }
        return keys16[l].withUnsafeBytes { body($0.baseAddress!, true) }
    }

    /// Layer l's V [positions, kvDim] as stored (see `withStoredKeys`).
    func withStoredValues<R>(layer l: Int, _ body: (UnsafeRawPointer, Bool) -> R) -> R {
        if element == .f32 { return values32[l].withUnsafeBytes { body($0.baseAddress!, false) } }
        return values16[l].withUnsafeBytes { body($0.baseAddress!, true) }
    }

    private static func widen<R>(_ h: [UInt16], into s: inout FloatBuffer, _ body: (UnsafePointer<Float>) -> R) -> R {
        if s.count < h.count { s = FloatBuffer(count: max(h.count, s.count * 2), zeroed: false) }
        h.withUnsafeBufferPointer { lk_f16_to_f32($0.baseAddress!, s.pointer, Int64(h.count)) }
        return body(s.pointer)
    }

    func advance(by n: Int) { count += n }

    /// Frees layer l's K (NF prefill: the layer's provider keeps its own state from then on).
    func dropKeys(layer l: Int) { keys32[l] = []; keys16[l] = [] }

    /// Drops everything after the first `n` tokens.
    public func truncate(to n: Int) {
        precondition(n <= count)
        func cut<T>(_ a: inout [T]) { if a.count > n * kvDim { a.removeLast(a.count - n * kvDim) } }
        for l in 0..<nLayers { cut(&keys32[l]); cut(&values32[l]); cut(&keys16[l]); cut(&values16[l]) }
        count = n
    }

    /// A deep copy (to reuse a shared context across several continuations).
    public func copy() -> KVCache {
        let c = KVCache(config: ModelConfig.placeholder(layers: nLayers, kvDim: kvDim), element: element)
        c.keys32 = keys32; c.values32 = values32; c.keys16 = keys16; c.values16 = values16; c.count = count
        return c
    }

    /// Makes this cache hold exactly what `other` holds (same shape and element type): the arrays are shared
    /// until either side appends, so restoring a stored prefix state costs one copy of it at the first append.
    public func assign(from other: KVCache) {
        precondition(other.nLayers == nLayers && other.kvDim == kvDim && other.element == element)
        keys32 = other.keys32; values32 = other.values32; keys16 = other.keys16; values16 = other.values16
        count = other.count
    }

    /// Bytes held by layer l's K and V; K is 0 for layers whose policy or provider needs no keys.
    public func bytes(layer l: Int) -> (k: Int, v: Int) {
        ((keys32[l].count + keys16[l].count) * element.bytes, (values32[l].count + values16[l].count) * element.bytes)
    }

    /// Bytes held by K and V.
    public var bytes: (k: Int, v: Int) {
        (0..<nLayers).reduce((0, 0)) { t, l in
            let b = bytes(layer: l); return (t.0 + b.k, t.1 + b.v)
        }
    }
}

extension ModelConfig {
    /// Minimal config carrying only the cache geometry (used by KVCache.copy).
    static func placeholder(layers: Int, kvDim: Int) -> ModelConfig {
        ModelConfig(
            arch: .llama, nLayers: layers, nEmbd: kvDim, nHeads: 1, nKVHeads: 1, headDim: kvDim, nFF: 1,
            vocabSize: 1, contextLength: 1, rmsEps: 1e-6, ropeBase: 1e4, ropeBaseLocal: 1e4, slidingWindow: nil,
            isSlidingLayer: Array(repeating: false, count: layers), embedScale: 1, queryScale: 1, ropeNeox: true,
            hasQKNorm: false, hasPostNorms: false, hasQKVBias: false, activation: .silu, tiedOutput: true)
    }
}
