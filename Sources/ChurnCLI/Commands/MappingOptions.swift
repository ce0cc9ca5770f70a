import ChurnData
import ChurnIO
import ChurnSimulation

/// The column-mapping options shared by every command that reads events.
enum MappingOptions {
  static let options: [CommandSpec.Option] = [
    .init(
      name: "schema", valueName: "file",
      help: "Column mapping as JSON (see docs/data-format.md); flags below override it."),
    .init(name: "id-column", valueName: "name", help: "Customer id column.", defaultDescription: "customer_id"),
    .init(name: "time-column", valueName: "name", help: "Timestamp column.", defaultDescription: "timestamp"),
    .init(name: "event-column", valueName: "name", help: "Event type column.", defaultDescription: "event"),
    .init(
      name: "event-name", valueName: "name", help: "Use this event type for every row (a log with no event column)."),
    .init(name: "channel-column", valueName: "name", help: "Channel column (optional).", defaultDescription: "channel"),
    .init(name: "amount-column", valueName: "name", help: "Amount column (optional).", defaultDescription: "amount"),
    .init(
      name: "sentiment-column", valueName: "name", help: "Sentiment column, −1…1 (optional).",
      defaultDescription: "sentiment"
    ),
    .init(
      name: "stage-column", valueName: "name", help: "Lifecycle stage column (optional).", defaultDescription: "stage"),
    .init(
      name: "time-format", valueName: "format",
      help: "auto, iso8601, yyyyMMdd, epoch-seconds or epoch-millis.", defaultDescription: "auto"),
    .init(
      name: "delimiter", valueName: "kind",
      help: "comma, tab, semicolon, pipe or whitespace (runs of spaces and tabs).",
      defaultDescription: "found from the header line"),
    .init(
      name: "max-row-mib", valueName: "n",
      help: "The longest row accepted, in MiB: a longer one is an error at its line.", defaultValue: "1"),
  ]

  /// The schema from `--schema` and the column flags.
  static func schema(from arguments: ParsedArguments) throws -> EventSchema {
    var schema =
      try arguments.value("schema").map { path throws(IngestError) in try EventSchema.load(path: path) }
      ?? EventSchema()
    func set(_ flag: String, _ key: String, _ apply: (String) -> Void) {
      guard let v = arguments.value(flag) else { return }
      apply(v)
      schema.explicitColumns.insert(key)
    }
    set("id-column", "customer_id") { schema.customerID = $0 }
    set("time-column", "timestamp") { schema.timestamp = $0 }
    set("event-column", "event") { schema.event = $0 }
    set("channel-column", "channel") { schema.channel = $0 }
    set("amount-column", "amount") { schema.amount = $0 }
    set("sentiment-column", "sentiment") { schema.sentiment = $0 }
    set("stage-column", "stage") { schema.stage = $0 }
    if let name = arguments.value("event-name") { schema.eventName = name }
    if let text = arguments.value("delimiter") {
      guard let delimiter = CSVDelimiter(name: text) else {
        throw CLIError.invalidValue(
          option: "delimiter", value: text, reason: "expected comma, tab, semicolon, pipe or whitespace")
      }
      schema.delimiter = delimiter
    }
    if arguments.value("time-format") != nil {
      schema.timeFormat = try arguments.choice("time-format", default: TimestampFormat.auto)
    }
    schema.maxRowBytes = try arguments.integer("max-row-mib", in: 1...4096) << 20
    return schema
  }
}
