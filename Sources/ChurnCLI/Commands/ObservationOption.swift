import ChurnKit

/// `--observed-until`: until when the event log is complete, for labels.
enum ObservationOption {
  static let option = CommandSpec.Option(
    name: "observed-until", valueName: "date",
    help: "Until when the data is complete (a date means the end of that day); labels need the horizon to end by then. Default: the end of the last event's day when every timestamp is a date, else the last timestamp.")

  static func value(_ arguments: ParsedArguments) throws -> Cutoff? {
    try arguments.value("observed-until").map { try Cutoff(parsing: $0) }
  }
}
