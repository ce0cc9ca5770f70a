import ChurnModels
import Foundation
import Testing

/// The change scan's statistics against values worked by hand.
@Suite struct ShareTestsTests {
  /// Benjamini–Hochberg on five p-values: q_(i) = min over j ≥ i of
  /// p_(j)·m/j, back in the input order.
  @Test func benjaminiHochbergAdjustsInRankOrder() {
    let p = [0.01, 0.04, 0.03, 0.005, 0.2]
    // Sorted: 0.005, 0.01, 0.03, 0.04, 0.2 → ×5/rank: 0.025, 0.025, 0.05, 0.05, 0.2.
    let expected = [0.025, 0.05, 0.05, 0.025, 0.2]
    for (q, e) in zip(benjaminiHochberg(p), expected) { #expect(abs(q - e) < 1e-15) }
    #expect(benjaminiHochberg([]).isEmpty)
  }

  /// 30 of 100 against 20 of 100: pooled 0.25, variance 0.25·0.75·(2/100)
  /// = 0.00375; z = 0.1 / √0.00375 = 1.63299…; with a design effect of 2
  /// the variance doubles.
  @Test func pooledZTestWithTheDesignEffect() throws {
    let d = try #require(
      ClusteredShareDifference(
        trials1: 100, successes1: 30, customers1: 80, trials0: 100, successes0: 20, designEffect: 1))
    #expect(abs(d.z - 0.1 / 0.00375.squareRoot()) < 1e-12)
    #expect(abs(d.pValue - erfc(d.z / 2.0.squareRoot())) < 1e-15)
    let clustered = try #require(
      ClusteredShareDifference(
        trials1: 100, successes1: 30, customers1: 80, trials0: 100, successes0: 20, designEffect: 2))
    #expect(abs(clustered.z - 0.1 / 0.0075.squareRoot()) < 1e-12)
    // A design effect below 1 counts as 1; too few trials is no test.
    let below = ClusteredShareDifference(
      trials1: 100, successes1: 30, customers1: 80, trials0: 100, successes0: 20, designEffect: 0.5)
    #expect(below?.z == d.z)
    #expect(
      ClusteredShareDifference(
        trials1: 19, successes1: 5, customers1: 19, trials0: 100, successes0: 20, designEffect: 1)
        == nil)
  }

  /// Two customers, (3 of 4) and (0 of 4): p = 3/8; clustered variance
  /// ((3 − 1.5)² + (0 − 1.5)²)/64 · 2 = 0.140625; binomial p(1 − p)/8 =
  /// 0.029296875; design effect 4.8.
  @Test func designEffectOfTwoCustomers() {
    #expect(
      abs(ClusteredShareDifference.designEffect([(trials: 4, successes: 3), (trials: 4, successes: 0)]) - 4.8) < 1e-12)
    // Independent trials (one each) cannot fall below 1.
    #expect(
      ClusteredShareDifference.designEffect(
        [(trials: 1, successes: 1), (trials: 1, successes: 0), (trials: 1, successes: 0), (trials: 1, successes: 1)])
        >= 1)
  }
}
