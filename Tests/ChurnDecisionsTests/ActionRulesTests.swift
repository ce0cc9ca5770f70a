import ChurnDecisions
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import LinearAlgebra
import Testing

/// The catalog's rules (stages, conditions, cooldowns) and what decisions do
/// with them, on random catalogs and customers.
struct ActionRulesTests {
  static let names = [
    "stage_a", "stage_b", "stage_churned", "days_since_treatment_x", "days_since_treatment_y", "days_since_treatment_z",
    "amount_sum_365d", "days_since_first_event", "f",
  ]
  static let stages = ["a", "b", "churned"]

  /// A small fitted logistic model over `names` (random data, fixed seed).
  static func fit(seed: UInt64, columns: [String]) throws -> LogisticRegressionFit {
    var rng = SplitMix64(seed: seed)
    let n = 300
    var rows: [[Double]] = []
    var y: [Double] = []
    for _ in 0..<n {
      var x = columns.map { _ in rng.nextUniform() * 2 }
      if let a = columns.firstIndex(of: "stage_a"), let b = columns.firstIndex(of: "stage_b") {
        let s = rng.next() % 2
        x[a] = s == 0 ? 1 : 0
        x[b] = s == 1 ? 1 : 0
        if let c = columns.firstIndex(of: "stage_churned") { x[c] = 0 }
      }
      rows.append(x)
      y.append(rng.nextUniform() < 0.3 ? 1 : 0)
    }
    return try LogisticRegression(l2: 1).fit(Matrix(rowMajor: rows), y, featureNames: columns)
  }

  static func randomCatalog(_ rng: inout SplitMix64) -> ActionCatalog {
    let ids = ["x", "y", "z"].prefix(1 + Int(rng.next() % 3))
    return ActionCatalog(
      actions: ids.map { id in
        ActionCatalog.Action(
          id: id, cost: Double(rng.next() % 30),
          eligibleStages: rng.next() % 3 == 0 ? [] : [stages[Int(rng.next() % 2)]],
          conditions: rng.next() % 2 == 0
            ? []
            : [
              ActionCatalog.Condition(
                feature: "f", op: ActionCatalog.Condition.Operator.allCases[Int(rng.next() % 6)],
                value: rng.nextUniform() * 2)
            ],
          cooldownDays: Int(rng.next() % 60), capacity: Int(rng.next() % 5))
      })
  }

