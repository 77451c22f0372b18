public enum LiSAPlaceholder {}
