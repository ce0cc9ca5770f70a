import ChurnArtifacts
import ChurnData
import ChurnDecisions
import ChurnIO
import ChurnSimulation
import Foundation

/// `churnkit recommend`: the next-best-action plan for a batch of customers.
enum RecommendCommand: Command {
  static let spec = CommandSpec(
    name: "recommend",
    abstract: "Plan each customer's next best action within capacities and a budget.",
    discussion: """
      Scores every eligible customer with a model trained with --actions, \
      works out each action's expected net value (churn prevented × customer \
      value − cost) where the catalog's stages, conditions and cooldowns \
      allow it, and assigns actions across the batch to maximise the total \
      under each action's capacity and --budget. Prints the plan (customers, \
      spend, expected churn prevented and value per action) and the holdout \
      estimate of the policy's value from training (inverse propensity \
      weighted, with its interval); --out writes the assignment. On \
      generated data, --truth truth.json also prints the true value of the \
      plan against the oracle and simple rules.
      """,
    options: [
      .init(name: "model", valueName: "file", help: "A model trained with --actions.", isRequired: true),
      .init(name: "events", valueName: "file", help: "Event log (required unless --decisions)."),
      .init(name: "customers", valueName: "file", help: "Customers table (when the model uses it)."),
      .init(name: "as-of", valueName: "date", help: "Decide as of this date or date-time (required with --events)."),
      .init(
        name: "decisions", valueName: "file",
        help:
          "Or: the rows of `export --format sql-decide` run in a warehouse (a CSV file, sqlite:PATH?table=NAME or postgres://…?table=NAME), assigned under the capacities and --budget."
      ),
      .init(name: "budget", valueName: "amount", help: "Total spend allowed (default: no limit)."),
      .init(name: "out", valueName: "file", help: "Write the assignment CSV (or - for standard output)."),
      .init(
        name: "truth", valueName: "file", help: "truth.json of generated data: judge the plan against the true effects."
      ),
      .init(
        name: "truth-method", valueName: "kind",
        help:
          "hazard (today's tickets and sentiment held fixed; fast) or simulate (replay each customer in the generator; exact up to Monte Carlo error, slow).",
        defaultValue: "hazard"),
      .init(
        name: "truth-replications", valueName: "n",
        help: "With simulate: futures per customer and action, for the oracle's choice and again for the valuation.",
        defaultValue: "2000"),
      .init(
        name: "truth-out", valueName: "file",
        help: "With --truth: write each customer's estimated and true uplift per action."),
      .init(name: "json", valueName: nil, help: "Print the plan summary as JSON on standard output."),
      InterventionsOption.option,
      .init(
        name: "no-formula-escape", valueName: nil,
        help:
          "Write text fields as they are. By default a CSV text field that starts with =, +, -, @, tab or CR gets a leading ' so that a spreadsheet shows it instead of running it as a formula."
      ),
    ] + MappingOptions.options,
    exclusiveGroups: [["decisions", "events"], ["decisions", "truth"], ["decisions", "as-of"]],
    examples: [
      "churnkit recommend --model models/churn-model.json --events training-data/events.csv --customers training-data/customers.csv --as-of 2025-12-30 --budget 5000 --out plan.csv"
    ])

  enum TruthMethod: String, CaseIterable { case simulate, hazard }

