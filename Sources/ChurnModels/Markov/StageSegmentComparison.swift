/// One stage chain per customer segment (plan, region, acquisition
/// channel…), and whether they differ by more than chance.
///
/// The test is the likelihood ratio of the panel likelihood: one chain for
/// everyone against one per segment, 2 (Σ_s ℓ_s − ℓ_pooled), against a
/// chi-square with (segments − 1) × Σ_i (cells of row i the pooled chain
/// estimates above 10⁻⁶ − 1) degrees of freedom (Anderson and Goodman's
/// test of homogeneity for Markov chains, with the panel likelihood in place
/// of direct counts).
///
/// ```swift
/// let comparison = StageSegmentComparison(column: "plan", pooled: all, segments: bySegment)
/// comparison.homogeneity?.pValue
/// ```
public struct StageSegmentComparison: Sendable, Codable {
  /// The customers-table column the segments come from.
  public let column: String
  public let segments: [Segment]
  /// Nil when a likelihood is missing (periods longer than a day).
  public let homogeneity: LikelihoodRatioTest?

  public struct Segment: Sendable, Codable {
    /// The column's value; customers with no value (or not in the customers
    /// table) form the segment `StageSegmentComparison.missing`.
    public let name: String
    public let customers: Int
    public let model: StageTransitionModel
  }

  public struct LikelihoodRatioTest: Sendable, Codable, Equatable {
    public let statistic: Double
    public let degreesOfFreedom: Int
    public let pValue: Double
  }

  /// The segment name of customers without a value.
  public static let missing = "(missing)"

  public init(column: String, pooled: StageTransitionModel, segments: [(name: String, model: StageTransitionModel)]) {
    self.column = column
    self.segments = segments.map { Segment(name: $0.name, customers: $0.model.customers, model: $0.model) }
    let parts = segments.compactMap(\.model.logLikelihood)
    guard let pooledLikelihood = pooled.logLikelihood, parts.count == segments.count, segments.count > 1 else {
      homogeneity = nil
      return
    }
    let p = pooled.transitionMatrix
    let absorbing = p.count - 1
    let freePerChain = (0..<absorbing).reduce(0) { sum, i in sum + max(0, p[i].filter { $0 > 1e-6 }.count - 1) }
    let df = (segments.count - 1) * freePerChain
    let statistic = max(0, 2 * (parts.reduce(0, +) - pooledLikelihood))
    homogeneity = LikelihoodRatioTest(
      statistic: statistic, degreesOfFreedom: df,
      pValue: df > 0 ? ChiSquareDistribution(degreesOfFreedom: Double(df)).survival(statistic) : 1)
  }
}
