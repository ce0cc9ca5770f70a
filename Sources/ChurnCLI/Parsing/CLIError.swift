/// A mistake in how the command was called. Rendered with the usage line and
/// exit code 64 (EX_USAGE).
enum CLIError: Error, Equatable, CustomStringConvertible {
  case unknownCommand(String, suggestion: String?)
  case unknownOption(String, suggestion: String?)
  case missingValue(option: String, valueName: String)
  case unexpectedValue(option: String)
  case missingArgument(String)
  case unexpectedArgument(String)
  case invalidValue(option: String, value: String, reason: String)
  case duplicateOption(String)
  /// A required option that was not given.
  case missingOption(String)
  /// None of options one of which is required.
  case missingOneOf([String])
  /// Options that cannot be given together.
  case conflictingOptions(String, String)
  /// An option that was renamed: the old name and what to write instead.
  case renamedOption(String, replacement: String)
  /// Two outputs sent to standard output.
  case sharedStandardOutput(String, String)
  /// A value after a flag, which takes none.
  case valueAfterFlag(flag: String, value: String)

  var description: String {
    switch self {
    case .unknownCommand(let name, let suggestion):
      return "Unknown command '\(name)'." + (suggestion.map { " Did you mean '\($0)'?" } ?? "")
    case .unknownOption(let name, let suggestion):
      return "Unknown option '\(name)'." + (suggestion.map { " Did you mean '--\($0)'?" } ?? "")
    case .missingValue(let option, let valueName):
      return "Missing value for '--\(option) <\(valueName)>'."
    case .unexpectedValue(let option):
      return "Option '--\(option)' takes no value."
    case .missingArgument(let name):
      return "Missing expected argument '<\(name)>'."
    case .unexpectedArgument(let value):
      return "Unexpected argument '\(value)'."
    case .invalidValue(let option, let value, let reason):
      return "Invalid value '\(value)' for '--\(option)': \(reason)."
    case .duplicateOption(let name):
      return "Option '--\(name)' was given more than once."
    case .missingOption(let name):
      return "--\(name) is required."
    case .missingOneOf(let names):
      let listed = names.map { "--\($0)" }
      return "One of \(listed.dropLast().joined(separator: ", ")) or \(listed.last ?? "") is required."
    case .conflictingOptions(let a, let b):
      return "--\(a) and --\(b) cannot be used together."
    case .renamedOption(let name, let replacement):
      return "Option '--\(name)' is now '\(replacement)'."
    case .sharedStandardOutput(let a, let b):
      return "--\(a) and --\(b) both write to standard output: send one of them to a file."
    case .valueAfterFlag(let flag, let value):
      return "Unexpected argument '\(value)': --\(flag) is a flag and takes no value."
    }
  }
}
