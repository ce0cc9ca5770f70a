/// The static description of a command: what it does, its arguments and
/// options. Parsing, help and "did you mean" all read from it, so they can
/// never disagree.
struct CommandSpec: Sendable {
  struct Option: Sendable {
    /// Long name without dashes, e.g. "max-errors".
    let name: String
    /// Placeholder for the value, e.g. "N"; nil for a flag.
    let valueName: String?
    let help: String
    /// The value when the option is not given: what the parser returns
    /// and help shows as "(default: …)".
    var defaultValue: String? = nil
    /// Shown as "(default: …)" when the default depends on other options
    /// or the data, so the command works it out itself.
    var defaultDescription: String? = nil
    /// May be given several times.
    var repeatable = false
    /// The command cannot run without it; help says "(required)".
    var isRequired = false
  }

  struct Argument: Sendable {
    let name: String
    let help: String
    var optional = false
  }

  let name: String
  let abstract: String
  var discussion: String? = nil
  var arguments: [Argument] = []
  var options: [Option] = []
  /// Groups of options of which at most one may be given.
  var exclusiveGroups: [[String]] = []
  /// Options that no longer exist, with what to write instead.
  var renamedOptions: [String: String] = [:]
  var examples: [String] = []

  func option(named name: String) -> Option? {
    options.first { $0.name == name } ?? (name == "help" ? Option(name: "help", valueName: nil, help: "") : nil)
  }
}
