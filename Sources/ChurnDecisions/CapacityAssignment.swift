/// Gives each customer at most one action so that the total expected net
/// value is as large as possible, with at most `capacity[a]` customers per
/// action (and, optionally, a total budget).
///
/// Capacities alone: exact. The problem is a min-cost flow (source →
/// customer → action → sink); it is solved by successive shortest paths,
/// stopping when the next path would not add value (the cost of the best
/// flow is convex in its size). With few actions the shortest path runs on
/// a graph of the actions alone: entering action a costs −(the best value of
/// an unassigned customer for a), moving a customer from a to b costs the
/// value they lose, and each such edge is the top of a heap — so each step
/// costs O(m² log n) for m actions and n customers.
///
/// With a budget: Lagrangian relaxation — each action's value is lowered by
/// μ × its cost, μ found by bisection so the spend fits — which is optimal
/// for the spend it uses; the budget left is then filled greedily. Checked
/// against brute force on small cases: within the largest single
/// customer-action value of the optimum (`CapacityAssignmentTests`).
///
/// ```swift
/// let plan = CapacityAssignment(values: [[5, 3], [4, 0]], capacities: [1, nil]).solve()
/// // plan == [1, 0]: customer 0 takes action 1, customer 1 action 0 (total 7)
/// ```
public struct CapacityAssignment: Sendable {
  /// values[i][a]: net value of giving action a to customer i; only
  /// positive values are ever assigned (NaN or ≤ 0: not an option).
  public let values: [[Double]]
  public let capacities: [Int?]
  public var costs: [Double]?
  public var budget: Double?

  public init(values: [[Double]], capacities: [Int?], costs: [Double]? = nil, budget: Double? = nil) {
    self.values = values
    self.capacities = capacities
    self.costs = costs
    self.budget = budget
  }

  /// The action of each customer (nil: none).
  public func solve() -> [Int?] {
    let plan = Self.maximize(values, capacities: capacities)
    guard let budget, let costs, spend(plan, costs) > budget else { return plan }
    return filledGreedily(withinBudget(budget, costs), budget: budget, costs: costs)
  }

  private func spend(_ plan: [Int?], _ costs: [Double]) -> Double {
    plan.reduce(0) { $0 + ($1.map { costs[$0] } ?? 0) }
  }

  /// The best plan whose spend fits: each value lowered by μ × its cost,
  /// μ bisected from one high enough that nothing is worth its cost.
  private func withinBudget(_ budget: Double, _ costs: [Double]) -> [Int?] {
    func lowered(_ mu: Double) -> [[Double]] { values.map { row in row.enumerated().map { $1 - mu * costs[$0] } } }
    var low = 0.0
    let top = values.flatMap { $0 }.filter { $0.isFinite }.max() ?? 0
    let cheapest = costs.filter { $0 > 0 }.min() ?? 1
    var high = max(1, top / cheapest + 1)
    var best = Self.maximize(lowered(high), capacities: capacities)
    for _ in 0..<60 {
      let mid = (low + high) / 2
      let candidate = Self.maximize(lowered(mid), capacities: capacities)
      if spend(candidate, costs) <= budget {
        high = mid
        best = candidate
      } else {
        low = mid
      }
      if high - low < 1e-12 * max(1, high) { break }
    }
    return best
  }

  /// Fills what is left of the budget greedily, best value first.
  private func filledGreedily(_ start: [Int?], budget: Double, costs: [Double]) -> [Int?] {
    var plan = start
    var left = budget - spend(plan, costs)
    var used = [Int](repeating: 0, count: capacities.count)
    for a in plan.compactMap({ $0 }) { used[a] += 1 }
    var options: [(value: Double, customer: Int, action: Int)] = []
    for (i, row) in values.enumerated() where plan[i] == nil {
      for (a, v) in row.enumerated() where v > 0 { options.append((v, i, a)) }
    }
    options.sort { ($0.value, -$0.customer, -$0.action) > ($1.value, -$1.customer, -$1.action) }
    for o in options
    where plan[o.customer] == nil && costs[o.action] <= left && used[o.action] < (capacities[o.action] ?? .max) {
      plan[o.customer] = o.action
      used[o.action] += 1
      left -= costs[o.action]
    }
    return plan
  }

  /// Exact maximum-value assignment under capacities (successive shortest paths).
  static func maximize(_ values: [[Double]], capacities: [Int?]) -> [Int?] {
    var flow = AssignmentFlow(values: values, capacities: capacities)
    while let hops = flow.bestAugmentingPath() { flow.apply(hops) }
    return flow.assigned.map { $0 >= 0 ? $0 : nil }
  }
}

/// The flow of `CapacityAssignment.maximize`: who has which action, and per
/// edge of the action graph the best customer to send along it — entering
/// action a (a heap per action) and moving from a to b (a heap per pair),
/// whose stale entries (customers since moved) are dropped when they
/// reach the top.
struct AssignmentFlow {
  typealias Edge = (key: Double, customer: Int)
  /// One step of a path: this customer goes to this action.
  typealias Hop = (customer: Int, to: Int)

  let values: [[Double]]
  let capacities: [Int?]
  var m: Int { capacities.count }
  /// Each customer's action (-1: none).
  private(set) var assigned: [Int]
  /// Bumped when a customer moves, to tell their stale heap entries.
  private var version: [Int32]
  private var count: [Int]
  private var enter: [MaxHeap]
  private var move: [[MaxHeap]]

