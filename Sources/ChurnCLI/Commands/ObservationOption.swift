import ChurnData

/// `--observed-until`: until when the event log is complete, for labels.
enum ObservationOption {
  static let option = CommandSpec.Option(
    name: "observed-until", valueName: "date",
    help:
      "Until when the data is complete (a date means the end of that day); labels need the horizon to end by then. Default: the end of the last event's day when every timestamp is a date, else the last timestamp."
  )

  /// The same option for `journey`, where it ends the customers' open spells.
  static let journeyOption = CommandSpec.Option(
    name: "observed-until", valueName: "date",
    help:
      "Until when the data is complete (a date means the end of that day): customers still active are followed to there. Default: the end of the last event's day when every timestamp is a date, else the last timestamp."
  )

  static func value(_ arguments: ParsedArguments) throws -> Cutoff? {
    try arguments.value("observed-until").map { try Cutoff(parsing: $0) }
  }
}

/// `--active-within`: with churn by inactivity, who is already churned.
enum ActiveWithinOption {
  static let option = CommandSpec.Option(
    name: "active-within", valueName: "duration",
    help:
      "With --churn-definition inactivity: customers active within this long before the cutoff are in the sample (the rest count as already churned).",
    defaultDescription: "the horizon")

  /// The same option for `journey`, where it ends the customers' open spells.
  static let journeyOption = CommandSpec.Option(
    name: "observed-until", valueName: "date",
    help:
      "Until when the data is complete (a date means the end of that day): customers still active are followed to there. Default: the end of the last event's day when every timestamp is a date, else the last timestamp."
  )

  static func value(_ arguments: ParsedArguments, churn: ChurnDefinition) throws -> Duration? {
    guard let text = arguments.value("active-within") else { return nil }
    guard churn == .inactivity else {
      throw CLIError.invalidValue(
        option: "active-within", value: text,
        reason: "it applies to --churn-definition inactivity only (with an event, a customer is churned by that event)")
    }
    return try Duration(parsing: text)
  }
}

/// `--ignore-columns`: feature-table columns that are not features.
enum IgnoreColumnsOption {
  static let option = CommandSpec.Option(
    name: "ignore-columns", valueName: "list",
    help:
      "With --features: comma-separated columns that are not features (keys, labels, notes); any other column must be one of the model's features."
  )

  static func value(_ arguments: ParsedArguments) -> [String] {
    (arguments.value("ignore-columns") ?? "").split(separator: ",").map {
      String($0).trimmingCharacters(in: .whitespaces)
    }
  }
}
