/// Renders help screens from a `CommandSpec`: OVERVIEW, USAGE, ARGUMENTS,
/// OPTIONS, EXAMPLES, in 80 columns.
enum HelpRenderer {
  static func usage(_ spec: CommandSpec) -> String {
    var parts = ["churnkit", spec.name]
    for a in spec.arguments { parts.append(a.optional ? "[<\(a.name)>]" : "<\(a.name)>") }
    if !spec.options.isEmpty { parts.append("[options]") }
    return parts.joined(separator: " ")
  }

  static func help(_ spec: CommandSpec) -> String {
    var out = "OVERVIEW: \(spec.abstract)\n"
    if let discussion = spec.discussion { out += "\n" + wrap(discussion, indent: 0) + "\n" }
    out += "\nUSAGE: \(usage(spec))\n"
    if !spec.arguments.isEmpty {
      out += "\nARGUMENTS:\n"
      for a in spec.arguments { out += entry("<\(a.name)>", a.help) }
    }
    out += "\nOPTIONS:\n"
    for o in spec.options {
      var label = "--\(o.name)"
      if let v = o.valueName { label += " <\(v)>" }
      var text = o.help
      if o.isRequired { text += " (required)" }
      if let d = o.defaultValue ?? o.defaultDescription { text += " (default: \(d))" }
      out += entry(label, text)
    }
    out += entry("-h, --help", "Show help information.")
    if !spec.examples.isEmpty {
      out += "\nEXAMPLES:\n"
      for e in spec.examples { out += "  \(e)\n" }
    }
    return out
  }

  /// One "  label   text" entry, the text wrapped at 80 columns.
  static func entry(_ label: String, _ text: String) -> String {
    let column = 26
    var out = "  \(label)"
    if out.count >= column - 1 {
      out += "\n" + String(repeating: " ", count: column)
    } else {
      out += String(repeating: " ", count: column - out.count)
    }
    out += wrap(text, indent: column).drop { $0 == " " }
    return out + "\n"
  }

  /// Wraps `text` to 80 columns, indenting continuation lines.
  static func wrap(_ text: String, indent: Int) -> String {
    var lines: [String] = []
    var line = String(repeating: " ", count: indent)
    for word in text.split(separator: " ") {
      if line.count + word.count + 1 > 80 && line.count > indent {
        lines.append(line)
        line = String(repeating: " ", count: indent)
      }
      line += (line.count > indent ? " " : "") + word
    }
    lines.append(line)
    return lines.joined(separator: "\n")
  }
}
