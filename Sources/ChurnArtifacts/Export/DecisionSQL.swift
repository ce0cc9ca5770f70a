import ChurnData
import ChurnDecisions
import ChurnModels
import Foundation

/// The next best action as SQL (`export --format sql-decide`): from the
/// events table, each customer's features (the feature query), then per
/// action its eligibility (stage, conditions, cooldown), churn without and
/// with it over the horizon, expected uplift and net value, and the best
/// and runner-up actions, as `churnkit score` decides them one customer at
/// a time. Capacities and budgets stay in `churnkit recommend`.
///
/// Each learner says in SQL what it says in `outlook`: the hazard learner
/// (the default) chains its period hazards over the horizon with each
/// action's shrunk log-odds effect working for its duration; the S-learner
/// adds the shrunk effect to each action's model's log-odds; the T-learner
/// shrinks the difference of its two models toward the stage's effect.
public enum DecisionSQL {
  public enum Failure: Error, CustomStringConvertible {
    case noActions

    public var description: String {
      "the model has no actions: train it with --actions to export its decisions as SQL"
    }
  }

  public static func decisions(_ model: ChurnModel, cutoff: Cutoff, dialect: ModelExport.Dialect) throws -> String {
    guard var uplift = model.uplift else { throw Failure.noActions }
    try uplift.bind(features: model.features)
    let features = try FeatureSQL.features(model, cutoff: cutoff, dialect: dialect)
    let outlook: any OutlookSQL =
      switch uplift.learner {
      case .hazard(let fit): HazardOutlookSQL(fit: fit)
      case .s(let fit): SLearnerOutlookSQL(fit: fit)
      case .t(let fit): TLearnerOutlookSQL(fit: fit)
      case .dr(let fit): DROutlookSQL(fit: fit)
      }
    let query = DecisionQuery(
      model: model, uplift: uplift, columns: try uplift.columns(for: model.features), outlook: outlook,
      names: model.features,
      dialect: dialect)
    return "-- ChurnKit: next best action at \(cutoff) from the events table (\(dialect.rawValue)).\n"
      + "WITH \(ModelExport.identifier("features", dialect)) AS (\n\(features)\n),\n" + query.body() + ";\n"
  }
}

/// The decision query's parts over the `features` CTE.
struct DecisionQuery {
  let model: ChurnModel
  let uplift: UpliftModel
  let columns: UpliftModel.Columns
  let outlook: any OutlookSQL
  let names: [String]
  let dialect: ModelExport.Dialect

  var actions: [ActionCatalog.Action] { uplift.catalog.actions }
  func q(_ name: String) -> String { ModelExport.identifier(name, dialect) }
  func n(_ v: Double) -> String { ModelExport.doubleLiteral(v) }
  func lit(_ s: String) -> String { ModelExport.textLiteral(s) }
  func x(_ j: Int) -> String { "f.\(q(names[j]))" }
  var doubleType: String { dialect == .postgres ? "DOUBLE PRECISION" : "DOUBLE" }
  var least: String { dialect == .sqlite ? "MIN" : "LEAST" }
  var greatest: String { dialect == .sqlite ? "MAX" : "GREATEST" }
  /// 1 − logistic(η) = 1 / (1 + e^η), η clamped where EXP would overflow.
  func survival(_ eta: String) -> String { "1.0 / (1.0 + EXP(\(least)(\(greatest)(\(eta), -700.0), 700.0)))" }

