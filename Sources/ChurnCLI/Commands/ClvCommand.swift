import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// `churnkit clv`: buy-till-you-die models of a non-contractual log — who
/// is still alive, how much they will buy, what they are worth.
enum ClvCommand: Command {
  static let spec = CommandSpec(
    name: "clv",
    abstract: "Estimate P(alive), future purchases and lifetime value per customer.",
    discussion: """
      For businesses where customers leave without a word: fits the BG/NBD \
      (or, with --model pareto-nbd, the Pareto/NBD) model of repeat \
      purchases and the Gamma-Gamma model of spend on the \
      purchases up to --as-of (days as the time unit, purchases on the same \
      day counted once, as lifetimes does with daily periods), and writes per \
      customer: frequency, recency, T, monetary_value, p_alive, the expected \
      purchases over --horizon, the expected spend per purchase and the \
      discounted CLV over --months months of 30 days. docs/clv.md explains \
      each figure. A figure the models cannot give (no amounts; a mean spend \
      with no finite expectation) is left empty.

      For subscriptions, where leaving is an event, --churn-event fits the \
      shifted-beta-geometric retention model on each customer's lifetime in \
      periods (--period) instead, and writes the renewal probability, the \
      discounted expected residual lifetime and the CLV of every customer \
      still subscribed.
      """,
    options: [
      .init(
        name: "events", valueName: "file",
        help:
          "Event log: a CSV file, - for standard input, or a table: sqlite:PATH?table=NAME, postgres://…?table=NAME.",
        isRequired: true),
      .init(name: "as-of", valueName: "date", help: "Use purchases up to the end of this day.", isRequired: true),
      .init(
        name: "purchase-event", valueName: "name", help: "The event type that is a purchase.",
        defaultDescription: "purchase, if the log has it, else every event"),
      .init(
        name: "model", valueName: "name",
        help:
          "Repeat-purchase model: bg-nbd (a customer may leave after each purchase) or pareto-nbd (at any moment).",
        defaultValue: "bg-nbd"),
      .init(
        name: "horizon", valueName: "duration", help: "Window of expected_purchases (e.g. 90d).",
        defaultValue: "90d"),
      .init(name: "months", valueName: "n", help: "Months (30 days) of lifetime value.", defaultValue: "12"),
      .init(
        name: "discount-rate", valueName: "rate", help: "Monthly discount rate of the lifetime value.",
        defaultValue: "0.01"),
      .init(
        name: "churn-event", valueName: "name",
        help: "A contractual log: the event type of leaving (fits the shifted-beta-geometric model)."),
      .init(
        name: "start-event", valueName: "name",
        help: "With --churn-event: the event type that starts a subscription.",
        defaultDescription: "the customer's first event"),
      .init(
        name: "period", valueName: "duration", help: "With --churn-event: the renewal period (e.g. 30d, 365d).",
        defaultValue: "30d"),
      .init(name: "out", valueName: "file", help: "Per-customer CSV, or - for standard output.", isRequired: true),
      .init(
        name: "report", valueName: "file",
        help: "Also write the lifetime-value page: P(alive) and CLV distributions, how concentrated the value is."),
      .init(name: "json", valueName: nil, help: "Print the fitted models as JSON on standard output."),
    ] + MappingOptions.options,
    exclusiveGroups: [
      ["purchase-event", "start-event"], ["churn-event", "purchase-event"], ["churn-event", "months"],
      ["churn-event", "horizon"], ["churn-event", "model"],
    ],
    examples: [
      "churnkit clv --events training-data/events.csv --as-of 2025-06-30 --out clv.csv",
      "churnkit clv --events training-data/events.csv --as-of 2025-06-30 --model pareto-nbd --out clv.csv",
      "churnkit clv --events training-data/events.csv --as-of 2025-06-30 --churn-event cancel --out clv.csv",
    ])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let asOf = try Cutoff(parsing: arguments.value("as-of")!)
    let horizon = try Duration(parsing: arguments.value("horizon")!)
    let months = try arguments.integer("months", in: 1...1200)
    let rate = try arguments.nonNegativeNumber("discount-rate", below: 1)!
    if arguments.flag("json") && arguments.value("out") == "-" { throw CLIError.sharedStandardOutput("out", "json") }
    var issues = IssueLog(limit: 20)
    var reader = try EventLogReader(
      path: arguments.value("events")!, schema: try MappingOptions.schema(from: arguments))
    if let churnEvent = arguments.value("churn-event") {
      return try ContractualClv.run(
        arguments, reader: &reader, issues: &issues, asOf: asOf, churnEvent: churnEvent, monthlyRate: rate,
        console: console)
    }
    let summary = try RepeatPurchaseSummary(
      reader: &reader, issues: &issues, asOf: asOf, purchaseEvent: arguments.value("purchase-event"))
    let model: RepeatPurchaseModelName = try arguments.choice("model")
    let bgnbd = model == .bgNBD ? try BGNBDModel().fit(summary) : nil
    let paretoNBD = model == .paretoNBD ? try ParetoNBDModel().fit(summary) : nil
    let purchases: any FittedRepeatPurchaseModel & LogParameterised = bgnbd ?? paretoNBD!
    let spend = summary.hasAmounts ? try GammaGammaModel().fit(summary) : nil
    let fit = Fit(
      asOf: asOf.description, purchaseEvent: summary.purchaseEvent, bgnbd: bgnbd, paretoNBD: paretoNBD,
      gammaGamma: spend)
    let perCustomer = figures(
      summary, purchases, spend, horizonDays: Double(horizon.days), months: months, rate: rate)
    let outputs = PendingOutputs(console: console)
    try outputs.add(rows(summary, perCustomer, horizonDays: Double(horizon.days)), to: arguments.value("out")!)
    if let page = arguments.value("report") {
      let report = ClvReport(
        asOf: asOf.description, models: .repeatPurchase(model: bgnbd == nil ? "Pareto/NBD" : "BG/NBD", months: months),
        probabilities: perCustomer.map(\.pAlive), clv: perCustomer.map(\.clv), discountRate: rate)
      try outputs.add(report.html(), to: page)
    }
    if arguments.flag("json") { try outputs.add(try JSONOutput.text(fit), to: "-") }
    try outputs.commit()
    // The summary goes where it does not mix with data on standard output.
    let text = fit.text(customers: summary.customerIDs.count, horizonDays: horizon.days)
    if arguments.flag("json") || arguments.value("out") == "-" { console.err(text) } else { console.report(text) }
    if let line = issues.summaryLine { console.err(line + "\n") }
    return ExitStatus.success
  }

  /// Each customer's figures: P(alive), expected purchases over the
  /// horizon, expected spend per purchase and discounted CLV (nil where the
  /// models give none).
  struct Figures {
    let pAlive: Double
    let expectedPurchases: Double?
    let averageSpend: Double?
    let clv: Double?
    let clvStandardError: Double?
  }

  static func figures<Purchases: FittedRepeatPurchaseModel & LogParameterised>(
    _ s: RepeatPurchaseSummary, _ purchases: Purchases, _ spend: FittedGammaGamma?, horizonDays: Double,
    months: Int, rate: Double
  ) -> [Figures] {
    var errors = spend.map { clvStandardErrors(purchases, $0, months: months, rate: rate) }
    return s.customerIDs.indices.map { i in
      let (x, tx, T, m) = (s.frequency[i], s.recency[i], s.age[i], s.monetaryValue[i])
      let average = spend?.expectedAverageSpend(frequency: x, monetaryValue: m)
      let value = average.flatMap {
        customerLifetimeValue(
          purchases: purchases, spend: $0, frequency: x, recency: tx, age: T, months: months, monthlyDiscountRate: rate)
      }
      let se = value == nil ? nil : errors?.standardError(frequency: x, recency: tx, age: T, monetaryValue: m)
      return Figures(
        pAlive: purchases.probabilityAlive(frequency: x, recency: tx, age: T),
        expectedPurchases: purchases.expectedPurchases(days: horizonDays, frequency: x, recency: tx, age: T),
        averageSpend: average, clv: value, clvStandardError: se)
    }
  }

  /// CLV's standard errors from both fits' uncertainty (delta method).
  static func clvStandardErrors<Purchases: FittedRepeatPurchaseModel & LogParameterised>(
    _ purchases: Purchases, _ spend: FittedGammaGamma, months: Int, rate: Double
  ) -> ClvStandardErrors<Purchases> {
    ClvStandardErrors(purchases: purchases, spend: spend) { model, x, tx, T in
      discountedExpectedPurchases(months: months, monthlyDiscountRate: rate) {
        model.expectedPurchases(days: $0, frequency: x, recency: tx, age: T)
      }
    }
  }

  /// The per-customer CSV.
  static func rows(_ s: RepeatPurchaseSummary, _ figures: [Figures], horizonDays: Double) -> String {
    func number(_ x: Double?) -> String { x.map(CSVFormatting.number) ?? "" }
    var out =
      "customer_id,frequency,recency,T,monetary_value,p_alive,expected_purchases_\(Int(horizonDays))d,expected_average_spend,clv,clv_se\n"
    for (i, f) in figures.enumerated() {
      let fields = [
        CSVFormatting.escape(s.customerIDs[i], neutralisingFormula: true), number(s.frequency[i]), number(s.recency[i]),
        number(s.age[i]), s.hasAmounts ? number(s.monetaryValue[i]) : "", number(f.pAlive),
        number(f.expectedPurchases), number(f.averageSpend), number(f.clv), number(f.clvStandardError),
      ]
      out += fields.joined(separator: ",") + "\n"
    }
    return out
  }

  /// The repeat-purchase models `--model` names.
  enum RepeatPurchaseModelName: String, CaseIterable {
    case bgNBD = "bg-nbd"
    case paretoNBD = "pareto-nbd"
  }

  /// The fitted models, for `--json` and the summary (one of `bgnbd` and
  /// `paretoNBD`).
  struct Fit: Encodable {
    let asOf: String
    let purchaseEvent: String?
    let bgnbd: FittedBGNBD?
    let paretoNBD: FittedParetoNBD?
    let gammaGamma: FittedGammaGamma?

    func text(customers: Int, horizonDays: Int) -> String {
      var out = (bgnbd == nil ? "Pareto/NBD" : "BG/NBD") + " on \(customers) customers' purchases to \(asOf)"
      out += purchaseEvent.map { " (event type '\($0)')" } ?? " (every event)"
      if let p = paretoNBD {
        out += String(
          format: "\n  r %.6g  alpha %.6g  s %.6g  beta %.6g  log-likelihood %.4f (%d iterations)\n", p.r, p.alpha, p.s,
          p.beta, p.logLikelihood, p.iterations)
      } else if let b = bgnbd, let a = b.a, let bb = b.b {
        out += String(
          format: "\n  r %.6g  alpha %.6g  a %.6g  b %.6g  log-likelihood %.4f (%d iterations)\n", b.r, b.alpha, a, bb,
          b.logLikelihood, b.iterations)
      } else if let b = bgnbd {
        out += String(
          format:
            "\n  r %.6g  alpha %.6g  log-likelihood %.4f (%d iterations)\n  dropout after a purchase %.6g for every customer: the data show no spread in it (a and b grow without bound)\n",
          b.r, b.alpha, b.logLikelihood, b.iterations, b.commonDropout ?? .nan)
      }
      if let p = paretoNBD {
        out += standardErrors(["r", "alpha", "s", "beta"], p.standardErrors)
      } else if let b = bgnbd {
        out += standardErrors(
          b.a == nil ? ["r", "alpha", "dropout odds"] : ["r", "alpha", "a", "b"], b.standardErrors)
      }
      if let g = gammaGamma {
        out += String(
          format: "Gamma-Gamma on %d customers with repeat purchases\n  p %.6g  q %.6g  v %.6g  log-likelihood %.4f\n",
          g.customers, g.p, g.q, g.v, g.logLikelihood)
        out += standardErrors(["p", "q", "v"], g.standardErrors)
        if g.q <= 1 { out += "  q ≤ 1: the mean spend has no finite expectation; spend and CLV are left empty\n" }
      } else {
        out += "No amount column: spend and CLV are left empty\n"
      }
      return out
    }

    /// "  standard errors  r 0.0124  alpha 0.31 …" (inverse observed
    /// information, delta method), or why there are none.
    private func standardErrors(_ names: [String], _ values: [Double]?) -> String {
      guard let values else { return "  standard errors not estimated (the information matrix is singular)\n" }
      return "  standard errors " + zip(names, values).map { " \($0) " + String(format: "%.4g", $1) }.joined() + "\n"
    }
  }
}
