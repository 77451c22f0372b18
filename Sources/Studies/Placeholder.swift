public enum StudiesPlaceholder {}