  func body() -> String {
    """
    d0 AS (
      SELECT f.\(q("customer_id")) AS customer_id, f.\(q("cutoff")) AS cutoff,
        \(stage()) AS stage_index,
        \(churnProbability()) AS churn_probability,
        \(valueColumns()),
        \(silenceColumn()) AS silence,
        \((outlook.featureColumns(self) + [eligibility()]).joined(separator: ",\n    "))
      FROM \(q("features")) AS f
    ),
    d1 AS (
      SELECT d0.*,
        \(conversionColumns()),
        \(reachColumn()) AS reach\(outlook.effectColumns(self).map { ",\n    " + $0 }.joined())
      FROM d0
    ),
    d2 AS (
      SELECT d1.*\(outlook.churnColumns(self).map { ",\n    " + $0 }.joined())
      FROM d1
    ),
    d3 AS (
      SELECT d2.*\(actions.indices.map { a in ",\n    churn_without_\(a) - churn_with_\(a) AS uplift_\(a),\n    (churn_without_\(a) - churn_with_\(a)) * reach * value - \(n(actions[a].cost)) AS net_\(a)" }.joined())
      FROM d2
    ),
    options AS (
      \(actions.indices.map { a in "SELECT customer_id, \(a) AS a, eligible_\(a) AS eligible, uplift_\(a) AS uplift, net_\(a) AS net FROM d3" }.joined(separator: "\n  UNION ALL "))
    ),
    ranked AS (
      SELECT customer_id, a, uplift, net,
        ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY net DESC, a ASC) AS r
      FROM options WHERE eligible = 1
    )
    SELECT d3.customer_id AS \(q("customer_id")), d3.cutoff AS \(q("cutoff")),
      \(stageName("d3.stage_index")) AS \(q("stage")), d3.churn_probability AS \(q("churn_probability")),
      CASE WHEN r1.net > 0 THEN \(actionName("r1.a")) ELSE 'none' END AS \(q("next_best_action")),
      CASE WHEN r1.net > 0 THEN r1.uplift ELSE 0.0 END AS \(q("expected_uplift")),
      CASE WHEN r1.net > 0 THEN r1.net ELSE 0.0 END AS \(q("expected_net_value")),
      CASE WHEN r1.net > 0 THEN ABS(r1.uplift) * d3.reach * d3.value_se END AS \(q("expected_net_value_se")),
      d3.value AS \(q("customer_value")), d3.value_se AS \(q("customer_value_se")), d3.reach AS \(q("reachable")),
      CASE WHEN r1.net > 0 THEN \(actionName("r2.a")) ELSE \(actionName("r1.a")) END AS \(q("runner_up_action")),
      \(perActionColumns())
    FROM d3
      LEFT JOIN ranked AS r1 ON r1.customer_id = d3.customer_id AND r1.r = 1
      LEFT JOIN ranked AS r2 ON r2.customer_id = d3.customer_id AND r2.r = 2
    ORDER BY d3.customer_id
    """
  }

  /// Per action: churn without and with it, and (NULL where it may not be
  /// given) its uplift and net value.
  func perActionColumns() -> String {
    actions.enumerated().flatMap { a, action in
      [
        "d3.churn_without_\(a) AS \(q("churn_without_\(action.id)"))",
        "d3.churn_with_\(a) AS \(q("churn_with_\(action.id)"))",
        "CASE WHEN d3.eligible_\(a) = 1 THEN d3.uplift_\(a) END AS \(q("uplift_\(action.id)"))",
        "CASE WHEN d3.eligible_\(a) = 1 THEN d3.net_\(a) END AS \(q("net_value_\(action.id)"))",
      ]
    }.joined(separator: ",\n  ")
  }

  /// The churn model's probability, as `churnkit score` gives it.
  func churnProbability() -> String {
    var linear = n(model.fit.intercept)
    for (name, b) in zip(model.fit.featureNames, model.fit.coefficients) where b != 0 {
      linear += "\n      + \(n(b)) * f.\(q(name))"
    }
    return logistic(linear)
  }

  /// The stage's name of an index expression (NULL for NULL).
  func stageName(_ index: String) -> String {
    "CASE \(index)" + uplift.stages.enumerated().map { " WHEN \($0) THEN \(lit($1))" }.joined() + " END"
  }

  /// The action id of an index expression (NULL for NULL).
  func actionName(_ index: String) -> String {
    "CASE \(index)" + actions.enumerated().map { " WHEN \($0) THEN \(lit($1.id))" }.joined() + " END"
  }

  /// The stage's position: the first `stage_*` one-hot that is 1, else NULL.
  func stage() -> String {
    let cases = columns.stages.enumerated().compactMap { s, j in j.map { " WHEN \(x($0)) = 1 THEN \(s)" } }
    return cases.isEmpty ? "CAST(NULL AS INTEGER)" : "CASE" + cases.joined() + " END"
  }

