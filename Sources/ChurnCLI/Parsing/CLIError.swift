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
    }
  }
}
