public enum EvaluationPlaceholder {}
