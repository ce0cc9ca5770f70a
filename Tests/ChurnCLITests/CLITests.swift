import ChurnCLI
import ChurnTestSupport
import Foundation
import Testing

/// Runs the CLI in-process and returns (stdout, stderr, exit status).
func run(_ arguments: [String]) -> (out: String, err: String, status: Int32) {
  let captured = CapturedConsole()
  let status = ChurnCLI.run(arguments, console: captured.console)
  return (captured.out, captured.err, status)
}

struct CLIErrorTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let id: String
    let arguments: [String]
    let firstLine: String
    var status: Int32 = 64
    var testDescription: String { id }
  }

  static let cases: [Case] = [
    Case(
      id: "no arguments", arguments: [],
      firstLine: "OVERVIEW: Predict customer churn and recommend the next best action."),
    Case(
      id: "unknown command", arguments: ["valdate"],
      firstLine: "Error: Unknown command 'valdate'. Did you mean 'validate'?"),
    Case(id: "unknown command far", arguments: ["frobnicate"], firstLine: "Error: Unknown command 'frobnicate'."),
    Case(
      id: "unknown root option", arguments: ["--verison"],
      firstLine: "Error: Unknown option '--verison'. Did you mean '--version'?"),
    Case(
      id: "unknown option", arguments: ["validate", "e.csv", "--max-erors", "3"],
      firstLine: "Error: Unknown option '--max-erors'. Did you mean '--max-errors'?"),
    Case(
      id: "missing value", arguments: ["validate", "e.csv", "--customers"],
      firstLine: "Error: Missing value for '--customers <file>'."),
    Case(id: "missing argument", arguments: ["validate"], firstLine: "Error: Missing expected argument '<events>'."),
    Case(
      id: "extra argument", arguments: ["validate", "a.csv", "b.csv"], firstLine: "Error: Unexpected argument 'b.csv'."),
    Case(
      id: "flag with value", arguments: ["validate", "a.csv", "--json=yes"],
      firstLine: "Error: Option '--json' takes no value."),
    Case(
      id: "repeated option", arguments: ["validate", "a.csv", "--max-errors", "1", "--max-errors", "2"],
      firstLine: "Error: Option '--max-errors' was given more than once."),
    Case(
      id: "bad integer", arguments: ["validate", "a.csv", "--max-errors", "lots"],
      firstLine: "Error: Invalid value 'lots' for '--max-errors': expected a whole number from 0 to 1000000."),
    Case(
      id: "bad time format", arguments: ["validate", "a.csv", "--time-format", "weekly"],
      firstLine:
        "Error: Invalid value 'weekly' for '--time-format': expected one of auto, iso8601, yyyyMMdd, epoch-seconds, epoch-millis."
    ),
    Case(
      id: "missing file", arguments: ["validate", "/nonexistent/e.csv"],
      firstLine: "Error: cannot open /nonexistent/e.csv: No such file or directory", status: 1),
    Case(id: "generate without out", arguments: ["generate"], firstLine: "Error: --out is required."),
    Case(
      id: "exclusive options", arguments: ["train", "--features", "f.csv", "--l2", "1", "--cv", "5"],
      firstLine: "Error: --cv and --l2 cannot be used together."),
    Case(
      id: "events and features",
      arguments: ["score", "--model", "m.json", "--out", "-", "--features", "f", "--events", "e"],
      firstLine: "Error: --events and --features cannot be used together."),
    Case(
      id: "neither events nor features", arguments: ["train", "--out", "m.json"],
      firstLine: "Error: One of --events, --features or --engine is required."),
    Case(
      id: "renamed option", arguments: ["journey", "--events", "e.csv", "--churn-event", "cancel"],
      firstLine: "Error: Option '--churn-event' is now '--churn-definition event:NAME'."),
    Case(
      id: "uplift option without actions",
      arguments: ["train", "--events", "e.csv", "--out", "m.json", "--pseudo-outcomes-out", "p.csv"],
      firstLine:
        "Error: Invalid value 'p.csv' for '--pseudo-outcomes-out': it is for learning uplift, which needs an action catalog: add --actions FILE (e.g. models/actions.json)."
    ),
    Case(
      id: "actions with a feature table",
      arguments: ["train", "--features", "f.csv", "--out", "m.json", "--actions", "a.json"],
      firstLine:
        "Error: Invalid value 'a.json' for '--actions': uplift is learned from the treatments in the event log: give the log with --events, not --features."
    ),
    Case(
      id: "generate bad start", arguments: ["generate", "--out", "/tmp/x", "--start", "2024-02-30"],
      firstLine: "Error: Invalid value '2024-02-30' for '--start': expected a date YYYY-MM-DD."),
  ]

  @Test(arguments: cases)
  func reportsUsageErrors(_ c: Case) {
    let result = run(c.arguments)
    #expect(result.status == c.status)
    #expect(result.err.split(separator: "\n").first.map(String.init) == c.firstLine)
    #expect(result.out.isEmpty)
  }

  @Test func usageErrorsShowUsageAndHint() {
    let result = run(["validate"])
    #expect(
      result.err == """
        Error: Missing expected argument '<events>'.
        Usage: churnkit validate [<events>] [options]
          See 'churnkit validate --help' for more information.

        """)
  }
}

