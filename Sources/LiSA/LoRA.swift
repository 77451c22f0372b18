import Foundation
import Numerics

/// A LoRA adapter on a frozen linear y = x·Wᵀ (W: [out, in]): y += s·(x·Aᵀ)·Bᵀ with A: [r, in] ~ N(0, 1/√in)
/// and B: [out, r] = 0, so step 0 equals the unadapted model (Hu et al. 2021). s = 1 (α = r).
public final class LoRAAdapter: @unchecked Sendable {
    public let rank: Int, inDim: Int, outDim: Int
    public let scale: Float
    public let a: FloatBuffer  // A: [r, in]
    public let b: FloatBuffer  // B: [out, r]

    public init(rank: Int, inDim: Int, outDim: Int, scale: Float = 1) {
        self.rank = rank; self.inDim = inDim; self.outDim = outDim; self.scale = scale
        a = FloatBuffer(count: rank * inDim); b = FloatBuffer(count: outDim * rank)
    }

    public func zeroLike() -> LoRAAdapter { LoRAAdapter(rank: rank, inDim: inDim, outDim: outDim, scale: scale) }
    public var parameterCount: Int { a.count + b.count }

    public func initialize(rng: inout GaussianRNG) {
        let s = 1 / Float(inDim).squareRoot()
        for i in 0..<a.count { a[i] = rng.next() * s }
        b.zero()
    }

    /// y[T, out] += s·mid·Bᵀ with mid[T, r] = x[T, in]·Aᵀ (kept for the backward).
    public func forward(
        x: UnsafePointer<Float>, mid: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, rows T: Int
    ) {
        BLAS.gemmNT(m: T, n: rank, k: inDim, a: x, lda: inDim, b: a.pointer, ldb: inDim, c: mid, ldc: rank)
        BLAS.gemmNT(
            m: T, n: outDim, k: rank, alpha: scale, a: mid, lda: rank, b: b.pointer, ldb: rank, beta: 1, c: y,
            ldc: outDim)
    }

    /// dB += s·dyᵀ·mid; dmid = s·dy·B; dA += dmidᵀ·x; dx += dmid·A. dy: [T, out]; dx: [T, in] (nil: not needed).
    public func backward(
        x: UnsafePointer<Float>, mid: UnsafePointer<Float>, dy: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, grads g: LoRAAdapter, rows T: Int
    ) {
        BLAS.gemmTN(
            m: outDim, n: rank, k: T, alpha: scale, a: dy, lda: outDim, b: mid, ldb: rank, beta: 1, c: g.b.pointer,
            ldc: rank)
        let dmid = FloatBuffer(count: T * rank)  // [T, r]
        BLAS.gemmNN(
            m: T, n: rank, k: outDim, alpha: scale, a: dy, lda: outDim, b: b.pointer, ldb: rank, c: dmid.pointer,
            ldc: rank)
        BLAS.gemmTN(
            m: rank, n: inDim, k: T, a: dmid.pointer, lda: rank, b: x, ldb: inDim, beta: 1, c: g.a.pointer, ldc: inDim)
        if let dx {
            BLAS.gemmNN(
                m: T, n: inDim, k: rank, a: dmid.pointer, lda: rank, b: a.pointer, ldb: inDim, beta: 1, c: dx,
                ldc: inDim)
        }
        withExtendedLifetime(dmid) {}
    }
}

/// The DS_LoRA baseline's adapters on one shared layer: W^V, W^O and the three FFN matrices.
public final class LayerLoRA: @unchecked Sendable {
    public enum Target: String, CaseIterable, Sendable { case v, o, gate, up, down }
    public let adapters: [Target: LoRAAdapter]

    public init(rank: Int, dim d: Int, kvDim: Int, qDim: Int, ffn: Int) {
        adapters = [
            .v: LoRAAdapter(rank: rank, inDim: d, outDim: kvDim), .o: LoRAAdapter(rank: rank, inDim: qDim, outDim: d),
            .gate: LoRAAdapter(rank: rank, inDim: d, outDim: ffn), .up: LoRAAdapter(rank: rank, inDim: d, outDim: ffn),
            .down: LoRAAdapter(rank: rank, inDim: ffn, outDim: d),
        ]
    }
    private init(adapters: [Target: LoRAAdapter]) { self.adapters = adapters }
    public func zeroLike() -> LayerLoRA { LayerLoRA(adapters: adapters.mapValues { $0.zeroLike() }) }
    public subscript(t: Target) -> LoRAAdapter { adapters[t]! }

    /// Named tensors (names relative to the layer) and their shapes, in a fixed order.
    public var tensors: [(name: String, buffer: FloatBuffer, shape: [Int])] {
        Target.allCases.flatMap { t -> [(name: String, buffer: FloatBuffer, shape: [Int])] in
            let ad = adapters[t]!
            return [
                ("lora.\(t.rawValue).a", ad.a, [ad.rank, ad.inDim]),
                ("lora.\(t.rawValue).b", ad.b, [ad.outDim, ad.rank]),
            ]
        }
    }
    public var parameterCount: Int { adapters.values.reduce(0) { $0 + $1.parameterCount } }

    /// Trainable values per rank unit on one layer: r·(d + kv) + r·(q + d) + 2r·(d + F) + r·(F + d).
    public static func parametersPerRank(dim d: Int, kvDim: Int, qDim: Int, ffn: Int) -> Int {
        (d + kvDim) + (qDim + d) + 2 * (d + ffn) + (ffn + d)
    }
}
