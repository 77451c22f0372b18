/// Errors while building or running a model, phrased as sentences naming the file or the setting.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unsupportedArchitecture(path: String, arch: String)
    case missingTensor(path: String, name: String)
    case tensorShape(path: String, name: String, expected: [Int], found: [Int])
    case badHyperParameter(path: String, key: String, reason: String)
    case unsupportedTensorType(path: String, tensor: String, type: String, supported: [String])
    case promptTooLong(tokens: Int, context: Int)
    case emptyPrompt
    case tokenOutOfRange(id: Int, vocab: Int)
    case nonFinite(layer: Int, op: String, position: Int)
    case badPolicy(layer: Int, reason: String)
    case unknownPolicy(token: String)
    case badSharingConfig(path: String, reason: String)
    case badBatch(reason: String)
    case unsupportedWeightType(tensor: String, type: String)

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(p, a):
            return
                "\(p): architecture '\(a)' is not supported (supported: "
                + "\(Architecture.supportedNames.joined(separator: ", ")))."
        case let .missingTensor(p, n): return "\(p): the model has no tensor '\(n)'."
        case let .tensorShape(p, n, e, f): return "\(p): tensor '\(n)' has shape \(f), expected \(e)."
        case let .badHyperParameter(p, k, r): return "\(p): hyper-parameter '\(k)' \(r)."
        case let .unsupportedTensorType(p, n, t, s):
            return
                "\(p): tensor '\(n)' has type \(t), which this build cannot dequantize (supported: "
                + "\(s.joined(separator: ", ")))."
        case let .promptTooLong(t, c): return "the prompt has \(t) tokens, more than the context of \(c) tokens."
        case .emptyPrompt: return "the prompt is empty: at least one token is needed."
        case let .tokenOutOfRange(id, v): return "token id \(id) is outside the vocabulary (0..<\(v))."
        case let .nonFinite(l, op, p): return "a NaN or Inf first appeared in layer \(l), op '\(op)', position \(p)."
        case let .badPolicy(l, r): return "attention policy for layer \(l): \(r)."
        case let .unknownPolicy(t):
            return "\"\(t)\" is not an attention policy (standard, uniform, ds, or ds: and a comma-separated head map)."
        case let .badSharingConfig(p, r): return "The sharing config \(p) is invalid: \(r)."
        case let .badBatch(r): return "the batch cannot run: \(r)."
        case let .unsupportedWeightType(n, t):
            return
                "tensor '\(n)' is stored as \(t), which the quantized kernels do not support (use --weights f32 or a "
                + "model "
                + "quantized to F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 or Q2_K–Q6_K)."
        }
    }
}
