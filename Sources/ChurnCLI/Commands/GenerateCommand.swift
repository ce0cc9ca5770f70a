import ChurnIO
import ChurnSimulation
import Foundation

/// `churnkit generate`: synthetic lifecycle data with known truth.
enum GenerateCommand: Command {
  static let spec = CommandSpec(
    name: "generate",
    abstract: "Generate synthetic lifecycle data with known truth.",
    discussion: """
      Simulates customers moving day by day through awareness, consideration, \
      purchase, onboarding, retention and advocacy, or churning, and writes \
      events.csv, customers.csv and truth.json (the true stage moves, churn \
      hazard coefficients and action effects) into the output directory. The \
      same seed gives byte-identical files. With --clickstream it writes a \
      clickstream instead (sessions of page views on three platforms) with \
      incidents planted in known windows and platforms, recorded in \
      truth.json, for churnkit touchpoints --changes.
      """,
    options: [
      .init(name: "customers", valueName: "n", help: "Number of customers.", defaultValue: "5000"),
      .init(name: "seed", valueName: "s", help: "Random seed.", defaultValue: "42"),
      .init(name: "start", valueName: "date", help: "First simulated day (YYYY-MM-DD).", defaultValue: "2024-01-01"),
      .init(
        name: "days", valueName: "n", help: "Number of simulated days.",
        defaultDescription: "730; 150 with --clickstream"),
      .init(
        name: "clickstream", valueName: nil,
        help: "Write a clickstream (page views in sessions, three platforms) with planted incidents instead."),
      .init(
        name: "incidents", valueName: "set",
        help: "With --clickstream: standard (three incidents, see truth.json) or none.", defaultValue: "standard"),
      .init(
        name: "action-effects", valueName: "kind",
        help:
          "plan (each action's effect depends on the plan) or behavioural (also on latent satisfaction, tenure and latent usage, with sizes and directions drawn from the seed; some customers are harmed).",
        defaultValue: "plan"),
      .init(name: "out", valueName: "dir", help: "Output directory.", isRequired: true),
      .init(name: "json", valueName: nil, help: "Print what was written as JSON on standard output."),
    ],
    examples: [
      "churnkit generate --customers 5000 --seed 42 --out my-data",
      "churnkit generate --clickstream --customers 2000 --out clicks",
      "churnkit generate --customers 20000 --seed 7 --action-effects behavioural --out bench-data",
    ])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let out = arguments.value("out")!
    let customers = try arguments.integer("customers", in: 1...50_000_000)
    let clickstream = arguments.flag("clickstream")
    let days = try arguments.integer("days", default: clickstream ? 150 : 730, in: 1...36_500)
    if clickstream && arguments.isGiven("action-effects") {
      throw CLIError.invalidValue(
        option: "action-effects", value: arguments.value("action-effects")!,
        reason: "a clickstream has no actions; leave out --clickstream or --action-effects")
    }
    if !clickstream && arguments.isGiven("incidents") {
      throw CLIError.invalidValue(
        option: "incidents", value: arguments.value("incidents")!, reason: "it only applies with --clickstream")
    }
    let seedText = arguments.value("seed")!
    guard let seed = UInt64(seedText) else {
      throw CLIError.invalidValue(
        option: "seed", value: seedText, reason: "expected a whole number from 0 to \(UInt64.max)")
    }
    let start = arguments.value("start")!
    guard case .success(let micros) = TimestampFormat.iso8601.parse(Array(start.utf8)[...]),
      micros % 86_400_000_000 == 0
    else {
      throw CLIError.invalidValue(option: "start", value: start, reason: "expected a date YYYY-MM-DD")
    }
    let startDay = Int(micros / 86_400_000_000)
    if clickstream {
      let set = arguments.value("incidents")!
      guard set == "standard" || set == "none" else {
        throw CLIError.invalidValue(option: "incidents", value: set, reason: "expected standard or none")
      }
      let generator = ClickstreamGenerator(
        customers: customers, seed: seed, startDay: startDay, days: days,
        incidents: set == "none" ? [] : ClickstreamIncident.standard)
      let report = try generator.write(to: out)
      if arguments.flag("json") {
        console.out(try JSONOutput.text(report))
      } else {
        console.err(
          "wrote \(report.events) page views in \(report.sessions) sessions of \(report.customers) customers to \(out)\n"
        )
      }
      return ExitStatus.success
    }
    var generator = LifecycleGenerator(customers: customers, seed: seed, days: days)
    generator.startDay = startDay
    switch try arguments.choice("action-effects") as ActionEffects {
    case .plan: break
    case .behavioural: generator.truth = .behavioural(seed: seed)
    }
    let report = try generator.write(to: out)
    if arguments.flag("json") {
      console.out(try JSONOutput.text(report))
    } else {
      console.err(
        "wrote \(report.events) events for \(report.customers) customers (\(report.churned) churned) to \(out)\n")
    }
    return ExitStatus.success
  }
}

/// Whose behaviour the generated actions' effects depend on.
enum ActionEffects: String, CaseIterable {
  case plan
  case behavioural
}
