import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// The exact truth for a generated customer: the generator itself replays
/// the customer's history up to the decision (same random stream, so the
/// same hidden propensity, tickets and sentiments as in the data), then runs
/// the future many times with and without an action, with common random
/// numbers across actions, and counts churn within the horizon.
///
/// Unlike `TruthOracle` (the hazard with today's tickets and sentiment held
/// fixed), nothing is approximated but the Monte Carlo error, which the
/// common random numbers keep small for differences between actions.
///
/// ```swift
/// let oracle = try SimulationOracle(truthFile: "training-data/truth.json")
/// let p = oracle.churnProbabilities(customer: "C0000042", decisionDay: "2025-12-30", actions: [nil, "loyalty_call"], days: 90)
/// ```
public struct SimulationOracle: Sendable {
  let generator: LifecycleGenerator
  let model: SimulationModel
  /// Continuations per customer and action.
  public var replications = 100

  public init(truthFile path: String) throws {
    struct File: Decodable {
      let generator: [String: String]
      let truth: LifecycleTruth
    }
    guard let data = contentsOfFile(path) else {
      throw TruthFileError.unreadable(path: path)
    }
    let file: File
    do { file = try JSONDecoder().decode(File.self, from: data) } catch {
      throw TruthFileError.notTruthFile(path: path, reason: JSONProblem.describe(error, in: data))
    }
    guard let customers = file.generator["customers"].flatMap(Int.init),
      let seed = file.generator["seed"].flatMap(UInt64.init),
      let days = file.generator["days"].flatMap(Int.init), let start = file.generator["start"]
    else { throw TruthFileError.lacksGeneratorSettings(path: path) }
    let startDay = try Cutoff(parsing: start).micros / microsPerDay
    var generator = LifecycleGenerator(customers: customers, seed: seed, startDay: Int(startDay), days: days)
    generator.truth = file.truth
    self.generator = generator
    model = SimulationModel(truth: file.truth)
  }

  /// P(churn within `days` after the end of `decisionDay`) for each entry of
  /// `actions` (nil: no action), or nil when the id is not a generated
  /// customer or the customer has churned by then.
  /// `stream` picks an independent set of futures (the oracle chooses with
  /// one set and is judged with another, so its choice is not flattered by
  /// its own Monte Carlo noise).
  public func churnProbabilities(
    customer id: String, asOf cutoff: Cutoff, actions: [String?], days: Int, stream salt: UInt64 = 0
  ) -> [Double]? {
    guard id.hasPrefix("C"), let k = Int(id.dropFirst()), k >= 0, k < generator.customers else { return nil }
    let decisionDay = Int(cutoff.micros / microsPerDay) - generator.startDay
    var customer = generator.makeCustomer(k, model)
    var scratch: [SimulatedEvent] = []
    guard customer.arrivalDay <= decisionDay else { return nil }
    for day in customer.arrivalDay...decisionDay {
      scratch.removeAll(keepingCapacity: true)
      if customer.simulate(day: day, model: model, into: &scratch) { return nil }
    }
    let actionIndexes = actions.map { a in a.flatMap { id in model.truth.actions.firstIndex { $0.id == id } } }
    var churns = [Int](repeating: 0, count: actions.count)
    for r in 0..<replications {
      let stream = SplitMix64(seed: generator.seed ^ 0x5EED_0F_F7_7E ^ (salt &* 0x9E37_79B9_7F4A_7C15)).split(
        UInt64(k) &* 1_000_003 &+ UInt64(r))
      for (n, action) in actionIndexes.enumerated() {
        var c = customer
        c.rng = stream
        if let action { c.treatments.append((decisionDay + 1, action)) }
        for day in (decisionDay + 1)...(decisionDay + days) {
          scratch.removeAll(keepingCapacity: true)
          if c.simulate(day: day, model: model, into: &scratch) {
            churns[n] += 1
            break
          }
        }
      }
    }
    return churns.map { Double($0) / Double(replications) }
  }
}
