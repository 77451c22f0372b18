import Testing

/// Conditions for tests that need a real model file: when it is absent the runner reports the test as
/// skipped with the reason (never as passed).
extension Trait where Self == ConditionTrait {
    /// Gemma 3 270M in models/ (always there after scripts/setup).
    public static var needsGemma: Self { .enabled(if: TestPaths.hasGemma, Comment(rawValue: TestPaths.gemmaAbsent)) }
    /// Qwen2.5-Coder 1.5B in models/ (optional: scripts/setup --with-qwen).
    public static var needsQwen: Self { .enabled(if: TestPaths.hasQwen, Comment(rawValue: TestPaths.qwenAbsent)) }
}