  /// A fit's log-odds over the features alone (terms 1…p in order; the
  /// terms after them are actions' and are 0 here).
  func logOdds(_ fit: LogisticRegressionFit) -> String {
    var eta = n(fit.terms[0].coefficient)
    for j in names.indices where j + 1 < fit.terms.count {
      eta += "\n      + \(n(fit.terms[j + 1].coefficient)) * \(x(j))"
    }
    return eta
  }

  /// logistic(η), η clamped where EXP would overflow.
  func logistic(_ eta: String) -> String { "1.0 / (1.0 + EXP(-\(least)(\(greatest)(\(eta), -700.0), 700.0)))" }

  /// An action's log-odds effect δ = β_base + Σ β_k x_k (its term, then
  /// one term per effect modifier) and its variance cᵀ V c, c = (1, x_k…),
  /// as columns `delta_a` and `variance_a`.
  func linearEffect(_ fit: LogisticRegressionFit, at base: Int, modifiers: [String], action a: Int) -> [String] {
    let list = [(base, nil)] + modifiers.enumerated().map { k, name in (base + 1 + k, names.firstIndex(of: name)) }
    let delta = list.map { t, j in n(fit.terms[t].coefficient) + (j.map { " * \(x($0))" } ?? "") }
    var variance: [String] = []
    for (ti, ji) in list {
      for (tj, jj) in list {
        variance.append(
          ([n(fit.covariance[ti][tj])] + [ji.map(x), jj.map(x)].compactMap { $0 }).joined(separator: " * "))
      }
    }
    return [
      delta.joined(separator: " + ") + " AS delta_\(a)",
      "\(greatest)(\(variance.joined(separator: " + ")), 0.0) AS variance_\(a)",
    ]
  }

  /// The effect of action `a` when it has no model of its own, or the
  /// T-learner's shrinkage target: the stage's effect (overall without a
  /// stage); and the weight the customer's own estimate gets.
  func stagePrior(_ a: Int) -> String {
    let effects = uplift.effects[a]
    return "CASE d0.stage_index" + effects.stages.enumerated().map { " WHEN \($0) THEN \(n($1.prior))" }.joined()
      + " ELSE \(n(effects.overall)) END"
  }

  func stageWeight(_ a: Int) -> String {
    "CASE d0.stage_index"
      + uplift.effects[a].stages.enumerated().map { " WHEN \($0) THEN \(n($1.customerWeight))" }
      .joined() + " ELSE 0.0 END"
  }

  /// δ_s + w (δ − δ_s), w = σ² / (σ² + v); δ_s the stage's log-odds prior
  /// (δ itself without one).
  func shrunk(_ a: Int) -> String {
    let effects = uplift.effects[a]
    let sigma2 = n(effects.heterogeneityVariance)
    var prior = "CASE d0.stage_index"
    for (s, stage) in effects.stages.enumerated() {
      if let p = stage.logOddsPrior { prior += " WHEN \(s) THEN \(n(p))" }
    }
    prior += " ELSE d0.delta_\(a) END"
    let weight =
      "CASE WHEN \(sigma2) + d0.variance_\(a) > 0 THEN \(sigma2) / (\(sigma2) + d0.variance_\(a)) ELSE 0.0 END"
    return "(\(prior)) + (\(weight)) * (d0.delta_\(a) - (\(prior)))"
  }

  /// 1 when the action may be given: its stages, its conditions, its cooldown.
  func eligibility() -> String {
    actions.enumerated().map { a, action in
      var tests: [String] = []
      if !action.eligibleStages.isEmpty {
        let allowed = uplift.stages.enumerated().filter { action.eligibleStages.contains($1) }.map { String($0.offset) }
        tests.append(allowed.isEmpty ? "1 = 0" : "(\(stage())) IN (\(allowed.joined(separator: ", ")))")
      }
      for (condition, j) in zip(action.conditions, columns.conditions[a]) {
        tests.append("\(x(j)) \(sqlOperator(condition.op)) \(n(condition.value))")
      }
      if action.cooldownDays > 0, let j = columns.daysSinceTreatment[a] {
        tests.append("\(x(j)) >= \(n(Double(action.cooldownDays)))")
      }
      let all = tests.isEmpty ? "1 = 1" : tests.joined(separator: " AND ")
      return "CASE WHEN \(all) THEN 1 ELSE 0 END AS eligible_\(a)"
    }.joined(separator: ",\n    ")
  }