struct CLIHelpTests {
  @Test func rootHelpIsPinned() {
    let result = run(["--help"])
    #expect(result.status == 0)
    #expect(
      result.out == """
        OVERVIEW: Predict customer churn and recommend the next best action.

        USAGE: churnkit <command> [options]

        COMMANDS:
          validate                Check an event log (and customers table) and summarise
                                  it.
          features                Build point-in-time features and churn labels at one
                                  or more cutoffs.
          train                   Fit the logistic churn model; report coefficients and
                                  inference.
          evaluate                Evaluate a saved model on newly labelled data, with
                                  calibration drift.
          score                   Score every eligible customer with a saved model.
          report                  Write a model report: ROC, calibration, gains, drivers
                                  and drift on one HTML page.
          export                  Export a saved model as a coefficient table, SQL or
                                  PMML.
          journey                 Estimate how customers move between lifecycle stages.
          touchpoints             Transitions between touchpoints in sessions, and where
                                  they end.
          recommend               Plan each customer's next best action within
                                  capacities and a budget.
          survival                Fit a time-to-churn model (Cox); report hazard ratios
                                  and concordance.
          clv                     Estimate P(alive), future purchases and lifetime value
                                  per customer.
          generate                Generate synthetic lifecycle data with known truth.

        OPTIONS:
          --version               Show the version and the BLAS/LAPACK in use.
          -h, --help              Show help information.

          See 'churnkit <command> --help' for the options of a command.

        """)
  }

  @Test(arguments: [
    "validate", "features", "train", "evaluate", "score", "export", "journey", "touchpoints", "recommend", "survival",
    "clv", "generate",
  ])
  func everyCommandHasHelpWithAnExample(_ command: String) {
    // Each option name once: a shared option must not shadow a command's own.
    let names = run([command, "--help"]).out.split(separator: "\n").compactMap { line -> Substring? in
      guard line.hasPrefix("  --") else { return nil }
      return line.dropFirst(2).prefix { $0 != " " }
    }
    #expect(Set(names).count == names.count, "\(command): an option named twice")
    for form in [[command, "--help"], [command, "-h"], ["help", command]] {
      let result = run(form)
      #expect(result.status == 0)
      #expect(result.out.hasPrefix("OVERVIEW: "))
      #expect(result.out.contains("\nUSAGE: churnkit \(command)"))
      #expect(result.out.contains("\nEXAMPLES:\n  churnkit \(command) "))
      #expect(result.out.split(separator: "\n").allSatisfy { $0.count <= 80 || $0.hasPrefix("  churnkit ") })
    }
  }

  @Test func versionNamesTheLoadedBLAS() {
    let result = run(["--version"])
    #expect(result.status == 0)
    #expect(result.out.hasPrefix("churnkit \(ChurnCLI.version)\nBLAS:   "))
    #expect(result.out.contains("OpenBLAS") || result.out.contains("reference BLAS"))
  }
}

struct ValidateCommandTests {
  let events = "customer_id,when,type,amount\nA,2024-01-01,visit,\nB,2024-01-02,purchase,12\nC,oops,visit,\n"

