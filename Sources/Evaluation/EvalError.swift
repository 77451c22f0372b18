import Foundation

/// What can go wrong defining or running an evaluation; each case reads as a sentence naming the file.
public enum EvalError: Error, CustomStringConvertible, Equatable {
    /// No tasks folder was found (LISA_TASKS, ./tasks, or beside the executable).
    case tasksFolderMissing(searched: [String])
    /// A task name has no `<name>.json` in the tasks folder.
    case unknownTask(name: String, folder: String, available: [String])
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
    /// A sharing config file is invalid.

    public var description: String {
        switch self {
        case .tasksFolderMissing(let searched):
            return "No tasks folder found (looked in \(searched.joined(separator: ", "))). Set LISA_TASKS to the folder holding piqa.json, …"
        case .unknownTask(let name, let folder, let available):
            return "\(folder)/\(name).json does not exist; known tasks: \(available.joined(separator: ", "))."
        case .badTaskFile(let path, let reason):
            return "The task file \(path) is invalid: \(reason)."
        case .badTemplate(let task, let template, let reason):
            return "Task \(task): the template \(template.debugDescription) \(reason)."
        case .poolTooSmall(let task, let requested, let available):
            return "Task \(task): \(requested) few-shot exemplars requested but the pool holds only \(available)."
        case .promptTooLong(let task, let document, let tokens, let context):
            return "Task \(task), document \(document): \(tokens) tokens exceed the model's context of \(context)."
        case .emptyContinuation(let task, let document):
            return "Task \(task), document \(document): a continuation encodes to no tokens."
        }
    }
}