  func sqlOperator(_ op: ActionCatalog.Condition.Operator) -> String {
    switch op {
    case .less: "<"
    case .lessOrEqual: "<="
    case .greater: ">"
    case .greaterOrEqual: ">="
    case .equal: "="
    case .notEqual: "<>"
    }
  }

  /// Days since the customer's last event of their own (`Reachability`;
  /// NULL without one).
  func silenceColumn() -> String {
    guard !columns.silence.isEmpty else { return "CAST(NULL AS \(doubleType))" }
    let each = columns.silence.map(x)
    return each.count == 1 ? each[0] : "\(least)(\(each.joined(separator: ", ")))"
  }

  /// The chance the customer is still reachable, over `d0`: the
  /// reachability's share for their stage and silence bin (1.0 without one).
  func reachColumn() -> String {
    guard let reach = uplift.reachability else { return "CAST(1.0 AS \(doubleType))" }
    let lower = [0] + Reachability.binEnds
    func byBin(_ stage: Int?) -> String {
      var text = "CASE"
      for (b, end) in Reachability.binEnds.enumerated() {
        text += " WHEN silence < \(n(end)) THEN \(n(reach.probability(silenceDays: lower[b], stage: stage)))"
      }
      return text + " ELSE \(n(reach.probability(silenceDays: lower[lower.count - 1], stage: stage))) END"
    }
    var text = "CAST(CASE"
    for s in uplift.stages.indices { text += "\n      WHEN stage_index = \(s) THEN \(byBin(s))" }
    return text + "\n      ELSE \(byBin(nil)) END AS \(doubleType))"
  }

  /// The value over `d0`: the catalog's conversion value for the stage
  /// where the customer has none yet (its standard error then NULL).
  func conversionColumns() -> String {
    let converted = uplift.stages.enumerated().compactMap { s, name in
      uplift.catalog.conversionValues[name].map { (s, $0) }
    }
    guard !converted.isEmpty else { return "base_value AS value, base_value_se AS value_se" }
    let test = "base_value <= 0.0 AND stage_index IN (\(converted.map { String($0.0) }.joined(separator: ", ")))"
    let values = converted.map { " WHEN \($0.0) THEN \(n($0.1))" }.joined()
    return
      "CASE WHEN \(test) THEN CAST(CASE stage_index\(values) END AS \(doubleType)) ELSE base_value END AS value,\n    CASE WHEN \(test) THEN CAST(NULL AS \(doubleType)) ELSE base_value_se END AS value_se"
  }

  /// The customer's value and its standard error before conversion values, as `CustomerValue`.
  func valueColumns() -> String {
    let value = uplift.value
    let stageIndex = "(\(stage()))"
    if value.source == .feature, let j = names.firstIndex(of: value.feature ?? "") {
      let raw = x(j)
      let plain =
        (value.feature ?? "").hasPrefix("log1p_")
        ? "CASE WHEN \(raw) < 0 THEN 1.0 - EXP(-\(raw)) ELSE EXP(\(raw)) - 1.0 END" : raw
      return "\(plain) AS base_value, CAST(NULL AS \(doubleType)) AS base_value_se"
    }
    let amountName = names.contains("amount_sum_365d") ? "amount_sum_365d" : "log1p_amount_sum_365d"
    let rawAmount = x(names.firstIndex(of: amountName)!)
    let amount =
      amountName.hasPrefix("log1p_")
      ? "CASE WHEN \(rawAmount) < 0 THEN 1.0 - EXP(-\(rawAmount)) ELSE EXP(\(rawAmount)) - 1.0 END" : rawAmount
    let tenure = x(names.firstIndex(of: "days_since_first_event")!)
    let perDay = "\(greatest)(0.0, \(amount)) / \(greatest)(30.0, \(least)(365.0, \(tenure)))"
    var days = "CASE \(stageIndex)"
    for (s, d) in value.expectedDays.enumerated() { days += " WHEN \(s) THEN \(n(d))" }
    days += " ELSE \(n(value.expectedDaysWithoutStage)) END"
    var se = "CAST(NULL AS \(doubleType))"
    if let errors = value.expectedDaysStandardError, let without = value.expectedDaysWithoutStageStandardError {
      se = "CASE \(stageIndex)"
      for (s, e) in errors.enumerated() { se += " WHEN \(s) THEN \(n(e))" }
      se += " ELSE \(n(without)) END"
      se = "(\(perDay)) * (\(se))"
    }
    return "(\(perDay)) * (\(days)) AS base_value, \(se) AS base_value_se"
  }
}

