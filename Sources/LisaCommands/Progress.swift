import Studies

/// The commands' progress line (one implementation for commands and studies; see StudyProgress).
typealias Progress = StudyProgress
