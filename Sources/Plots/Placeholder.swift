public enum PlotsPlaceholder {}
