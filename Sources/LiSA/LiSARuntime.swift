import Basics
import CKernels
import Foundation
import GGUF
import Models
import Numerics

/// A trained LiSA layer inside the full forward pass (prefill and token-by-token decoding).
/// It keeps its own low-rank K cache K_LR [positions, h_kv·r] (after RoPE) in place of the layer's K cache;
/// for query rows p0 ..< p0+T it computes Q_LR, A_Δ = Q_LR K_LRᵀ/√r against all S keys, and the alignment
/// FFN on concat(A_{n−1}, A_Δ) over the entries visible under layer n's mask — the math of
/// `lisaAttentionForward`, incrementally. Masked entries are left −inf (the layer re-applies its mask).
///
/// The K_LR cache follows the KVCache by position: a call at p0 drops K_LR rows ≥ p0 first, so a fresh cache,
/// `KVCache.truncate`, or several continuations run one after another from copies of one context cache all
/// work. Running continuations of *different* prefixes interleaved, or calls from several threads, does not:
/// use one runtime per sequence.
public final class LiSARuntimeLayer: LayerScoreProvider {
    public let layer: LiSALayer
    /// The element K_LR is stored in: F16 as the model's K/V by default (§5.2's 2-byte formulas), or F32.
    public let element: KVElement
    /// K_LR: [count, h_kv·r], post-RoPE, in one of the two (the other stays empty).
    private var kCache32: [Float] = []
    private var kCache16: [UInt16] = []
    /// F16 K_LR as Float32 for one product: [count, h_kv·r].
    private var widened = FloatBuffer(count: 0)
    public private(set) var count = 0

    public init(layer: LiSALayer, element: KVElement = .f32) { self.layer = layer; self.element = element }

    /// K_LR [count, h_kv·r] as Float32 (a copy, for checks).
    public var lowRankKeys: [Float] {
        element == .f32 ? kCache32 : withLowRankKeys { Array(UnsafeBufferPointer(start: $0, count: kCache16.count)) }
    }

    /// Bytes of the low-rank K cache (its element size in use).
    public var lowRankKBytes: Int { (kCache32.count + kCache16.count) * element.bytes }

    public func reset() {
        kCache32.removeAll(keepingCapacity: true); kCache16.removeAll(keepingCapacity: true); count = 0
    }

