import ByteStreams
import ChurnIO
import ChurnModels
import Foundation

/// The holdout evaluation of a fitted uplift model: ranking per action and
/// the value of policies, and the rows behind them.
extension UpliftTrainer {
  /// The holdout rows as the evaluation saw them: what was done, what
  /// happened, and each action's predicted uplift.
  public struct HoldoutPredictions: Sendable {
    public var actions: [String]
    public var customers: [String] = []
    /// The action given (an id, or "none").
    public var given: [String] = []
    public var churned: [Bool] = []
    /// Per row and action: whether the row's stage admits the action, and its predicted uplift.
    public var stageAdmits: [[Bool]] = []
    public var uplift: [[Double]] = []

    /// Writes `customer_id,action,churned` and per action `admits_<id>,uplift_<id>` (atomically).
    public func write(to path: String) throws {
      let writer = try AtomicFileWriter(path: path)
      try writer.write(csvText())
      try writer.commit()
    }

    /// The CSV `write(to:)` writes.
    public func csvText() -> String {
      var text =
        "customer_id,action,churned,"
        + actions.map { id in CSVFormatting.escape("admits_\(id)") + "," + CSVFormatting.escape("uplift_\(id)") }
        .joined(separator: ",") + "\n"
      for i in customers.indices {
        text += "\(CSVFormatting.escape(customers[i])),\(CSVFormatting.escape(given[i])),\(churned[i] ? 1 : 0)"
        for a in actions.indices { text += ",\(stageAdmits[i][a] ? 1 : 0),\(uplift[i][a])" }
        text += "\n"
      }
      return text
    }
  }

  /// Ranking per action (Qini, AUUC) and policy values on the holdout rows.
  func evaluate(
    _ model: UpliftModel, rows: [Row], names: [String], baseline: ChurnBaseline,
    propensity: (Int, Row) -> Double
  ) throws -> (UpliftModel.UpliftEvaluation, HoldoutPredictions) {
    let columns = try model.columns(for: names)
    let holdout = HoldoutDecisions(rows: rows, decisions: rows.map { model.decide(features: $0.x, columns: columns) })
    let policies = comparedPolicies(holdout, model: model, baseline: baseline)
    return (
      UpliftModel.UpliftEvaluation(
        holdout: "\(holdoutFraction) of customers (seed \(seed)): \(rows.count) rows", actions: rankings(holdout),
        policies: values(of: policies, on: holdout, propensity: propensity)),
      predictions(holdout)
    )
  }

  /// The holdout rows with the model's decision for each.
  struct HoldoutDecisions {
    let rows: [Row]
    let decisions: [UpliftModel.Decision]

    /// Whether row `i`'s stage admits action `a` (other rules aside).
    func admits(_ i: Int, _ a: Int) -> Bool {
      decisions[i].options[a].ineligibleBecause.map { $0.hasPrefix("not for stage") } != true
    }
  }

  private func predictions(_ holdout: HoldoutDecisions) -> HoldoutPredictions {
    var predictions = HoldoutPredictions(actions: catalog.actions.map(\.id))
    for (i, row) in holdout.rows.enumerated() {
      predictions.customers.append(row.customer)
      predictions.given.append(row.action >= 0 ? catalog.actions[row.action].id : "none")
      predictions.churned.append(row.churned)
      predictions.stageAdmits.append((0..<catalog.actions.count).map { holdout.admits(i, $0) })
      predictions.uplift.append(holdout.decisions[i].options.map(\.uplift))
    }
    return predictions
  }

  /// Per action, the uplift curve of its treated rows against the controls
  /// its stages admit, ranked by predicted uplift.
  private func rankings(_ holdout: HoldoutDecisions) -> [UpliftModel.ActionRanking] {
    let rows = holdout.rows
    var rankings: [UpliftModel.ActionRanking] = []
    for a in 0..<catalog.actions.count {
      let part = rows.indices.filter { rows[$0].action == a || (rows[$0].action == -1 && holdout.admits($0, a)) }
      let treatedCount = part.filter { rows[$0].action == a }.count
      guard treatedCount > 0, treatedCount < part.count else { continue }
      let curve = UpliftCurve(
        outcomes: part.map { rows[$0].churned ? 0 : 1 }, scores: part.map { holdout.decisions[$0].options[a].uplift },
        treated: part.map { rows[$0].action == a })
      let n = curve.targeted.last ?? 1
      let picks = (0...20).map { k -> Int in
        let target = n * Double(k) / 20
        return curve.targeted.firstIndex { $0 >= target } ?? curve.targeted.count - 1
      }
      rankings.append(
        UpliftModel.ActionRanking(
          action: catalog.actions[a].id, treatedRows: treatedCount, controlRows: part.count - treatedCount,
          qiniCoefficient: curve.qiniCoefficient, upliftAUC: curve.upliftAUC,
          curveTargeted: picks.map { curve.targeted[$0] / n }, curveQini: picks.map { curve.qini[$0] },
          curveUplift: picks.map { curve.uplift[$0] }))
    }
    return rankings
  }

  /// A policy judged on the holdout: the probability it gives row `i`'s
  /// logged action (index `actions` = none), and the share it treats.
  struct ComparedPolicy {
    let name: String
    let treatedShare: Double
    let probabilityOfLogged: (Int) -> Double
  }