/// What a learner's `outlook` says, in SQL: columns over the features `f`
/// (in `d0`, beside `stage_index` and the value), then over `d0` (`d1`),
/// then `churn_without_a` and `churn_with_a` for every action (`d2`).
protocol OutlookSQL {
  func featureColumns(_ q: DecisionQuery) -> [String]
  func effectColumns(_ q: DecisionQuery) -> [String]
  func churnColumns(_ q: DecisionQuery) -> [String]
}

/// The hazard learner: the period hazards chained over the horizon, actions
/// already given working until their effect runs out, and each action's
/// shrunk log-odds effect added in proportion to the share of each period
/// it works (`HazardLearnerFit.outlook`).
struct HazardOutlookSQL: OutlookSQL {
  let fit: HazardLearnerFit

  func featureColumns(_ q: DecisionQuery) -> [String] {
    var columns = ["\(q.logOdds(fit.model)) AS base"]
    var term = q.names.count + 1
    for a in q.actions.indices {
      columns += q.linearEffect(fit.model, at: term, modifiers: fit.effectModifiers[a], action: a)
      term += 1 + fit.effectModifiers[a].count
      columns.append(
        "\(q.columns.daysSinceTreatment[a].map(q.x) ?? "CAST(NULL AS \(q.doubleType))") AS days_ago_\(a)")
    }
    return columns
  }

  func effectColumns(_ q: DecisionQuery) -> [String] { q.actions.indices.map { "\(q.shrunk($0)) AS effect_\($0)" } }

  func churnColumns(_ q: DecisionQuery) -> [String] {
    let without = churn(q, given: nil)
    return q.actions.indices.flatMap { a in
      ["\(without) AS churn_without_\(a)", "\(churn(q, given: a)) AS churn_with_\(a)"]
    }
  }

  /// 1 − Π_k (1 − h_k)^(len_k / P), with action `given` given today.
  private func churn(_ q: DecisionQuery, given: Int?) -> String {
    let period = Double(fit.periodDays), horizon = Double(q.uplift.horizonDays)
    let (least, greatest, n) = (q.least, q.greatest, q.n)
    var factors: [String] = []
    var start = 0.0
    while start < horizon {
      let end = min(start + period, horizon)
      var eta = "base"
      for b in q.actions.indices {
        let effect = Double(fit.effectDays[b])
        // exposure(start, end, d, effect) = max(0, min(end, effect − d) − max(start, −d)) / P
        var exposure =
          "COALESCE(\(greatest)(0.0, \(least)(\(n(end)), \(n(effect)) - days_ago_\(b)) - \(greatest)(\(n(start)), -days_ago_\(b))) / \(n(period)), 0.0)"
        if given == b {
          let now = HazardLearnerFit.exposure(
            period: start, end, givenDaysAgo: 0, effectDays: effect, periodDays: period)
          exposure = "(\(exposure) + \(n(now)))"
        }
        eta += " + \(exposure) * effect_\(b)"
      }
      factors.append("POWER(\(q.survival(eta)), \(n((end - start) / period)))")
      start = end
    }
    return "1.0 - " + factors.joined(separator: "\n      * ")
  }
}

/// The S-learner: each action's model without the action (its log-odds
/// over the features), then with its shrunk effect added; an action
/// without a model takes its stage's effect off the control model's churn.
struct SLearnerOutlookSQL: OutlookSQL {
  let fit: SLearnerFit