    /// K_LR [count, h_kv·r] as Float32 for the duration of `body`.
    func withLowRankKeys<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        if element == .f32 { return kCache32.withUnsafeBufferPointer { body($0.baseAddress!) } }
        if widened.count < kCache16.count {
            widened = FloatBuffer(count: max(kCache16.count, 2 * widened.count), zeroed: false)
        }
        kCache16.withUnsafeBufferPointer { lk_f16_to_f32($0.baseAddress!, widened.pointer, Int64($0.count)) }
        return body(widened.pointer)
    }

    public func scores(
        layer n: Int, input: UnsafePointer<Float>, T: Int, p0: Int,
        prevScores: UnsafePointer<Float>, S: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let L = layer, d = L.dim, H = L.heads, r = L.rank, qW = H * r, kW = L.kvHeads * r, gsz = H / L.kvHeads
        precondition(n == L.index, "LiSA runtime layer \(L.index) attached to layer \(n)")
        precondition(
            p0 <= count, "LiSA layer \(L.index): low-rank K cache holds \(count) positions, query starts at \(p0)")
        precondition(S == p0 + T)
        let q = FloatBuffer(count: T * qW, zeroed: false)  // [T, h·r] Q_LR after RoPE
        BLAS.gemmNT(m: T, n: qW, k: d, a: input, lda: d, b: L.params.lowRankQ.pointer, ldb: d, c: q.pointer, ldc: qW)
        if let rope = L.rope { ropeForward(rope, q.pointer, rows: T, heads: H, positions: Array(p0..<S)) }
        appendLowRankKeys(input: input, T: T, p0: p0)
        // A_Δ[i] [T, S] = Q_LR,i · K_LR,g(i)ᵀ / √r
        let plane = T * S, inv = 1 / Float(r).squareRoot()
        let delta = FloatBuffer(count: H * plane, zeroed: false)
        withLowRankKeys { kc in
            for i in 0..<H {
                BLAS.gemmNT(
                    m: T, n: S, k: r, alpha: inv, a: q.pointer + i * r, lda: qW,
                    b: kc + (i / gsz) * r, ldb: kW, c: delta.pointer + i * plane, ldc: S)
            }
        }
        // visible entries of this call's rows: offset a·S + b
        var index: [Int] = []
        index.reserveCapacity(T * min(S, L.window ?? S))
        for a in 0..<T { for b in 0..<S where L.visible(query: p0 + a, key: b) { index.append(a * S + b) } }
        let N = index.count, f = L.params.alignFFN
        out.update(repeating: -.infinity, count: H * plane)
        // the FFN runs over the visible entries in chunks, so that a long prefill's transient stays bounded
        let chunk = min(N, Self.ffnChunk)
        let x = FloatBuffer(count: chunk * 2 * H, zeroed: false)  // [chunk, 2h] concat(A_{n−1}, A_Δ)
        let y = FloatBuffer(count: chunk * H, zeroed: false)  // [chunk, h]
        var e0 = 0
        while e0 < N {
            let n = min(chunk, N - e0)
            for e in 0..<n {
                let o = index[e0 + e]
                for i in 0..<H {
                    let v = prevScores[i * plane + o]
                    x[e * 2 * H + i] = v.isFinite ? v : -1e4
                    x[e * 2 * H + H + i] = delta[i * plane + o]
                }
            }
            alignFFNForward(f, x: x.pointer, y: y.pointer, rows: n)
            for e in 0..<n { let o = index[e0 + e]; for i in 0..<H { out[i * plane + o] = y[e * H + i] } }
            e0 += n
        }
        withExtendedLifetime((q, delta, x, y)) {}
    }

    /// Visible entries per FFN call (bounds the prefill transient: 8192 · 3h floats, and the FFN's own chunks).
    public static let ffnChunk = 8192

    /// NF prefill (§5.2): the layer ran standard attention on these rows; keep their K_LR for decoding.
    public func observe(layer n: Int, input: UnsafePointer<Float>, T: Int, p0: Int) {
        precondition(n == layer.index, "LiSA runtime layer \(layer.index) attached to layer \(n)")
        precondition(
            p0 <= count, "LiSA layer \(layer.index): low-rank K cache holds \(count) positions, rows start at \(p0)")
        appendLowRankKeys(input: input, T: T, p0: p0)
    }

    /// K_LR rows p0 ..< p0+T = RoPE(H · W_LR^Kᵀ) appended to the cache (rows ≥ p0 dropped first).
    func appendLowRankKeys(input: UnsafePointer<Float>, T: Int, p0: Int) {
        let L = layer, d = L.dim, kW = L.kvHeads * L.rank
        if count > p0 {  // cache truncated or restarted
            if element == .f32 {
                kCache32.removeLast((count - p0) * kW)
            } else {
                kCache16.removeLast((count - p0) * kW)
            }
            count = p0
        }
        let k = FloatBuffer(count: T * kW, zeroed: false)  // [T, h_kv·r]
        BLAS.gemmNT(m: T, n: kW, k: d, a: input, lda: d, b: L.params.lowRankK.pointer, ldb: d, c: k.pointer, ldc: kW)
        if let rope = L.rope {
            ropeForward(rope, k.pointer, rows: T, heads: L.kvHeads, positions: Array(p0..<(p0 + T)))
        }
        if element == .f32 {
            kCache32.append(contentsOf: UnsafeBufferPointer(start: k.pointer, count: T * kW))
        } else {
            let old = kCache16.count
            kCache16.append(contentsOf: repeatElement(0, count: T * kW))
            kCache16.withUnsafeMutableBufferPointer { lk_f32_to_f16(k.pointer, $0.baseAddress! + old, Int64(T * kW)) }
        }
        count = p0 + T
        withExtendedLifetime(k) {}
    }
}

