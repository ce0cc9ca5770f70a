import ChurnData
import Foundation

/// `churnkit validate`: checks an event log and summarises it.
enum ValidateCommand: Command {
  static let spec = CommandSpec(
    name: "validate",
    abstract: "Check an event log (and customers table) and summarise it.",
    discussion: """
      Reads the whole log once, streaming, and reports rows, customers, time \
      range, counts per event type, channel and stage, empty values, duplicate \
      rows and rows out of time order, with every problem located by \
      file:line:column. Exits 1 when the data cannot be used (or, with \
      --strict, has any error).
      """,
    arguments: [
      .init(
        name: "events", help: "Event log CSV (.csv or .csv.gz), or - for standard input (or --events).", optional: true)
    ],
    options: [
      .init(name: "events", valueName: "file", help: "The event log, as every other command takes it."),
      .init(name: "customers", valueName: "file", help: "Customers table CSV to check and join by id."),
      .init(
        name: "customers-id-column", valueName: "name", help: "Id column of the customers table.",
        defaultDescription: "the events' id column"),
    ] + MappingOptions.options + [
      .init(name: "max-errors", valueName: "n", help: "Problems to list (all are counted).", defaultValue: "20"),
      .init(name: "strict", valueName: nil, help: "Fail when any row has an error."),
      .init(name: "json", valueName: nil, help: "Print the summary as JSON on standard output."),
    ],
    examples: [
      "churnkit validate training-data/events.csv --customers training-data/customers.csv",
      "churnkit validate orders.csv.gz --id-column CustomerID --time-column date --event-name purchase --json",
      "churnkit validate --events training-data/events.csv --strict",
    ])

  /// The log, given as the argument or with --events (as the other
  /// commands take it), not both.
  static func eventsPath(_ arguments: ParsedArguments) throws(CLIError) -> String {
    switch (arguments.positionals.first, arguments.value("events")) {
    case (let path?, nil), (nil, let path?): return path
    case (let a?, let b?):
      throw .invalidValue(
        option: "events", value: b, reason: "the event log is already given as the argument '\(a)': give it once")
    case (nil, nil): throw .missingArgument("events")
    }
  }

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let schema = try MappingOptions.schema(from: arguments)
    let validator = EventLogValidator(
      schema: schema, maxIssues: try arguments.integer("max-errors", in: 0...1_000_000),
      customerIDColumn: arguments.value("customers-id-column"))
    let summary = try validator.validate(
      eventsPath: try eventsPath(arguments), customersPath: arguments.value("customers"))
    if arguments.flag("json") {
      console.out(try JSONOutput.text(summary))
    } else {
      console.report(summary.renderText())
    }
    if !summary.usable { return ExitStatus.failure }
    if arguments.flag("strict") && summary.errors > 0 {
      console.err("Error: \(summary.errors) rows have errors (--strict)\n")
      return ExitStatus.failure
    }
    return ExitStatus.success
  }
}
