import ChurnDecisions
import ChurnModels

/// Turns scored customers into a plan: each customer's best action by
/// expected net value, then the assignment across the batch that respects
/// every action's capacity and an optional budget (`CapacityAssignment`).
///
/// ```swift
/// let plan = try ActionPlanner(model: model).plan(run, budget: 5000)
/// for t in plan.totals { print(t.action, t.customers, t.spend) }
/// ```
public struct ActionPlanner: Sendable {
  public let model: ChurnModel
  let uplift: UpliftModel
  let columns: UpliftModel.Columns

  public init(model: ChurnModel) throws {
    guard let uplift = model.uplift else {
      throw ModelUseError.noNextBestAction
    }
    self.model = model
    self.uplift = uplift
    columns = try uplift.columns(for: model.features)
  }

  public struct Assignment: Sendable {
    public let customerID: String
    public let stage: String?
    public let churnProbability: Double
    public let value: Double
    /// The chance the customer is still there to be reached (1: no reachability).
    public let reach: Double
    /// The action given (nil: none), and the one the customer would get
    /// without capacities and budget.
    public let action: Int?
    public let unconstrainedBest: Int?
    public let uplift: Double
    public let netValue: Double
    /// Standard errors from the customer value's uncertainty (nil: not
    /// estimated; the net value's also nil without an action).
    public let valueStandardError: Double?
    public let netValueStandardError: Double?
    public let reason: String
  }

  public struct ActionTotals: Sendable, Codable {
    public let action: String
    public let customers: Int
    public let capacity: Int?
    public let spend: Double
    /// Σ churn prevented (expected customers kept).
    public let churnPrevented: Double
    /// Σ (uplift × value − cost).
    public let netValue: Double
  }

  /// Customers the reachability says have probably left, and what that did
  /// to the plan.
  public struct ReachSummary: Sendable, Codable {
    /// Under a 50% chance of activity of their own within the horizon.
    public let probablyGone: Int
    /// Of them, given an action all the same (their gain pays even scaled).
    public let probablyGoneTreated: Int
    /// Customers an action would pay for were everyone reachable, who get
    /// none because their chance scales the gain below the cost; and the
    /// spend that would have been (before capacities and budget).
    public let sparedByReach: Int
    public let spendSpared: Double
    public let horizonDays: Int
  }

  public struct Plan: Sendable {
    public let assignments: [Assignment]
    public let totals: [ActionTotals]
    public let budget: Double?
    /// nil: the model has no reachability.
    public let reach: ReachSummary?
    /// Per customer (same order), the decision behind the assignment.
    public let decisions: [UpliftModel.Decision]
    public var spend: Double { totals.reduce(0) { $0 + $1.spend } }
    public var netValue: Double { totals.reduce(0) { $0 + $1.netValue } }
  }

  /// Decides for every scored customer, then assigns under capacities and budget.
  public func plan(_ run: ChurnScorer.Run, budget: Double? = nil) -> Plan {
    let rows = run.features.rows
    var features: [[Double]] = []
    features.reserveCapacity(rows.count)
    for row in rows { features.append(run.features.values(of: row)) }
    let decisions = zip(features, rows).map { x, row in
      uplift.decide(features: x, columns: columns, clvStandardError: run.features.clvStandardError(of: row))
    }
    let predictor = model.predictor
    let customers = rows.indices.map { i in
      Customer(
        id: rows[i].customerID, stage: uplift.stage(of: features[i], columns: columns).map { uplift.stages[$0] },
        churnProbability: predictor.probability(features[i]))
    }
    return assign(decisions, customers: customers, budget: budget)
  }

  /// Assigns decisions made elsewhere — the rows of `export --format
  /// sql-decide` run in a warehouse — under capacities and budget.
  public func plan(_ table: DecisionTable, budget: Double? = nil) -> Plan {
    assign(table.decisions, customers: table.customers, budget: budget)
  }

  /// Who a decision is for, as the plan shows them.
  public struct Customer: Sendable {
    public let id: String
    public let stage: String?
    public let churnProbability: Double
  }

  private func assign(_ decisions: [UpliftModel.Decision], customers: [Customer], budget: Double?) -> Plan {
    let values = decisions.map { d in d.options.map { $0.ineligibleBecause == nil ? $0.netValue : -.infinity } }
    let catalog = uplift.catalog
    let chosen = CapacityAssignment(
      values: values, capacities: catalog.actions.map(\.capacity), costs: catalog.actions.map(\.cost), budget: budget
    ).solve()
    var assignments: [Assignment] = []
    for (i, customer) in customers.enumerated() {
      let d = decisions[i]
      let a = chosen[i]
      var reason = uplift.reason(for: d)
      if a != d.action {
        if let a {
          reason =
            "\(catalog.actions[a].id) (\(d.action.map { catalog.actions[$0].id } ?? "none") was full or over budget): "
            + reason
        } else {
          reason = "none: \(d.action.map { catalog.actions[$0].id } ?? "no action") was full or over budget; " + reason
        }
      }
      assignments.append(
        Assignment(
          customerID: customer.id, stage: customer.stage, churnProbability: customer.churnProbability, value: d.value,
          reach: d.reach,
          action: a, unconstrainedBest: d.action, uplift: a.map { d.options[$0].uplift } ?? 0,
          netValue: a.map { d.options[$0].netValue } ?? 0, valueStandardError: d.valueStandardError,
          netValueStandardError: a.flatMap { d.options[$0].netValueStandardError }, reason: reason))
    }
    let totals = catalog.actions.indices.map { a in
      let given = assignments.filter { $0.action == a }
      return ActionTotals(
        action: catalog.actions[a].id, customers: given.count, capacity: catalog.actions[a].capacity,
        spend: Double(given.count) * catalog.actions[a].cost, churnPrevented: given.reduce(0) { $0 + $1.uplift },
        netValue: given.reduce(0) { $0 + $1.netValue })
    }
    return Plan(
      assignments: assignments, totals: totals, budget: budget, reach: reachSummary(decisions, chosen),
      decisions: decisions)
  }

  /// Who the reachability set aside: probably gone, and spared an action
  /// that would have paid were they certainly there.
  private func reachSummary(_ decisions: [UpliftModel.Decision], _ chosen: [Int?]) -> ReachSummary? {
    guard let reachability = uplift.reachability else { return nil }
    let costs = uplift.catalog.actions.map(\.cost)
    var (gone, goneTreated, spared, spend) = (0, 0, 0, 0.0)
    for (d, a) in zip(decisions, chosen) {
      if d.reach < 0.5 {
        gone += 1
        if a != nil { goneTreated += 1 }
      }
      guard d.action == nil, d.reach < 1 else { continue }
      let paying = d.options.filter { $0.ineligibleBecause == nil && $0.uplift * d.value - costs[$0.action] > 0 }
      if let best = paying.max(by: {
        ($0.uplift * d.value - costs[$0.action]) < ($1.uplift * d.value - costs[$1.action])
      }) {
        spared += 1
        spend += costs[best.action]
      }
    }
    return ReachSummary(
      probablyGone: gone, probablyGoneTreated: goneTreated, sparedByReach: spared, spendSpared: spend,
      horizonDays: reachability.horizonDays)
  }
}