  @Test func mapsColumnsFromFlagsAndPrintsJSON() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let result = run(["validate", path, "--time-column", "when", "--event-column", "type", "--json"])
    #expect(result.status == 0)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    #expect(json["valid_rows"] as? Int ?? json["validRows"] as? Int == 2)
    #expect(json["errors"] as? Int == 1)
    #expect(json["usable"] as? Bool == true)
  }

  /// A value that holds terminal escape sequences is shown escaped, in the
  /// report and in messages; JSON keeps it exactly (escaped the JSON way).
  @Test func terminalEscapesInTheDataAreShownNotObeyed() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write(
      "e.csv", "customer_id,timestamp,event\nA,2024-01-01,vis\u{1B}[31mit\u{9B}2J\nB,2024-01-02,cancel\n")
    let report = run(["validate", path])
    #expect(report.status == 0)
    #expect(!report.out.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B })
    #expect(report.out.contains("vis\\u{1b}[31mit\\u{9b}2J"))
    let json = run(["validate", path, "--json"])
    #expect(json.out.contains("vis\\u001b[31mit"))
    let bad = run(["validate", "\(dir.path)/no\u{1B}]0;title\u{07}.csv"])
    #expect(bad.status == 1)
    #expect(!bad.err.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(bad.err)")
  }

  @Test func strictFailsOnRowErrors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let result = run(["validate", path, "--time-column", "when", "--event-column", "type", "--strict"])
    #expect(result.status == 1)
    #expect(result.out.contains("\(path):4:2: error: "))
    #expect(result.err == "Error: 1 rows have errors (--strict)\n")
  }

  @Test func missingColumnIsAFailureWithSuggestion() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let result = run(["validate", path])
    #expect(result.status == 1)
    #expect(
      result.err
        == "Error: \(path): no timestamp column 'timestamp' in the header (columns: customer_id, when, type, amount).\n"
    )
  }

  @Test func schemaFileIsOverriddenByFlags() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let schema = try dir.write("s.json", #"{"timestamp": "when", "event": "kind"}"#)
    let result = run(["validate", path, "--schema", schema, "--event-column", "type", "--json"])
    #expect(result.status == 0)
  }

  @Test func headerOnlyFileFails() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let result = run(["validate", try dir.write("e.csv", "customer_id,timestamp,event\n")])
    #expect(result.status == 1)
    #expect(result.out.contains("Not usable: the file has a header but no data rows"))
  }
}

/// The examples in every command's help write only new files: none names a
/// shipped file or folder as its output.
@Test(arguments: [
  "validate", "features", "train", "evaluate", "report", "score", "export", "journey", "touchpoints", "recommend",
  "clv",
  "survival", "generate",
])
func helpExamplesLeaveShippedFilesAlone(_ command: String) {
  let help = run([command, "--help"])
  #expect(help.status == 0)
  let examples = help.out.split(separator: "\n").filter { $0.contains("churnkit \(command) ") }
  #expect(!examples.isEmpty)
  for example in examples {
    let words = example.split(separator: " ").map(String.init)
    for (k, word) in words.enumerated() where ["--out", "--json", "--spec-out", "--predictions-out"].contains(word) {
      guard k + 1 < words.count else { continue }
      let target = words[k + 1]
      #expect(
        !target.hasPrefix("models/") && !target.hasPrefix("training-data") && !target.hasPrefix("notebooks"),
        "\(example)")
    }
  }
}

/// `validate` takes the log as its argument or, like every other command,
/// with --events; not both.
struct ValidateEventsOptionTests {
  @Test func theLogComesEitherWay() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", "customer_id,timestamp,event\nA,2024-01-01,visit\nB,2024-01-02,visit\n")
    let positional = run(["validate", path, "--json"])
    let option = run(["validate", "--events", path, "--json"])
    #expect(positional.status == 0 && positional.out == option.out && option.status == 0)
    let both = run(["validate", path, "--events", path])
    #expect(both.status == 64)
    #expect(
      both.err.hasPrefix(
        "Error: Invalid value '\(path)' for '--events': the event log is already given as the argument"))
  }
}
