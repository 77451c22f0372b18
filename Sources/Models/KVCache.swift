import Numerics

/// Per-layer key/value cache. K and V rows are stored after RoPE (K) for absolute positions
/// 0..<count. Layers whose policy needs no keys (direct sharing, uniform) keep an empty K.
public protocol KVCacheProtocol: AnyObject {
    /// Tokens already in the cache (the next token's position).
    var count: Int { get }
}

public final class KVCache: KVCacheProtocol {
    public let nLayers: Int
    public let kvDim: Int
    public private(set) var count = 0
    /// keys[l]: [count, kvDim]; values[l]: [count, kvDim].
    var keys: [[Float]]
    var values: [[Float]]

    public init(config: ModelConfig, reserve: Int = 0) {
        nLayers = config.nLayers
        kvDim = config.kvDim
        keys = Array(repeating: [], count: nLayers)
        values = Array(repeating: [], count: nLayers)
        if reserve > 0 {
            for l in 0..<nLayers { keys[l].reserveCapacity(reserve * kvDim); values[l].reserveCapacity(reserve * kvDim) }
        }
    }

    func append(layer: Int, k: UnsafePointer<Float>?, v: UnsafePointer<Float>, rows: Int) {
        if let k { keys[layer].append(contentsOf: UnsafeBufferPointer(start: k, count: rows * kvDim)) }
        values[layer].append(contentsOf: UnsafeBufferPointer(start: v, count: rows * kvDim))
    }

    func advance(by n: Int) { count += n }

    /// Frees layer l's K (NF prefill: the layer's provider keeps its own state from then on).
    func dropKeys(layer l: Int) { keys[l] = [] }

    /// Drops everything after the first `n` tokens.
    public func truncate(to n: Int) {
        precondition(n <= count)
        for l in 0..<nLayers {
            if keys[l].count > n * kvDim { keys[l].removeLast(keys[l].count - n * kvDim) }
            if values[l].count > n * kvDim { values[l].removeLast(values[l].count - n * kvDim) }
        }
        count = n
    }

    /// A deep copy (to reuse a shared context across several continuations).
    public func copy() -> KVCache {
        let c = KVCache(config: ModelConfig.placeholder(layers: nLayers, kvDim: kvDim))
        c.keys = keys; c.values = values; c.count = count
        return c
    }

    /// Bytes held by layer l's K and V (Float32); K is 0 for layers whose policy or provider needs no keys.
    public func bytes(layer l: Int) -> (k: Int, v: Int) { (keys[l].count * 4, values[l].count * 4) }

    /// Bytes held by K and V (Float32).
    public var bytes: (k: Int, v: Int) {
        (keys.reduce(0) { $0 + $1.count } * 4, values.reduce(0) { $0 + $1.count } * 4)
    }
}

extension ModelConfig {
    /// Minimal config carrying only the cache geometry (used by KVCache.copy).
    static func placeholder(layers: Int, kvDim: Int) -> ModelConfig {
        ModelConfig(arch: .llama, nLayers: layers, nEmbd: kvDim, nHeads: 1, nKVHeads: 1, headDim: kvDim, nFF: 1,
                    vocabSize: 1, contextLength: 1, rmsEps: 1e-6, ropeBase: 1e4, ropeBaseLocal: 1e4, slidingWindow: nil,
                    isSlidingLayer: Array(repeating: false, count: layers), embedScale: 1, queryScale: 1, ropeNeox: true,
                    hasQKNorm: false, hasPostNorms: false, hasQKVBias: false, activation: .silu, tiedOutput: true)
    }
}