  struct Summary: Encodable {
    let asOf: String
    let customers: Int
    let budget: Double?
    let spend: Double
    let expectedNetValue: Double
    /// What customer value means here: its source, horizon and discount.
    let value: String
    let monthlyDiscountRate: Double?
    let actions: [ActionPlanner.ActionTotals]
    /// Customers probably gone (nil: the model has no reachability).
    let reachability: ActionPlanner.ReachSummary?
    let holdoutPolicyValues: [UpliftModel.PolicyValue]
    let truth: PolicyTruthEvaluation?
  }

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let budget = try arguments.nonNegativeNumber("budget")
    if arguments.value("out") == "-" && arguments.flag("json") {
      throw CLIError.invalidValue(
        option: "json", value: "", reason: "the assignment goes to standard output; write it to a file with --out FILE")
    }
    let model = try ChurnModel.load(path: arguments.value("model")!)
    let planner = try ActionPlanner(model: model)
    if let decisions = arguments.value("decisions") {
      return try planDecisions(decisions, planner: planner, model: model, budget: budget, arguments, console)
    }
    guard let events = arguments.value("events") else { throw CLIError.missingOneOf(["events", "decisions"]) }
    guard let asOf = arguments.value("as-of") else { throw CLIError.missingOption("as-of") }
    let oracle = try arguments.value("truth").map(TruthOracle.load(path:))
    let (run, table, issues) = try ScoreCommand.scoreEvents(events, asOf: asOf, model: model, arguments, console)
    let plan = planner.plan(run, budget: budget)
    var truth: PolicyTruthEvaluation?
    // The plan and the truth rows are saved together, or neither.
    let outputs = PendingOutputs(console: console)
    let neutralising = !arguments.flag("no-formula-escape")
    if let oracle {
      let judged = try judge(plan, model: model, run: run, table: table, oracle: oracle, arguments)
      if let path = arguments.value("truth-out") {
        try outputs.add(truthRows(plan, judged, model: model, neutralisingFormulas: neutralising), to: path)
      }
      truth = judged
    }
    if let out = arguments.value("out") {
      try outputs.add(assignmentRows(plan, model: model, neutralisingFormulas: neutralising), to: out)
    }
    try outputs.commit()
    let summary = Summary(
      asOf: asOf, customers: plan.assignments.count, budget: budget, spend: plan.spend, expectedNetValue: plan.netValue,
      value: model.uplift!.valueDescription, monthlyDiscountRate: model.uplift!.value.monthlyDiscountRate,
      actions: plan.totals, reachability: plan.reach, holdoutPolicyValues: model.uplift!.evaluation.policies,
      truth: truth)
    try report(summary, arguments, console)
    if let line = issues.summaryLine { console.err(line + "\n") }
    return ExitStatus.success
  }

  /// `--decisions`: decisions made in a warehouse by the `sql-decide`
  /// query, assigned here under the capacities and the budget.
  private static func planDecisions(
    _ path: String, planner: ActionPlanner, model: ChurnModel, budget: Double?, _ arguments: ParsedArguments,
    _ console: Console
  ) throws -> Int32 {
    let uplift = model.uplift!
    let table = try DecisionTable(path: path, uplift: uplift)
    let plan = planner.plan(table, budget: budget)
    if let out = arguments.value("out") {
      let neutralising = !arguments.flag("no-formula-escape")
      try TextOutput.write(
        assignmentRows(plan, model: model, neutralisingFormulas: neutralising), to: out, console: console)
    }
    let summary = Summary(
      asOf: table.cutoffs.isEmpty ? "(not given)" : table.cutoffs.joined(separator: ", "),
      customers: plan.assignments.count, budget: budget, spend: plan.spend,
      expectedNetValue: plan.netValue, value: uplift.valueDescription,
      monthlyDiscountRate: uplift.value.monthlyDiscountRate, actions: plan.totals, reachability: plan.reach,
      holdoutPolicyValues: uplift.evaluation.policies, truth: nil)
    try report(summary, arguments, console)
    return ExitStatus.success
  }

  /// The plan against the generator's truth: the true uplift of every
  /// customer and action, from the hazards or by simulating their futures.
  private static func judge(
    _ plan: ActionPlanner.Plan, model: ChurnModel, run: ChurnScorer.Run, table: CustomerTable?,
    oracle: TruthOracle, _ arguments: ParsedArguments
  ) throws -> PolicyTruthEvaluation {
    guard let table, let planColumn = table.attributeNames.firstIndex(of: "plan") else {
      throw CLIError.invalidValue(
        option: "truth", value: arguments.value("truth")!,
        reason: "judging against the truth needs the generated customers table (--customers) with its plan column")
    }
    let asOf = try Cutoff(parsing: arguments.value("as-of")!)
    switch try arguments.choice("truth-method") as TruthMethod {
    case .simulate:
      var simulation = try SimulationOracle(truthFile: arguments.value("truth")!)
      simulation.replications = try arguments.integer("truth-replications", in: 1...100_000)
      return try PolicyTruthEvaluation(
        plan: plan, model: model,
        trueUplift: try PolicyTruthEvaluation.simulatedUplifts(
          plan: plan, model: model, oracle: simulation, asOf: asOf),
        oracleUplift: try PolicyTruthEvaluation.simulatedUplifts(
          plan: plan, model: model, oracle: simulation, asOf: asOf, stream: 1))
    case .hazard:
      let trueUplift = try PolicyTruthEvaluation.hazardUplifts(
        plan: plan, model: model, features: run.features, truth: oracle.truth,
        planOf: { id in table.indexByID[id].map { table.values[planColumn][$0] } })
      return try PolicyTruthEvaluation(plan: plan, model: model, trueUplift: trueUplift, oracleUplift: nil)
    }
  }

  /// --truth-out: per customer and action, eligibility, estimated and true uplift.
  private static func truthRows(
    _ plan: ActionPlanner.Plan, _ truth: PolicyTruthEvaluation, model: ChurnModel, neutralisingFormulas: Bool
  ) -> String {
    let csv = { CSVFormatting.escape($0, neutralisingFormula: neutralisingFormulas) }
    let ids = model.uplift!.catalog.actions.map(\.id)
    var text =
      "customer_id,stage,value,churn_probability,"
      + ids.map { id in ["eligible_", "estimated_uplift_", "true_uplift_"].map { csv($0 + id) }.joined(separator: ",") }
      .joined(separator: ",") + "\n"
    for (i, a) in plan.assignments.enumerated() {
      text +=
        "\(csv(a.customerID)),\(csv(a.stage ?? "")),\(a.value),\(a.churnProbability)"
      for k in ids.indices {
        let o = plan.decisions[i].options[k]
        text += ",\(o.ineligibleBecause == nil ? 1 : 0),\(o.uplift),\(truth.trueUplift[i][k])"
      }
      text += "\n"
    }
    return text
  }

  /// --out: one row per customer with the action assigned (or none) and why.
  private static func assignmentRows(
    _ plan: ActionPlanner.Plan, model: ChurnModel, neutralisingFormulas: Bool
  ) -> String {
    let csv = { CSVFormatting.escape($0, neutralisingFormula: neutralisingFormulas) }
    var text =
      "customer_id,stage,churn_probability,value,value_se,reachable,action,expected_uplift,expected_net_value,expected_net_value_se,reason\n"
    for a in plan.assignments {
      text +=
        [
          csv(a.customerID), csv(a.stage ?? ""), a.churnProbability.description, a.value.description,
          a.valueStandardError?.description ?? "", a.reach.description,
          csv(a.action.map { model.uplift!.catalog.actions[$0].id } ?? "none"),
          a.uplift.description, a.netValue.description, a.netValueStandardError?.description ?? "", csv(a.reason),
        ].joined(separator: ",") + "\n"
    }
    return text
  }

  /// The summary table, on standard output unless the data or --json is there.
  private static func report(_ summary: Summary, _ arguments: ParsedArguments, _ console: Console) throws {
    let text = render(summary)
    if arguments.flag("json") {
      console.err(text)
      console.out(try JSONOutput.text(summary))
    } else if arguments.value("out") == "-" {
      console.err(text)
    } else {
      console.report(text)
    }
  }

  static func render(_ s: Summary) -> String {
    func pad(_ t: String, _ n: Int) -> String {
      t.count >= n ? t + " " : t + String(repeating: " ", count: n - t.count)
    }
    var out = "Plan for \(s.customers) customers as of \(s.asOf)"
    out += s.budget.map { String(format: ", budget %.2f", $0) } ?? ", no budget limit"
    out += "\nCustomer value: \(s.value)"
    out +=
      "\n\n" + pad("action", 18) + pad("customers", 11) + pad("capacity", 10) + pad("spend", 12)
      + pad("churn prevented", 17) + "expected net value\n"
    for t in s.actions {
      out += pad(t.action, 18) + pad(String(t.customers), 11) + pad(t.capacity.map(String.init) ?? "–", 10)
      out +=
        pad(String(format: "%.2f", t.spend), 12) + pad(String(format: "%.2f", t.churnPrevented), 17)
        + String(format: "%.2f", t.netValue) + "\n"
    }
    out += pad("total", 18) + pad(String(s.actions.reduce(0) { $0 + $1.customers }), 11) + pad("", 10)
    out +=
      pad(String(format: "%.2f", s.spend), 12)
      + pad(String(format: "%.2f", s.actions.reduce(0) { $0 + $1.churnPrevented }), 17)
    out += String(format: "%.2f", s.expectedNetValue) + "\n"
    if let r = s.reachability {
      out +=
        "\nProbably gone: \(r.probablyGone) customers have under a 50% chance of activity of their own within \(r.horizonDays)d (by stage and days silent); \(r.probablyGoneTreated) of them get an action. Each gain is scaled by that chance: \(r.sparedByReach) customers an action would pay for were they surely there get none"
        + String(format: " (spend %.2f not planned).\n", r.spendSpared)
    }
    out +=
      "\nValue per customer against no action on the training holdout (inverse propensity weighted, 95% interval):\n"
    for p in s.holdoutPolicyValues {
      out +=
        "  " + pad(p.policy, 32) + String(format: "%+.2f [%+.2f, %+.2f]\n", p.netValuePerCustomer, p.lower95, p.upper95)
    }
    if let t = s.truth {
      out += "\nTrue value from truth.json (the plan's customer values and costs):\n"
      for p in t.policies {
        out +=
          "  " + pad(p.policy, 26) + pad("\(p.customers) customers", 16)
          + String(format: "churn prevented %7.2f   net value %10.2f\n", p.trueChurnPrevented, p.trueNetValue)
      }
      out += String(format: "  the plan reaches %.1f%% of the oracle's value\n", t.shareOfOracle * 100)
    }
    return out
  }
}
