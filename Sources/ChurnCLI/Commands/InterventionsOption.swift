import ChurnData

/// `--interventions FILE`: treatments kept in a separate CSV, added to the
/// event log (as events of the action's type) for the commands that read it.
enum InterventionsOption {
  static let option = CommandSpec.Option(
    name: "interventions", valueName: "file",
    help: "Treatments in a separate CSV (customer id, timestamp and action columns), added to the event log.")

  /// The log to read: `events` itself, or a temporary merge with the
  /// interventions file (remove it when done: `merged?.remove()`).
  static func events(
    _ events: String, _ arguments: ParsedArguments
  ) throws -> (path: String, merged: InterventionLog.Merged?) {
    guard let file = arguments.value("interventions") else { return (events, nil) }
    let merged = try InterventionLog.merge(
      events: events, interventions: file, schema: try MappingOptions.schema(from: arguments))
    return (merged.path, merged)
  }
}
