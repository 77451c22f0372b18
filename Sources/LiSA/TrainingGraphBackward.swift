import Foundation
import Models
import Numerics

/// Gradient accumulators mirroring `TrainingModules` (same shapes, zeroed by the trainer).
public struct ModuleGrads {
    public var lisa: [Int: LiSAParams] = [:]
    public var lora: [Int: LayerLoRA] = [:]
    public init(for m: TrainingModules) {
        lisa = m.lisa.mapValues { $0.params.zeroLike() }
        lora = m.lora.mapValues { $0.zeroLike() }
    }
    public var buffers: [FloatBuffer] {
        lisa.keys.sorted().flatMap { lisa[$0]!.tensors.map(\.buffer) }
            + lora.keys.sorted().flatMap { lora[$0]!.tensors.map(\.buffer) }
    }
}

extension TrainingGraph {
    /// Mean next-token cross-entropy of the last forward (row t predicts token t+1); replaces the logits
    /// with dL/dlogits (the last row, which predicts nothing, gets 0).
    public func lmLossAndGradient() -> Double {
        let V = model.config.vocabSize, T = tokens.count
        let loss = crossEntropyForwardBackward(logits.pointer, targets: Array(tokens[1...]), vocab: V)
        (logits.pointer + (T - 1) * V).update(repeating: 0, count: V)
        return loss
    }

