import ChurnDecisions
import ChurnIO
import ChurnTestSupport
import Testing

/// The assignment against brute force on small random cases: exact under
/// capacities, within one customer's value of the optimum with a budget,
/// and never over a capacity or the budget.
struct CapacityAssignmentTests {
  static func bruteForce(
    _ values: [[Double]], capacities: [Int?], costs: [Double]? = nil, budget: Double? = nil
  ) -> Double {
    let n = values.count, m = capacities.count
    var best = 0.0
    var plan = [Int](repeating: -1, count: n)
    func go(_ i: Int, _ total: Double, _ used: [Int], _ spend: Double) {
      if i == n {
        best = max(best, total)
        return
      }
      go(i + 1, total, used, spend)
      for a in 0..<m where values[i][a] > 0 && used[a] < (capacities[a] ?? .max) {
        let c = costs?[a] ?? 0
        if let budget, spend + c > budget + 1e-9 { continue }
        var u = used
        u[a] += 1
        plan[i] = a
        go(i + 1, total + values[i][a], u, spend + c)
        plan[i] = -1
      }
    }
    go(0, 0, [Int](repeating: 0, count: m), 0)
    return best
  }

  static func randomCase(_ rng: inout SplitMix64) -> (values: [[Double]], capacities: [Int?], costs: [Double]) {
    let n = 1 + Int(rng.next() % 7), m = 1 + Int(rng.next() % 3)
    let values = (0..<n).map { _ in (0..<m).map { _ in Double(Int(rng.next() % 21) - 6) } }
    let capacities: [Int?] = (0..<m).map { _ in rng.next() % 4 == 0 ? nil : Int(rng.next() % 3) }
    let costs = (0..<m).map { _ in Double(1 + rng.next() % 5) }
    return (values, capacities, costs)
  }

  static func check(_ plan: [Int?], _ values: [[Double]], _ capacities: [Int?]) -> Double {
    var used = [Int](repeating: 0, count: capacities.count)
    var total = 0.0
    for (i, a) in plan.enumerated() {
      guard let a else { continue }
      #expect(values[i][a] > 0, "assigned a non-positive value")
      used[a] += 1
      total += values[i][a]
    }
    for (a, c) in capacities.enumerated() { #expect(used[a] <= (c ?? .max), "capacity of \(a) exceeded") }
    return total
  }

  @Test func exactUnderCapacities() {
    var rng = SplitMix64(seed: 1)
    for _ in 0..<400 {
      let c = Self.randomCase(&rng)
      let plan = CapacityAssignment(values: c.values, capacities: c.capacities).solve()
      let total = Self.check(plan, c.values, c.capacities)
      #expect(abs(total - Self.bruteForce(c.values, capacities: c.capacities)) < 1e-9, "\(c)")
    }
  }

  @Test func withinOneValueOfTheOptimumUnderABudget() {
    var rng = SplitMix64(seed: 2)
    for _ in 0..<300 {
      let c = Self.randomCase(&rng)
      let budget = Double(rng.next() % 12)
      let plan = CapacityAssignment(values: c.values, capacities: c.capacities, costs: c.costs, budget: budget).solve()
      let total = Self.check(plan, c.values, c.capacities)
      let spend = plan.reduce(0.0) { $0 + ($1.map { c.costs[$0] } ?? 0) }
      #expect(spend <= budget + 1e-9)
      let optimum = Self.bruteForce(c.values, capacities: c.capacities, costs: c.costs, budget: budget)
      let largest = c.values.flatMap { $0 }.max() ?? 0
      #expect(
        total <= optimum + 1e-9 && total >= optimum - max(largest, 0) - 1e-9,
        "\(c) budget \(budget): \(total) vs \(optimum)")
    }
  }

  /// A case where the greedy order is wrong: the best single pair must yield.
  @Test func movesACustomerToMakeRoom() {
    let plan = CapacityAssignment(values: [[10, 9], [8, 0]], capacities: [1, 1]).solve()
    #expect(plan == [1, 0])
  }
}
