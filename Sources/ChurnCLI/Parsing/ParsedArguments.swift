import ChurnIO

/// The arguments of one command after matching them against its spec.
struct ParsedArguments {
  private(set) var values: [String: [String]] = [:]
  private(set) var flags: Set<String> = []
  private(set) var positionals: [String] = []
  /// The spec's defaults, returned by `value(_:)` for options not given.
  private var defaults: [String: String] = [:]
  /// For each positional, the flag just before it, if any.
  private var flagBefore: [String?] = []

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
        let previous = k >= 2 ? arguments[k - 2] : ""
        flagBefore.append(
          !optionsEnded && previous.hasPrefix("--")
            && spec.option(named: String(previous.dropFirst(2)))?.valueName == nil
            ? String(previous.dropFirst(2)) : nil)
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
      if let replacement = spec.renamedOptions[name] { throw .renamedOption(name, replacement: replacement) }
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
    try checkPositionals(spec)
    try checkOptions(spec)
    for o in spec.options { defaults[o.name] = o.defaultValue }
  }

  private func checkPositionals(_ spec: CommandSpec) throws(CLIError) {
    let required = spec.arguments.filter { !$0.optional }.count
    if positionals.count < required { throw .missingArgument(spec.arguments[positionals.count].name) }
    if positionals.count > spec.arguments.count {
      let k = spec.arguments.count
      if let flag = flagBefore[k] { throw .valueAfterFlag(flag: flag, value: positionals[k]) }
      throw .unexpectedArgument(positionals[k])
    }
  }

  /// Every required option given, and at most one of each exclusive group.
  private func checkOptions(_ spec: CommandSpec) throws(CLIError) {
    for o in spec.options where o.isRequired && !isGiven(o.name) { throw .missingOption(o.name) }
    for group in spec.exclusiveGroups {
      let given = group.filter(isGiven)
      if given.count > 1 { throw .conflictingOptions(given[0], given[1]) }
    }
  }

  /// The value of an option: the one given, else the spec's default.
  func value(_ name: String) -> String? { values[name]?.last ?? defaults[name] }

  /// Every value of a repeatable option, in the order given.
  func values(_ name: String) -> [String] { values[name] ?? [] }

  /// Whether the option (or flag) was given, rather than defaulted.
  func isGiven(_ name: String) -> Bool { values[name] != nil || flags.contains(name) }

  /// Whether a flag was given.
  func flag(_ name: String) -> Bool { flags.contains(name) }

  /// An option's value (or the spec's default) as an integer in `range`;
  /// `fallback` for an option with neither.
  func integer(_ name: String, default fallback: Int? = nil, in range: ClosedRange<Int>) throws(CLIError) -> Int {
    guard let text = value(name) else {
      guard let fallback else { preconditionFailure("--\(name) has no value and no default") }
      return fallback
    }
    guard let v = Int(text), range.contains(v) else {
      throw .invalidValue(
        option: name, value: text, reason: "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return v
  }

  /// An option's value (or the spec's default) as a finite number at or
  /// above 0 and below `upper`; nil for an option with neither.
  func nonNegativeNumber(_ name: String, below upper: Double = .infinity) throws(CLIError) -> Double? {
    guard let text = value(name) else { return nil }
    guard let v = Double(text), v.isFinite, v >= 0, v < upper else {
      let range = upper.isFinite ? "from 0 to below \(NumberText.compact(upper))" : "at or above 0"
      throw .invalidValue(option: name, value: text, reason: "expected a number \(range)")
    }
    return v
  }

  /// An option's value (or the spec's default) as one of an enumeration's
  /// raw values; `fallback` for an option with neither.
  func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T? = nil) throws(CLIError) -> T
  where T.RawValue == String {
    guard let text = value(name) else {
      guard let fallback else { preconditionFailure("--\(name) has no value and no default") }
      return fallback
    }
    guard let v = T(rawValue: text) else {
      throw .invalidValue(
        option: name, value: text, reason: "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return v
  }
}