  init(values: [[Double]], capacities: [Int?]) {
    self.values = values
    self.capacities = capacities
    let m = capacities.count
    assigned = [Int](repeating: -1, count: values.count)
    version = [Int32](repeating: 0, count: values.count)
    count = [Int](repeating: 0, count: m)
    enter = [MaxHeap](repeating: MaxHeap(), count: m)
    move = [[MaxHeap]](repeating: [MaxHeap](repeating: MaxHeap(), count: m), count: m)
    // Per customer, the best action: when no capacity binds this is the answer.
    for i in values.indices {
      for a in 0..<m where value(i, a) > -.infinity { enter[a].push(value(i, a), i, 0) }
    }
  }

  /// Customer i's value for action a; not an option: −∞.
  private func value(_ i: Int, _ a: Int) -> Double {
    let v = values[i][a]
    return v > 0 ? v : -.infinity
  }

  /// The path from the source through the action graph to the sink that
  /// adds the most value (Bellman–Ford over source, actions and sink), as
  /// the customers it moves; nil when no path adds value.
  mutating func bestAugmentingPath() -> [Hop]? {
    let source = m, sink = m + 1
    let (entries, moves) = edgeTops()
    var dist = [Double](repeating: .infinity, count: m + 2)
    var previous = [Int](repeating: -1, count: m + 2)
    var via = [Int](repeating: -1, count: m + 2)  // the customer on the edge into the node
    dist[source] = 0
    for a in 0..<m {
      if let e = entries[a], -e.key < dist[a] {
        dist[a] = -e.key
        previous[a] = source
        via[a] = e.customer
      }
    }
    for _ in 0..<m {
      var changed = false
      for a in 0..<m where dist[a] < .infinity {
        for b in 0..<m where b != a {
          if let e = moves[a][b], dist[a] - e.key < dist[b] - 1e-12 {
            dist[b] = dist[a] - e.key
            previous[b] = a
            via[b] = e.customer
            changed = true
          }
        }
      }
      if !changed { break }
    }
    for a in 0..<m where dist[a] < dist[sink] && count[a] < (capacities[a] ?? .max) {
      dist[sink] = dist[a]
      previous[sink] = a
    }
    guard dist[sink] < -1e-12, previous[sink] >= 0 else { return nil }
    // Walk the path back from the sink: each hop moves one customer.
    var hops: [Hop] = []
    var node = previous[sink]
    var seen = Set<Int>()
    while node != source, node >= 0, seen.insert(node).inserted {
      hops.append((via[node], node))
      node = previous[node]
    }
    return node == source ? hops : nil  // a cycle from rounding: stop with what we have
  }

  /// The best customer on every edge: entering each action, and moving
  /// between each pair.
  private mutating func edgeTops() -> (entries: [Edge?], moves: [[Edge?]]) {
    var entries = [Edge?](repeating: nil, count: m)
    var moves = [[Edge?]](repeating: [Edge?](repeating: nil, count: m), count: m)
    for a in 0..<m {
      entries[a] = topEnter(a)
      for b in 0..<m where b != a { moves[a][b] = topMove(a, b) }
    }
    return (entries, moves)
  }

  private mutating func topEnter(_ a: Int) -> Edge? {
    while let top = enter[a].top {
      if assigned[top.customer] == -1 { return (top.key, top.customer) }
      enter[a].pop()
    }
    return nil
  }

  private mutating func topMove(_ a: Int, _ b: Int) -> Edge? {
    while let top = move[a][b].top {
      if assigned[top.customer] == a && version[top.customer] == top.version { return (top.key, top.customer) }
      move[a][b].pop()
    }
    return nil
  }

  /// Moves the path's customers: one more customer in the last action;
  /// the rest shift.
  mutating func apply(_ hops: [Hop]) {
    for hop in hops {
      let from = assigned[hop.customer]
      if from >= 0 { count[from] -= 1 }
      count[hop.to] += 1
      assigned[hop.customer] = hop.to
      version[hop.customer] &+= 1
    }
    for hop in hops { pushMoves(hop.customer) }
  }

  /// Customer i's moves from their action to every other.
  private mutating func pushMoves(_ i: Int) {
    let a = assigned[i]
    for b in 0..<m where b != a && value(i, b) > -.infinity {
      move[a][b].push(value(i, b) - value(i, a), i, version[i])
    }
  }
}

/// A binary max-heap of (key, customer, version); ties go to the lower customer.
struct MaxHeap: Sendable {
  private var keys: [Double] = []
  private var customers: [Int32] = []
  private var versions: [Int32] = []

  var top: (key: Double, customer: Int, version: Int32)? {
    keys.isEmpty ? nil : (keys[0], Int(customers[0]), versions[0])
  }

  private func above(_ i: Int, _ j: Int) -> Bool {
    keys[i] > keys[j] || (keys[i] == keys[j] && customers[i] < customers[j])
  }

  private mutating func swapAt(_ i: Int, _ j: Int) {
    keys.swapAt(i, j)
    customers.swapAt(i, j)
    versions.swapAt(i, j)
  }

  mutating func push(_ key: Double, _ customer: Int, _ version: Int32) {
    keys.append(key)
    customers.append(Int32(customer))
    versions.append(version)
    var i = keys.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard above(i, parent) else { break }
      swapAt(i, parent)
      i = parent
    }
  }

  mutating func pop() {
    guard !keys.isEmpty else { return }
    swapAt(0, keys.count - 1)
    keys.removeLast()
    customers.removeLast()
    versions.removeLast()
    var i = 0
    while true {
      let l = 2 * i + 1, r = l + 1
      var best = i
      if l < keys.count && above(l, best) { best = l }
      if r < keys.count && above(r, best) { best = r }
      guard best != i else { break }
      swapAt(i, best)
      i = best
    }
  }
}