  func featureColumns(_ q: DecisionQuery) -> [String] {
    ["\(q.logOdds(fit.control)) AS base"]
      + q.actions.indices.flatMap { a in
        guard let treated = fit.treated[a] else { return [String]() }
        return ["\(q.logOdds(treated)) AS eta_\(a)"]
          + q.linearEffect(treated, at: q.names.count + 1, modifiers: fit.effectModifiers[a], action: a)
      }
  }

  func effectColumns(_ q: DecisionQuery) -> [String] {
    q.actions.indices.compactMap { fit.treated[$0] == nil ? nil : "\(q.shrunk($0)) AS effect_\($0)" }
  }

  func churnColumns(_ q: DecisionQuery) -> [String] {
    q.actions.indices.flatMap { a in
      fit.treated[a] == nil
        ? [
          "\(q.logistic("base")) AS churn_without_\(a)",
          "\(q.logistic("base")) - (\(q.stagePrior(a).replacingOccurrences(of: "d0.", with: ""))) AS churn_with_\(a)",
        ]
        : [
          "\(q.logistic("eta_\(a)")) AS churn_without_\(a)",
          "\(q.logistic("eta_\(a) + effect_\(a)")) AS churn_with_\(a)",
        ]
    }
  }
}

/// The T-learner: the control and each action's model, their difference
/// shrunk toward the stage's effect by the stage's customer weight.
struct TLearnerOutlookSQL: OutlookSQL {
  let fit: TLearnerFit

  func featureColumns(_ q: DecisionQuery) -> [String] {
    ["\(q.logOdds(fit.control)) AS base"]
      + q.actions.indices.compactMap { a in fit.treated[a].map { "\(q.logOdds($0)) AS eta_\(a)" } }
  }

  func effectColumns(_ q: DecisionQuery) -> [String] {
    q.actions.indices.map { a in
      let prior = q.stagePrior(a)
      guard fit.treated[a] != nil else { return "\(prior) AS uplift_estimate_\(a)" }
      let difference = "\(q.logistic("d0.base")) - \(q.logistic("d0.eta_\(a)"))"
      return "(\(prior)) + (\(q.stageWeight(a))) * (\(difference) - (\(prior))) AS uplift_estimate_\(a)"
    }
  }

  func churnColumns(_ q: DecisionQuery) -> [String] {
    q.actions.indices.flatMap { a in
      [
        "\(q.logistic("base")) AS churn_without_\(a)",
        "\(q.logistic("base")) - uplift_estimate_\(a) AS churn_with_\(a)",
      ]
    }
  }
}

/// The DR learner: churn without an action from the control model, each
/// action's effect a linear function of its features shrunk toward the
/// stage's effect, kept where churn with it stays a probability
/// (`DRLearnerFit.outlook`).
struct DROutlookSQL: OutlookSQL {
  let fit: DRLearnerFit

  func featureColumns(_ q: DecisionQuery) -> [String] {
    ["\(q.logOdds(fit.control)) AS base"]
      + q.actions.indices.compactMap { a in
        fit.effects[a].map { e in
          var sum = q.n(e.intercept)
          for (name, c) in zip(e.features, e.coefficients) {
            sum += "\n      + \(q.n(c)) * \(q.x(q.names.firstIndex(of: name)!))"
          }
          return "\(sum) AS raw_\(a)"
        }
      }
  }

  func effectColumns(_ q: DecisionQuery) -> [String] {
    q.actions.indices.map { a in
      let prior = q.stagePrior(a)
      guard fit.effects[a] != nil else { return "\(prior) AS uplift_estimate_\(a)" }
      let shrunk = "(\(prior)) + (\(q.stageWeight(a))) * (d0.raw_\(a) - (\(prior)))"
      let without = q.logistic("d0.base")
      return "\(q.least)(\(q.greatest)(\(shrunk), \(without) - 1.0), \(without)) AS uplift_estimate_\(a)"
    }
  }

  func churnColumns(_ q: DecisionQuery) -> [String] {
    q.actions.indices.flatMap { a in
      [
        "\(q.logistic("base")) AS churn_without_\(a)",
        "\(q.logistic("base")) - uplift_estimate_\(a) AS churn_with_\(a)",
      ]
    }
  }
}