    /// Backward through the whole network down to the first module layer (base weights frozen).
    /// Call after `forward` and `lmLossAndGradient`: logits then hold dL_LM/dlogits, multiplied here by `lmScale`.
    /// `scoreGrads[l]`: extra dL/dA_l [h, T, T] for LiSA layers (the KD term). Accumulates into `grads`.
    public func backward(lmScale: Float, scoreGrads: [Int: FloatBuffer], grads: ModuleGrads) {
        let c = model.config, W = model.weights
        let T = tokens.count, d = c.nEmbd, H = c.nHeads, hd = c.headDim, F = c.nFF, plane = T * T
        guard let first = modules.first else { return }
        // LM head: dnormed = dlogits·W_out, then the final RMSNorm
        let dx = FloatBuffer(count: T * d)  // [T, d] dL/d(residual stream)
        let tmp = FloatBuffer(count: T * d)  // [T, d]
        if lmScale != 0 {
            profile.time(.lmHeadBackward) {
                W.output.backwardInput(logits.pointer, m: T, into: tmp.pointer, alpha: lmScale, accumulate: false)
            }
            rmsNormBackward(
                xFinal.pointer, W.outputNorm.pointer, dy: tmp.pointer, dx: dx.pointer, rows: T, n: d, eps: c.rmsEps)
        }
        // dL/dA_l, dL/dP_l from layer l+1: [h, T, T]
        var carryS: [Int: FloatBuffer] = [:], carryP: [Int: FloatBuffer] = [:]
        func carry(_ dict: inout [Int: FloatBuffer], _ l: Int, _ g: FloatBuffer) {
            guard l >= first else { return }
            if let b = dict[l] {
                Kernels.add(b.pointer, g.pointer, count: g.count)
            } else {
                let b = FloatBuffer(count: g.count); b.pointer.update(from: g.pointer, count: g.count); dict[l] = b
            }
        }
        // y = x·Wᵀ (+ LoRA): dx (+)= dy·W; LoRA gradients into `grads`
        func linearBack(
            _ l: Int, _ target: LayerLoRA.Target?, x: FloatBuffer, dy: FloatBuffer, w: WeightMatrix,
            dxOut: FloatBuffer, inDim: Int, outDim: Int, accumulate: Bool
        ) {
            w.backwardInput(dy.pointer, m: T, into: dxOut.pointer, accumulate: accumulate)
            if let target, let ad = modules.lora[l]?[target], let mid = blocks[l].loraMid[target],
                let g = grads.lora[l]?[target]
            {
                ad.backward(x: x.pointer, mid: mid.pointer, dy: dy.pointer, dx: dxOut.pointer, grads: g, rows: T)
            }
        }
        let df = FloatBuffer(count: T * d), dact = FloatBuffer(count: T * F)  // [T, d], [T, F]
        let dgate = FloatBuffer(count: T * F), dup = FloatBuffer(count: T * F)  // [T, F] each
        let dh = FloatBuffer(count: T * d), dctx = FloatBuffer(count: T * c.qDim)  // [T, d], [T, h·hd]
        let dv = FloatBuffer(count: T * c.kvDim), dProbs = FloatBuffer(count: H * plane),
            dS = FloatBuffer(count: H * plane)
        let dq = FloatBuffer(count: T * c.qDim), dk = FloatBuffer(count: T * c.kvDim)
        let dq0 = FloatBuffer(count: T * c.qDim), dk0 = FloatBuffer(count: T * c.kvDim)
        let pos = Array(0..<T)

        for l in stride(from: c.nLayers - 1, through: first, by: -1) {
            let a = blocks[l], w = W.layers[l]
            // --- FFN sub-block: x_out = x2 + post(f) ---
            if let pn = w.postFFNNorm {
                rmsNormBackward(a.f.pointer, pn.pointer, dy: dx.pointer, dx: df.pointer, rows: T, n: d, eps: c.rmsEps)
            } else {
                df.pointer.update(from: dx.pointer, count: T * d)
            }
            linearBack(l, .down, x: a.act, dy: df, w: w.wDown, dxOut: dact, inDim: F, outDim: d, accumulate: false)
            gatedActivationBackward(
                gate: a.gate.pointer, up: a.up.pointer, da: dact.pointer, dGate: dgate.pointer, dUp: dup.pointer,
                count: T * F, gelu: c.activation == .geluTanh)
            linearBack(l, .gate, x: a.h2, dy: dgate, w: w.wGate, dxOut: dh, inDim: d, outDim: F, accumulate: false)
            linearBack(l, .up, x: a.h2, dy: dup, w: w.wUp, dxOut: dh, inDim: d, outDim: F, accumulate: true)
            rmsNormBackward(
                a.x2.pointer, w.ffnNorm.pointer, dy: dh.pointer, dx: dx.pointer, rows: T, n: d, eps: c.rmsEps,
                accumulate: true)
            // --- attention sub-block: x2 = xIn + post(o) ---
            if let pn = w.postAttnNorm {
                rmsNormBackward(a.o.pointer, pn.pointer, dy: dx.pointer, dx: df.pointer, rows: T, n: d, eps: c.rmsEps)
            } else {
                df.pointer.update(from: dx.pointer, count: T * d)
            }
            linearBack(l, .o, x: a.ctx, dy: df, w: w.wo, dxOut: dctx, inDim: c.qDim, outDim: d, accumulate: false)
            // dP_i = dctx_i·V_gᵀ ; dV_g += P_iᵀ·dctx_i
            dv.zero()
            for i in 0..<H {
                let g = (i / c.headsPerKV) * hd
                BLAS.gemmNT(
                    m: T, n: T, k: hd, a: dctx.pointer + i * hd, lda: c.qDim, b: a.v.pointer + g, ldb: c.kvDim,
                    c: dProbs.pointer + i * plane, ldc: T)
                BLAS.gemmTN(
                    m: T, n: hd, k: T, a: a.probs.pointer + i * plane, lda: T, b: dctx.pointer + i * hd, ldb: c.qDim,
                    beta: 1, c: dv.pointer + g, ldc: c.kvDim)
            }
            if let cp = carryP[l] { Kernels.add(dProbs.pointer, cp.pointer, count: H * plane) }
            let needInput = l > first  // the first module layer's input does not depend on trainable parameters
            dh.zero()
            if modules.ds.contains(l) {
                // A_l, P_l are copies of layer l−1's: pass their gradients down
                carry(&carryP, l - 1, dProbs)
                if let cs = carryS[l] { carry(&carryS, l - 1, cs) }
            } else {
                softmaxBackward(a.probs.pointer, dp: dProbs.pointer, dx: dS.pointer, rows: H * T, n: T)
                if let cs = carryS[l] { Kernels.add(dS.pointer, cs.pointer, count: H * plane) }
                if let L = modules.lisa[l], let la = a.lisa {
                    if let kd = scoreGrads[l] { Kernels.add(dS.pointer, kd.pointer, count: H * plane) }
                    let dPrev = l - 1 >= first ? FloatBuffer(count: H * plane) : nil  // [h, T, T]
                    lisaAttentionBackward(
                        L, input: a.h1.pointer, prevScores: blocks[l - 1].scores.pointer, acts: la,
                        dScores: dS.pointer, grads: grads.lisa[l]!, dPrevScores: dPrev?.pointer,
                        dInput: needInput ? dh.pointer : nil)
                    if let dPrev { carry(&carryS, l - 1, dPrev) }
                } else if needInput {
                    // masked entries carry no gradient into Q·Kᵀ
                    for i in 0..<(H * plane) where !a.scores[i].isFinite { dS[i] = 0 }
                    scoresBackward(
                        dS: dS.pointer, q: a.q.pointer, k: a.k.pointer, alpha: c.queryScale, dQ: dq.pointer,
                        dK: dk.pointer,
                        T: T, heads: H, kvHeads: c.nKVHeads, headDim: hd)
                    ropeBackward(ropes[l], dq.pointer, rows: T, heads: H, positions: pos)
                    ropeBackward(ropes[l], dk.pointer, rows: T, heads: c.nKVHeads, positions: pos)
                    if let qn = w.qNorm {
                        rmsNormBackward(
                            a.q0.pointer, qn.pointer, dy: dq.pointer, dx: dq0.pointer, rows: T * H, n: hd, eps: c.rmsEps
                        )
                    } else {
                        dq0.pointer.update(from: dq.pointer, count: T * c.qDim)
                    }
                    if let kn = w.kNorm {
                        rmsNormBackward(
                            a.k0.pointer, kn.pointer, dy: dk.pointer, dx: dk0.pointer, rows: T * c.nKVHeads, n: hd,
                            eps: c.rmsEps)
                    } else {
                        dk0.pointer.update(from: dk.pointer, count: T * c.kvDim)
                    }
                    linearBack(l, nil, x: a.h1, dy: dq0, w: w.wq, dxOut: dh, inDim: d, outDim: c.qDim, accumulate: true)
                    linearBack(
                        l, nil, x: a.h1, dy: dk0, w: w.wk, dxOut: dh, inDim: d, outDim: c.kvDim, accumulate: true)
                }
            }
            linearBack(l, .v, x: a.h1, dy: dv, w: w.wv, dxOut: dh, inDim: d, outDim: c.kvDim, accumulate: true)
            if needInput {
                rmsNormBackward(
                    a.xIn.pointer, w.attnNorm.pointer, dy: dh.pointer, dx: dx.pointer, rows: T, n: d, eps: c.rmsEps,
                    accumulate: true)
            }
        }
        withExtendedLifetime((dx, tmp, df, dact, dgate, dup, dh, dctx, dv, dProbs, dS, dq, dk, dq0, dk0)) {}
    }
}