  /// The model's recommendations, no action (the baseline), a random
  /// eligible action or none, and treating the highest risks (as many as
  /// the model treats) with the action best on average.
  private func comparedPolicies(
    _ holdout: HoldoutDecisions, model: UpliftModel, baseline: ChurnBaseline
  ) -> [ComparedPolicy] {
    let rows = holdout.rows, decisions = holdout.decisions
    let none = catalog.actions.count
    func logged(_ row: Row) -> Int { row.action >= 0 ? row.action : none }
    let recommended: [Int] = decisions.map { $0.action ?? none }
    let eligibleActions: [[Int]] = decisions.map { d in d.options.filter { $0.ineligibleBecause == nil }.map(\.action) }
    let predictor = baseline.predictor
    let risk = rows.map { predictor.probability($0.x) }
    let treatCount = recommended.filter { $0 != none }.count
    let bestOverall: [Int?] = eligibleActions.map { list in
      list.max { (model.effects[$0].overall, -$0) < (model.effects[$1].overall, -$1) }
    }
    var highestRisk = [Int](repeating: none, count: rows.count)
    for i in rows.indices.filter({ bestOverall[$0] != nil }).sorted(by: { (risk[$0], -$0) > (risk[$1], -$1) }).prefix(
      treatCount)
    {
      highestRisk[i] = bestOverall[i]!
    }
    let n = Double(max(rows.count, 1))
    return [
      ComparedPolicy(name: "recommended", treatedShare: Double(treatCount) / n) { i in
        recommended[i] == logged(rows[i]) ? 1 : 0
      },
      ComparedPolicy(name: "no action", treatedShare: 0) { i in logged(rows[i]) == none ? 1 : 0 },
      ComparedPolicy(
        name: "random eligible action or none",
        treatedShare: eligibleActions.reduce(0) { $0 + Double($1.count) / Double($1.count + 1) } / n
      ) { i in
        let a = logged(rows[i])
        return a == none || eligibleActions[i].contains(a) ? 1 / Double(eligibleActions[i].count + 1) : 0
      },
      ComparedPolicy(
        name: "treat the highest risk", treatedShare: Double(highestRisk.filter { $0 != none }.count) / n
      ) { i in highestRisk[i] == logged(rows[i]) ? 1 : 0 },
    ]
  }

  /// Each policy's net value and churn prevented per customer against no
  /// action, by inverse propensity weighting (self-normalised), with 95%
  /// intervals from a bootstrap over customers. `policies[1]` is no action.
  private func values(
    of policies: [ComparedPolicy], on holdout: HoldoutDecisions, propensity: (Int, Row) -> Double
  ) -> [UpliftModel.PolicyValue] {
    let rows = holdout.rows
    let m = catalog.actions.count
    func loggingProbability(_ row: Row) -> Double {
      if row.action >= 0 { return propensity(row.action, row) }
      let any = (0..<m).reduce(0) { $0 + propensity($1, row) }
      return max(1 - any, propensityClip)
    }
    let values = holdout.decisions.map(\.value)
    let costs = catalog.actions.map(\.cost) + [0]
    let p = rows.map(loggingProbability)
    let reward = rows.indices.map { i in
      -(rows[i].churned ? values[i] : 0) - costs[rows[i].action >= 0 ? rows[i].action : m]
    }
    let churn = rows.map { $0.churned ? 1.0 : 0.0 }
    func estimate(_ members: [Int], _ pi: (Int) -> Double) -> (value: Double, churn: Double) {
      var w = 0.0, v = 0.0, c = 0.0
      for i in members {
        let weight = pi(i) / p[i]
        w += weight
        v += weight * reward[i]
        c += weight * churn[i]
      }
      return w > 0 ? (v / w, c / w) : (0, 0)
    }
    // Treated rows whose stage at the snapshot did not admit their action
    // (they moved stage before the treatment) have no logging probability.
    let all = rows.indices.filter { p[$0] > 0 }
    let baseline = estimate(all, policies[1].probabilityOfLogged)
    let replicates = bootstrapDifferences(rows: rows, weighted: p, policies: policies) { estimate($0, $1).value }
    return policies.enumerated().map { k, policy in
      let e = estimate(all, policy.probabilityOfLogged)
      let interval = Quantiles.linear(replicates[k], at: [0.025, 0.975])
      return UpliftModel.PolicyValue(
        policy: policy.name, treatedShare: policy.treatedShare, netValuePerCustomer: e.value - baseline.value,
        lower95: interval.first ?? .nan, upper95: interval.last ?? .nan,
        churnPreventedPerCustomer: baseline.churn - e.churn)
    }
  }

  /// Per policy, its `value` less no action's (`policies[1]`) on each
  /// bootstrap resample of the customers (their rows with a logging
  /// probability, kept together).
  private func bootstrapDifferences(
    rows: [Row], weighted p: [Double], policies: [ComparedPolicy], value: ([Int], (Int) -> Double) -> Double
  ) -> [[Double]] {
    var groups: [String: [Int]] = [:]
    for (i, row) in rows.enumerated() where p[i] > 0 { groups[row.customer, default: []].append(i) }
    let keys = groups.keys.sorted()
    var replicates = [[Double]](repeating: [], count: policies.count)
    var rng = SplitMix64(seed: seed)
    for _ in 0..<bootstrapReplicates {
      var members: [Int] = []
      for _ in keys.indices { members += groups[keys[Int(rng.next() % UInt64(keys.count))]]! }
      let base = value(members, policies[1].probabilityOfLogged)
      for (k, policy) in policies.enumerated() {
        replicates[k].append(value(members, policy.probabilityOfLogged) - base)
      }
    }
    return replicates
  }
}
