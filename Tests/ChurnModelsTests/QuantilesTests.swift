import ChurnIO
import ChurnModels
import ChurnTestSupport
import Testing

struct OrderStatisticTests {
  /// Selection finds what a sort puts at each rank: random sizes, few and
  /// many distinct values (ties), sorted and reversed input.
  @Test func agreesWithSorting() {
    var rng = SplitMix64(seed: 11)
    for trial in 0..<300 {
      let n = 1 + Int(rng.next() % 2000)
      let distinct = trial % 3 == 0 ? 3 : 1_000_000
      var values = (0..<n).map { _ in Double(rng.next() % UInt64(distinct)) / 7 }
      if trial % 10 == 1 { values.sort() }
      if trial % 10 == 2 { values.sort(by: >) }
      let sorted = values.sorted()
      let ranks = [0.1, 0.5, 0.9].map { min(n - 1, Int($0 * Double(n))) }
      var scratch = values
      #expect(Quantiles.orderStatistics(&scratch, ranks: ranks) == ranks.map { sorted[$0] }, "trial \(trial), n \(n)")
      #expect(scratch.sorted() == sorted, "a permutation of the input")
    }
  }

  @Test func extremeRanks() {
    var values: [Double] = [3, 1, 2]
    #expect(Quantiles.orderStatistics(&values, ranks: [0, 1, 2]) == [1, 2, 3])
    var one: [Double] = [5]
    #expect(Quantiles.orderStatistics(&one, ranks: [0]) == [5])
  }
}
