import ChurnData
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// One chain per segment and the likelihood-ratio test of homogeneity.
struct StageSegmentTests {
  /// Segment A from `truthA`, segment B from `truthB`, fitted together.
  static func compare(
    seed: UInt64, truthA: [[Double]], truthB: [[Double]], customers: Int
  ) throws -> StageSegmentComparison {
    let csv =
      StageModelBootstrapTests.simulate(seed: seed, customers: customers, days: 40, truth: truthA, prefix: "A")
      + StageModelBootstrapTests.simulate(
        seed: seed + 1000, customers: customers, days: 40, truth: truthB, prefix: "B", header: false)
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var reader = try EventLogReader(path: dir.write("e.csv", csv), schema: EventSchema())
    var issues = IssueLog()
    var estimator = StageModelEstimator(churnEvent: "cancel")
    estimator.stages = ["a", "b", "churned"]
    estimator.bootstrapReplicates = 0
    let fitted = try estimator.estimateBySegment(from: &reader, issues: &issues) { String($0.prefix(1)) }
    return StageSegmentComparison(column: "group", pooled: fitted.all, segments: fitted.segments)
  }

  @Test func chiSquareSurvivalMatchesClosedForms() {
    for x in [0.01, 0.5, 1, 3.84, 10, 40, 200] {
      // Even degrees of freedom: e^{−x/2} Σ_{i<k/2} (x/2)^i / i!.
      for k in [2, 4, 10] {
        var term = 1.0, sum = 0.0
        for i in 0..<(k / 2) {
          if i > 0 { term *= (x / 2) / Double(i) }
          sum += term
        }
        let expected = exp(-x / 2) * sum
        let got = ChiSquareDistribution(degreesOfFreedom: Double(k)).survival(x)
        #expect(abs(got - expected) <= 1e-13 * max(expected, 1e-300) + 1e-300, "k \(k), x \(x)")
      }
      // One degree of freedom: erfc(√(x/2)).
      let one = ChiSquareDistribution(degreesOfFreedom: 1).survival(x)
      #expect(abs(one - erfc((x / 2).squareRoot())) <= 1e-12 * erfc((x / 2).squareRoot()), "k 1, x \(x)")
    }
    #expect(ChiSquareDistribution(degreesOfFreedom: 3).survival(0) == 1)
  }

  /// Same chain in both segments: the test rejects at 5% about 5% of the
  /// time (here at most 3 of 16 seeds), and the statistic is
  /// 2 (ℓ_A + ℓ_B − ℓ_pooled) on (2 − 1) × 4 free probabilities.
  @Test func sameChainsAreNotToldApart() throws {
    var rejections = 0
    for seed in 0..<16 {
      let c = try Self.compare(
        seed: UInt64(seed), truthA: StageModelBootstrapTests.truth, truthB: StageModelBootstrapTests.truth,
        customers: 120)
      let test = try #require(c.homogeneity)
      #expect(test.degreesOfFreedom == 4)
      let parts = c.segments.compactMap(\.model.logLikelihood)
      #expect(c.segments.map(\.name) == ["A", "B"] && parts.count == 2)
      if test.pValue < 0.05 { rejections += 1 }
    }
    #expect(rejections <= 3)
  }

  @Test func differentChainsAreToldApart() throws {
    let other: [[Double]] = [[0.80, 0.14, 0.06], [0.03, 0.95, 0.02], [0, 0, 1]]
    let c = try Self.compare(seed: 3, truthA: StageModelBootstrapTests.truth, truthB: other, customers: 200)
    let test = try #require(c.homogeneity)
    #expect(test.pValue < 1e-6)
    // Each segment's chain is near its own truth.
    let a = c.segments[0].model.transitionMatrix, b = c.segments[1].model.transitionMatrix
    #expect(abs(a[0][2] - 0.02) < 0.01 && abs(b[0][2] - 0.06) < 0.02)
  }
}
