import Foundation

/// What can go wrong defining or running an evaluation; each case reads as a sentence naming the file.
public enum EvalError: Error, CustomStringConvertible, Equatable {
    /// No tasks folder was found (LISA_TASKS, ./tasks, or beside the executable).
    case tasksFolderMissing(searched: [String])
    /// A task name has no `<name>.json` in the tasks folder.
    case unknownTask(name: String, folder: String, available: [String])
    /// `--task` holds a path, not a name.
    case taskNameIsAPath(name: String, folder: String)
    /// A document's gold index is not one of its choices.
    case goldOutsideChoices(task: String, document: Int, gold: Int, choices: Int)
    /// A metric the task does not report.
    case unknownMetric(task: String, metric: String, known: [String])
    /// A task file is not valid JSON or misses a field.
    case badTaskFile(path: String, reason: String)
    /// A template names a field the document lacks, or applies an unknown filter.
    case badTemplate(task: String, template: String, reason: String)
    /// The task asks for more exemplars than its pool holds.
    case poolTooSmall(task: String, requested: Int, available: Int)
    /// A prompt (context + continuation) does not fit the model's context.
    case promptTooLong(task: String, document: Int, tokens: Int, context: Int)
    /// A continuation encodes to no tokens.
    case emptyContinuation(task: String, document: Int)
    /// A template uses a Jinja construct outside the supported subset (`Jinja`); names the task file and its key.
    case unsupportedTemplate(file: String, key: String, template: String, construct: String)
    /// A template reads a field a document lacks (lm-eval's StrictUndefined).
    case missingDocumentField(task: String, file: String, line: Int, field: String, template: String)
    /// An lm-eval YAML cannot be used: `reason` names the key or construct.
    case badLMEvalYAML(path: String, reason: String)

    public var description: String {
        switch self {
        case .tasksFolderMissing(let searched):
            return
                "No tasks folder found (looked in \(searched.joined(separator: ", "))). Set LISA_TASKS to the folder "
                + "holding piqa.json, …"
        case .unknownTask(let name, let folder, let available):
            return "\(folder)/\(name).json does not exist; known tasks: \(available.joined(separator: ", "))."
        case .taskNameIsAPath(let name, let folder):
            return
                "--task \(name.debugDescription) is not a task name: give the name of a file in \(folder) without "
                + "\".json\" "
                + "(a task file elsewhere goes in that folder, or point LISA_TASKS at its folder)."
        case .goldOutsideChoices(let task, let document, let gold, let choices):
            return
                "Task \(task), document \(document) (line \(document + 1) of the data file): the gold index \(gold) "
                + "is not one of "
                + "its \(choices) choices (0 to \(choices - 1))."
        case .unknownMetric(let task, let metric, let known):
            return
                "Task \(task) has no metric \(metric.debugDescription); its metrics are "
                + "\(known.joined(separator: ", "))."
        case .badTaskFile(let path, let reason):
            return "The task file \(path) is invalid: \(reason)."
        case .badTemplate(let task, let template, let reason):
            return "Task \(task): the template \(template.debugDescription) \(reason)."
        case .poolTooSmall(let task, let requested, let available):
            return "Task \(task): \(requested) few-shot exemplars requested but the pool holds only \(available)."
        case .promptTooLong(let task, let document, let tokens, let context):
            return "Task \(task), document \(document): \(tokens) tokens exceed the model's context of \(context)."
        case .unsupportedTemplate(let file, let key, let template, let construct):
            return
                "\(file): \(key) \(template.debugDescription) uses \(construct), which lisa's Jinja subset does not "
                + "support "
                + "(docs/evaluation.md: task files; supported: fields and paths, subscripts and slices, string and "
                + "list literals, + ~ -, "
                + "string methods and the filters join trim lower upper replace first last length int regex_replace)."
        case .missingDocumentField(let task, let file, let line, let field, let template):
            return
                "\(file.isEmpty ? "task \(task)" : file):\(line): the record has no field \"\(field)\", which the "
                + "template "
                + "\(template.debugDescription) of task \(task) reads."
        case .badLMEvalYAML(let path, let reason):
            return "The lm-eval task file \(path) cannot be used: \(reason)."
        case .emptyContinuation(let task, let document):
            return "Task \(task), document \(document): a continuation encodes to no tokens."
        }
    }
}
