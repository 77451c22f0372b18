import Foundation

/// Where the time of joint training steps goes (`lisa bench train`): milliseconds summed over the steps run
/// while it is attached to a trainer (`LocalKDTrainer.stepProfile`).
public final class TrainStepProfile: @unchecked Sendable {
    public enum Phase: String, CaseIterable, Sendable {
        case teacher = "teacher capture (original model's A_n*)"
        case forward = "forward through the network (LiSA layers in place)"
        case losses = "losses (Huber KD, cross-entropy) and their gradients"
        case backward = "backward down to the first LiSA layer"
        case optimizer = "AdamW update"
        // parts of the phases above, timed inside them (not added to the step's total)
        case lmHeadForward = "of which the LM head, logits = h·W_outᵀ (forward)"
        case lmHeadBackward = "of which the LM head, dh = dlogits·W_out (backward)"

        /// The phase this one is a part of (nil: a phase of the step itself).
        public var partOf: Phase? {
            switch self {
            case .lmHeadForward: return .forward
            case .lmHeadBackward: return .backward
            default: return nil
            }
        }
    }
    public private(set) var ms: [Phase: Double] = [:]
    public init() {}
    @inline(__always)
    func time<R>(_ phase: Phase, _ body: () throws -> R) rethrows -> R {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { ms[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 }
        return try body()
    }
}

extension Optional where Wrapped == TrainStepProfile {
    /// Runs `body` under `phase` of the attached profile, or just runs it.
    @inline(__always)
    func time<R>(_ phase: TrainStepProfile.Phase, _ body: () throws -> R) rethrows -> R {
        guard let p = self else { return try body() }
        return try p.time(phase, body)
    }
}