/// Cache bytes of one forward state (each part in its element size), per layer and in total.
public struct MemoryReport: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public let index: Int
        public let kBytes: Int, lowRankKBytes: Int, vBytes: Int
        public var total: Int { kBytes + lowRankKBytes + vBytes }
    }
    public let layers: [Layer]
    public var kBytes: Int { layers.reduce(0) { $0 + $1.kBytes } }
    public var lowRankKBytes: Int { layers.reduce(0) { $0 + $1.lowRankKBytes } }
    public var vBytes: Int { layers.reduce(0) { $0 + $1.vBytes } }
    public var totalBytes: Int { kBytes + lowRankKBytes + vBytes }

    /// Measured from a KVCache and the LiSA layers that ran with it.
    public init(cache: KVCache, lisa: [LiSARuntimeLayer] = []) {
        let byIndex = Dictionary(lisa.map { ($0.layer.index, $0) }, uniquingKeysWith: { a, _ in a })
        layers = (0..<cache.nLayers).map { l in
            let b = cache.bytes(layer: l)
            return Layer(index: l, kBytes: b.k, lowRankKBytes: byIndex[l]?.lowRankKBytes ?? 0, vBytes: b.v)
        }
    }

    // MARK: §5.2 formulas for this cache layout (FIGURES.md Table 3 "Memory"): Float32 (4 bytes),
    // K term per KV head (h_kv), score term per query head (h); l = sequence length, |S| LiSA layers.

    /// K-cache bytes saved by |S| LiSA layers holding K_LR (h_kv·r per position) instead of K (h_kv·d_k):
    /// |S|·h_kv·l·(d_k − r)·4.
    public static func kCacheSaving(
        lisaLayers S: Int, kvHeads: Int, headDim dk: Int, rank r: Int, length l: Int, bytesPerValue b: Int = 4
    ) -> Int {
        S * kvHeads * l * (dk - r) * b
    }
    /// Prefill net saving: K saving − one h×l×l score matrix = l·(|S|·h_kv·(d_k − r) − h·l)·4 (negative for long l).
    public static func prefillSaving(
        lisaLayers S: Int, heads h: Int, kvHeads: Int, headDim dk: Int, rank r: Int, length l: Int,
        bytesPerValue b: Int = 4
    ) -> Int {
        kCacheSaving(lisaLayers: S, kvHeads: kvHeads, headDim: dk, rank: r, length: l, bytesPerValue: b) - h * l * l * b
    }
    /// Decoding net saving: K saving − one score row h×l: l·(|S|·h_kv·(d_k − r) − h)·4.
    public static func decodingSaving(
        lisaLayers S: Int, heads h: Int, kvHeads: Int, headDim dk: Int, rank r: Int, length l: Int,
        bytesPerValue b: Int = 4
    ) -> Int {
        kCacheSaving(lisaLayers: S, kvHeads: kvHeads, headDim: dk, rank: r, length: l, bytesPerValue: b) - h * l * b
    }
}

/// Trained LiSA layers loaded for inference.
public final class LiSARuntime {
    public let sharing: SharingConfig
    public let layers: [LiSARuntimeLayer]

    /// `element`: how the layers store K_LR (the model's K/V element, `Transformer.kvElement`, by default in `load`).
    public init(sharing: SharingConfig, layers: [LiSALayer], element: KVElement = .f32) {
        self.sharing = sharing
        self.layers = layers.map { LiSARuntimeLayer(layer: $0, element: element) }
    }

    /// The providers to hand to `Transformer.forward` / `generate`.
    public var providers: LayerScoreProviders {
        Dictionary(layers.map { ($0.layer.index, $0 as any LayerScoreProvider) }, uniquingKeysWith: { a, _ in a })
    }
    public func reset() { for l in layers { l.reset() } }
    /// The same trained layers with empty low-rank K caches (one runtime per sequence of a batch).
    public func replica() -> LiSARuntime {
        LiSARuntime(sharing: sharing, layers: layers.map(\.layer), element: layers.first?.element ?? .f32)
    }
    public func memory(cache: KVCache) -> MemoryReport { MemoryReport(cache: cache, lisa: layers) }

