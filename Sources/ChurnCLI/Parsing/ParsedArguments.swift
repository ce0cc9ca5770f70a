import ChurnIO

/// The arguments of one command after matching them against its spec.
struct ParsedArguments {
  private(set) var values: [String: [String]] = [:]
  private(set) var flags: Set<String> = []
  private(set) var positionals: [String] = []

  /// Matches `arguments` (after the command name) against `spec`.
  ///
  /// Accepts `--name value`, `--name=value`, flags, positionals, `-` as a
  /// positional (standard input), and `--` to end options.
  init(_ arguments: [String], spec: CommandSpec) throws(CLIError) {
    var k = 0
    var optionsEnded = false
    while k < arguments.count {
      let token = arguments[k]
      k += 1
      if optionsEnded || token == "-" || !token.hasPrefix("-") {
        positionals.append(token)
        continue
      }
      if token == "--" {
        optionsEnded = true
        continue
      }
      guard token.hasPrefix("--") else {
        if token == "-h" {
          flags.insert("help")
          continue
        }
        throw .unknownOption(token, suggestion: nil)
      }
      var name = String(token.dropFirst(2))
      var inlineValue: String?
      if let eq = name.firstIndex(of: "=") {
        inlineValue = String(name[name.index(after: eq)...])
        name = String(name[..<eq])
      }
      guard let option = spec.option(named: name) else {
        throw .unknownOption("--\(name)", suggestion: closestMatch(to: name, in: spec.options.map(\.name)))
      }
      if let valueName = option.valueName {
        let value: String
        if let inlineValue {
          value = inlineValue
        } else if k < arguments.count && (arguments[k] == "-" || !arguments[k].hasPrefix("--")) {
          value = arguments[k]
          k += 1
        } else {
          throw .missingValue(option: name, valueName: valueName)
        }
        if values[name] != nil && !option.repeatable { throw .duplicateOption(name) }
        values[name, default: []].append(value)
      } else {
        if inlineValue != nil { throw .unexpectedValue(option: name) }
        flags.insert(name)
      }
    }
    if flags.contains("help") { return }
    let required = spec.arguments.filter { !$0.optional }.count
    if positionals.count < required { throw .missingArgument(spec.arguments[positionals.count].name) }
    if positionals.count > spec.arguments.count { throw .unexpectedArgument(positionals[spec.arguments.count]) }
  }

  /// The value of an option, if given.
  func value(_ name: String) -> String? { values[name]?.last }

  /// Whether a flag was given.
  func flag(_ name: String) -> Bool { flags.contains(name) }

  /// An option's value as an integer in `range`.
  func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(CLIError) -> Int {
    guard let text = value(name) else { return fallback }
    guard let v = Int(text), range.contains(v) else {
      throw .invalidValue(
        option: name, value: text, reason: "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return v
  }

  /// An option's value as one of an enumeration's raw values.
  func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws(CLIError) -> T
  where T.RawValue == String {
    guard let text = value(name) else { return fallback }
    guard let v = T(rawValue: text) else {
      throw .invalidValue(
        option: name, value: text, reason: "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return v
  }
}
