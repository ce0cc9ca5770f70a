import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// `churnkit clv --churn-event E`: the shifted-beta-geometric model of a
/// subscription log, and what each customer still subscribed is worth.
enum ContractualClv {
  static func run(
    _ arguments: ParsedArguments, reader: inout EventLogReader, issues: inout IssueLog, asOf: Cutoff,
    churnEvent: String, monthlyRate: Double, console: Console
  ) throws -> Int32 {
    let period = try Duration(parsing: arguments.value("period")!)
    guard period.days >= 1 else {
      throw CLIError.invalidValue(option: "period", value: arguments.value("period")!, reason: "at least one day")
    }
    let summary = try ContractSummary(
      reader: &reader, issues: &issues, asOf: asOf, churnEvent: churnEvent, period: period,
      startEvent: arguments.value("start-event"))
    let model = try ShiftedBetaGeometricModel().fit(summary.lifetimes)
    // The monthly (30-day) rate, compounded to the period's length.
    let rate = period.days == 30 ? monthlyRate : pow(1 + monthlyRate, Double(period.days) / 30) - 1
    let fit = Fit(
      asOf: asOf.description, churnEvent: churnEvent, periodDays: period.days, discountRatePerPeriod: rate,
      shiftedBetaGeometric: model)
    let outputs = PendingOutputs(console: console)
    try outputs.add(rows(summary, model, rate: rate), to: arguments.value("out")!)
    if let page = arguments.value("report") {
      let active = summary.customerIDs.indices.filter { !summary.churned[$0] }
      let report = ClvReport(
        asOf: asOf.description,
        models: .subscription(
          periodDays: period.days, churnEvent: churnEvent, customers: summary.customerIDs.count),
        probabilities: active.map { model.renewalProbability(after: Double(summary.periods[$0])) },
        clv: active.map { i in
          summary.valuePerPeriod.flatMap { values in
            model.discountedExpectedResidualLifetime(after: Double(summary.periods[i]), discountRate: rate).map {
              values[i] * $0
            }
          }
        }, discountRate: rate)
      try outputs.add(report.html(), to: page)
    }
    if arguments.flag("json") { try outputs.add(try JSONOutput.text(fit), to: "-") }
    try outputs.commit()
    let text = fit.text(summary)
    if arguments.flag("json") || arguments.value("out") == "-" { console.err(text) } else { console.report(text) }
    if let line = issues.summaryLine { console.err(line + "\n") }
    return ExitStatus.success
  }

  /// The per-customer CSV; the figures are left empty for those who left.
  static func rows(_ s: ContractSummary, _ model: FittedShiftedBetaGeometric, rate: Double) -> String {
    func number(_ x: Double?) -> String { x.map(CSVFormatting.number) ?? "" }
    var out = "customer_id,churned,periods,renewal_probability,derl,value_per_period,clv\n"
    for i in s.customerIDs.indices {
      let n = Double(s.periods[i])
      let active = !s.churned[i]
      let derl = active ? model.discountedExpectedResidualLifetime(after: n, discountRate: rate) : nil
      let value = s.valuePerPeriod?[i]
      let fields = [
        CSVFormatting.escape(s.customerIDs[i], neutralisingFormula: true), s.churned[i] ? "1" : "0",
        String(s.periods[i]), active ? number(model.renewalProbability(after: n)) : "", number(derl),
        number(value), number(derl.flatMap { d in value.map { $0 * d } }),
      ]
      out += fields.joined(separator: ",") + "\n"
    }
    return out
  }

  /// The fitted model, for `--json` and the summary.
  struct Fit: Encodable {
    let asOf: String
    let churnEvent: String
    let periodDays: Int
    let discountRatePerPeriod: Double
    let shiftedBetaGeometric: FittedShiftedBetaGeometric

    func text(_ s: ContractSummary) -> String {
      let m = shiftedBetaGeometric
      let left = s.churned.filter { $0 }.count
      var out =
        "shifted-beta-geometric on \(s.customerIDs.count) customers to \(asOf) (\(left) left by '\(churnEvent)'), periods of \(periodDays) days\n"
      out += String(
        format: "  alpha %.6g  beta %.6g  log-likelihood %.4f (%d iterations)\n", m.alpha, m.beta, m.logLikelihood,
        m.iterations)
      out += String(
        format: "  renewal probability: %.4f after 1 period, %.4f after 12; mean churn probability %.4f\n",
        m.renewalProbability(after: 1), m.renewalProbability(after: 12), m.alpha / (m.alpha + m.beta))
      out += String(format: "  CLV discounted at %.6g per period\n", discountRatePerPeriod)
      if s.valuePerPeriod == nil { out += "No amount column: value per period and CLV are left empty\n" }
      return out
    }
  }
}
