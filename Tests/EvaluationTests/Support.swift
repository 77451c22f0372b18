import Datasets
import Evaluation
import Foundation
import TestSupport

/// The repository's tasks/ folder and the shared data folder, as the CLI would find them.
func loadTask(_ name: String) throws -> EvalTask {
    let folder = try TasksFolder(path: TestPaths.repoRoot.appendingPathComponent("tasks").path)
    return try EvalTask(spec: folder.spec(name), data: DataDirectory(path: TestPaths.data.path))
}

/// The document at 0-based line `i` of the task's data file.
func doc(_ t: EvalTask, _ i: Int) -> Document { t.records[i] }