  @Test func decisionsNeverBreakARule() throws {
    var rng = SplitMix64(seed: 3)
    let control = try Self.fit(seed: 1, columns: Self.names)
    for trial in 0..<40 {
      let catalog = Self.randomCatalog(&rng)
      let m = catalog.actions.count
      var treated: [LogisticRegressionFit?] = []
      for a in 0..<m { treated.append(try Self.fit(seed: UInt64(10 + trial * 3 + a), columns: Self.names)) }
      let model = UpliftModel(
        catalog: catalog, horizonDays: 90, windowDays: 14, assignment: .random,
        learner: .t(TLearnerFit(control: control, treated: treated)),
        effects: catalog.actions.map { a in
          UpliftModel.ActionEffects(
            action: a.id, treatedRows: 50, overall: 0.02, overallStandardError: 0.01,
            stages: Self.stages.map {
              UpliftModel.StageEffect(stage: $0, treatedRows: 10, controlRows: 10, prior: 0.02, customerWeight: 0.5)
            },
            heterogeneityVariance: 0.001)
        },
        value: CustomerValue(
          source: .revenue, expectedDays: [400, 500, 0], expectedDaysWithoutStage: 450, horizonDays: 1095),
        propensity: [], evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []),
        stages: Self.stages)
      let columns = try model.columns(for: Self.names)
      var customers: [[Double]] = []
      for _ in 0..<60 {
        var x = Self.names.map { _ in rng.nextUniform() }
        let s = Int(rng.next() % 3)  // 2: no stage
        x[0] = s == 0 ? 1 : 0
        x[1] = s == 1 ? 1 : 0
        x[2] = 0
        for j in 3...5 { x[j] = Double(rng.next() % 120) }
        x[6] = Double(rng.next() % 2000)
        x[7] = Double(rng.next() % 700)
        x[8] = rng.nextUniform() * 2
        customers.append(x)
      }
      var decisions: [UpliftModel.Decision] = []
      for x in customers {
        let d = model.decide(features: x, columns: columns)
        decisions.append(d)
        let stage: String? = x[0] == 1 ? "a" : (x[1] == 1 ? "b" : nil)
        for (a, action) in catalog.actions.enumerated() {
          let allowed =
            (action.eligibleStages.isEmpty || stage.map { action.eligibleStages.contains($0) } == true)
            && action.conditions.allSatisfy { $0.holds(for: x[8]) }
            && x[3 + ["x", "y", "z"].firstIndex(of: action.id)!] >= Double(action.cooldownDays)
          #expect((d.options[a].ineligibleBecause == nil) == allowed, "trial \(trial) action \(action.id)")
          // Net value is uplift × value − cost.
          #expect(abs(d.options[a].netValue - (d.options[a].uplift * d.value - action.cost)) < 1e-9)
        }
        if let best = d.action {
          #expect(d.options[best].ineligibleBecause == nil && d.options[best].netValue > 0)
          for o in d.options where o.ineligibleBecause == nil { #expect(o.netValue <= d.options[best].netValue) }
        } else {
          #expect(d.options.allSatisfy { $0.ineligibleBecause != nil || $0.netValue <= 0 })
        }
        if let r = d.runnerUp { #expect(d.options[r].ineligibleBecause == nil && r != d.action) }
      }
      // Across the batch: capacities and the budget hold, and only allowed pairs are given.
      let budget = Double(rng.next() % 200)
      let plan = CapacityAssignment(
        values: decisions.map { d in d.options.map { $0.ineligibleBecause == nil ? $0.netValue : -.infinity } },
        capacities: catalog.actions.map(\.capacity), costs: catalog.actions.map(\.cost), budget: budget
      ).solve()
      var used = [Int](repeating: 0, count: m)
      var spend = 0.0
      for (i, a) in plan.enumerated() {
        guard let a else { continue }
        #expect(decisions[i].options[a].ineligibleBecause == nil)
        used[a] += 1
        spend += catalog.actions[a].cost
      }
      for a in 0..<m { #expect(used[a] <= catalog.actions[a].capacity ?? .max) }
      #expect(spend <= budget + 1e-9)
    }
  }

  @Test func catalogFilesAreCheckedWithClearMessages() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let good = try dir.write(
      "a.json",
      #"{"actions": [{"id": "call", "cost": 25, "eligible_stages": ["retention"], "conditions": [{"feature": "tenure", "op": ">=", "value": 30}], "cooldown_days": 60, "capacity": 10}]}"#
    )
    let catalog = try ActionCatalog.load(path: good)
    #expect(catalog.actions.first?.conditions.first?.description == "tenure >= 30")
    #expect(catalog.actions.first?.label == "call")
    func message(_ json: String) -> String {
      let path = try! dir.write("bad.json", json)
      do {
        _ = try ActionCatalog.load(path: path)
        return ""
      } catch { return "\(error)" }
    }
    #expect(
      message(#"[{"id": "a", "cost": 1, "cooldown_dayz": 5}]"#).contains(
        "unknown key 'cooldown_dayz' (did you mean 'cooldown_days'?)"))
    #expect(message(#"[{"id": "a", "cost": 1}, {"id": "a", "cost": 2}]"#).contains("'a' is listed twice"))
    #expect(message(#"[{"id": "a", "cost": -1}]"#).contains("cost must be a non-negative number"))
    #expect(message(#"[{"id": "a"}]"#).hasSuffix("bad.json: at [0]: the key 'cost' is missing"))
    #expect(message(#"[{"id": "a", "cost": "five"}]"#).hasSuffix("bad.json: at [0].cost: expected a number"))
    #expect(message(#"{"id": "a"}"#).hasSuffix("bad.json: at the top level: expected a list"))
    #expect(
      message(#"[{"id": "a",]"#).hasSuffix(
        "bad.json: not valid JSON at line 1, column 13 (a key without quotes, a trailing comma, a stray character?)"))
    #expect(message(#"[{"id": "none", "cost": 1}]"#).contains("not 'none'"))
    #expect(message("[]").contains("no action"))
    #expect(throws: ActionCatalog.CatalogError.self) {
      try catalog.validate(features: ["g"], stages: ["retention", "churned"])
    }
    do {
      try catalog.validate(features: ["tenures"], stages: ["retention", "churned"])
      Issue.record("an unknown feature was accepted")
    } catch {
      #expect(error.description.contains("unknown feature 'tenure' (did you mean 'tenures'?)"))
    }
  }

  /// Expected days alive in a one-stage chain with daily churn q: Σ (1 − q)^t.
  @Test func expectedLifetimeMatchesTheGeometricSum() {
    let q = 0.01
    let days = CustomerValue.expectedDaysAlive(p: [[1 - q, q], [0, 1]], horizon: 365)
    let expected = (1...365).reduce(0.0) { $0 + pow(1 - q, Double($1)) }
    #expect(abs(days[0] - expected) < 1e-9 && days[1] == 0)
  }
}
