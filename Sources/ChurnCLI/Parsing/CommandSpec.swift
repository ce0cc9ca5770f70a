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
    /// Shown as "(default: …)" in help.
    var defaultValue: String? = nil
    /// May be given several times.
    var repeatable = false
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
  var examples: [String] = []

  func option(named name: String) -> Option? {
    options.first { $0.name == name } ?? (name == "help" ? Option(name: "help", valueName: nil, help: "") : nil)
  }
}