    /// Builds the LiSA layers of a checkpoint written by `LocalKDTrainer.save` (the AdamW moments are ignored).
    /// Refuses a checkpoint made for another model (SHA-256 of the GGUF) or whose config does not fit it.
    public static func load(checkpoint url: URL, model: Transformer, modelSHA: String) throws -> LiSARuntime {
        let (tensors, meta) = try Safetensors.read(url)
        let p = url.path
        func field(_ k: String) throws -> String {
            guard let v = meta[k] else { throw CheckpointError.malformed(path: p, reason: "no \(k) in __metadata__") }
            return v
        }
        let sha = try field("base_model_sha256")
        guard sha == modelSHA else { throw CheckpointError.wrongModel(path: p, expected: modelSHA, found: sha) }
        let sharing: SharingConfig
        do {
            sharing = try CanonicalJSON.decoder().decode(SharingConfig.self, from: Data(try field("sharing").utf8))
        } catch let e as CheckpointError { throw e } catch {
            throw CheckpointError.malformed(path: p, reason: "the sharing config in __metadata__ cannot be decoded")
        }
        try sharing.validate(path: p)
        let c = model.config
        guard sharing.nLayers == c.nLayers else {
            throw CheckpointError.mismatch(
                path: p, field: "n_layers", checkpoint: String(sharing.nLayers), requested: String(c.nLayers))
        }
        guard sharing.arch.isEmpty || sharing.arch == c.arch.rawValue else {
            throw CheckpointError.mismatch(path: p, field: "arch", checkpoint: sharing.arch, requested: c.arch.rawValue)
        }
        guard !sharing.lisaLayers.isEmpty else { throw CheckpointError.config("\(p) lists no lisa layers.") }
        guard let rank = Int(try field("rank")), let ffn = AlignFFNKind(rawValue: try field("ffn")),
            let hidden = Int(try field("hidden")), let rope = Bool(try field("rope"))
        else {
            throw CheckpointError.malformed(path: p, reason: "rank, ffn, hidden or rope in __metadata__ cannot be read")
        }
        // Checked before anything is sized by them (a crafted header must not allocate wildly or trap).
        guard (1...c.headDim).contains(rank), !rope || rank % 2 == 0 else {
            throw CheckpointError.malformed(
                path: p,
                reason:
                    "rank \(rank) in __metadata__ must be 1 to head_dim "
                    + "\(c.headDim)\(rope ? " and even (RoPE rotates pairs)" : "")"
            )
        }
        guard (1...(1 << 16)).contains(hidden), ffn == .sl || ffn == .plus || hidden >= 2 * c.nHeads else {
            throw CheckpointError.malformed(
                path: p,
                reason: "hidden \(hidden) in __metadata__ must be 1 to 65536"
                    + " (and at least 2 × \(c.nHeads) heads for the \(ffn.rawValue) FFN)")
        }
        var built: [LiSALayer] = []
        for l in sharing.lisaLayers {
            let L = LiSALayer(
                index: l.index, source: l.source ?? l.index - 1, config: c, rank: rank, ffn: ffn, hidden: hidden,
                useRoPE: rope)
            for t in L.params.tensors {
                let name = "layers.\(L.index).\(t.name)"
                guard let src = tensors[name], src.values.count == t.buffer.count, src.shape == t.shape else {
                    throw CheckpointError.missingTensor(path: p, name: name)
                }
                src.values.withUnsafeBufferPointer {
                    t.buffer.pointer.update(from: $0.baseAddress!, count: t.buffer.count)
                }
            }
            built.append(L)
        }
        return LiSARuntime(sharing: sharing, layers: built, element: model.kvElement)
    }
}
