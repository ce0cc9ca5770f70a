import Foundation

/// A fixed split of rows 0..<n into parts that are processed on all cores,
/// with results combined in part order — so sums come out the same on every
/// machine, whatever its number of cores.
package struct RowPartition: Sendable {
  let ranges: [Range<Int>]

  /// Eight parts for large inputs (enough for any core count we run on),
  /// one part below `threshold` rows.
  package init(rows: Int, parts: Int = 8, threshold: Int = 65_536) {
    let count = rows >= threshold ? parts : 1
    ranges = (0..<count).map { (rows * $0 / count)..<(rows * ($0 + 1) / count) }
  }

  /// `body` applied to every part, concurrently; results in part order.
  package func map<T: Sendable>(_ body: @Sendable (Range<Int>) -> T) -> [T] {
    concurrentMap(ranges.count) { body(ranges[$0]) }
  }
}
