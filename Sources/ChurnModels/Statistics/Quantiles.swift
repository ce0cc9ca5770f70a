/// Sample quantiles by linear interpolation between order statistics
/// (numpy's default method, "linear").
///
/// ```swift
/// Quantiles.linear([1, 4, 9], at: [0.5, 0.9])  // [4, 8]
/// ```
public enum Quantiles {
  /// Empty for no values.
  package static func linear(_ values: [Double], at levels: [Double]) -> [Double] {
    guard !values.isEmpty else { return [] }
    let sorted = values.sorted()
    return levels.map { q in
      let position = q * Double(sorted.count - 1)
      let lower = Int(position.rounded(.down))
      let upper = min(lower + 1, sorted.count - 1)
      return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
    }
  }

  /// The values that would stand at `ranks` (0-based, increasing) if
  /// `values` were sorted, found by selection in linear time on average
  /// instead of a sort: the elements are reordered, not sorted.
  ///
  /// ```swift
  /// var v = [5.0, 1, 4, 2, 3]
  /// Quantiles.orderStatistics(&v, ranks: [0, 2])  // [1, 3]
  /// ```
  public static func orderStatistics(_ values: inout [Double], ranks: [Int]) -> [Double] {
    var result = [Double](repeating: .nan, count: ranks.count)
    // Each rank is found within the part left by the previous one.
    var low = 0
    for (k, rank) in ranks.enumerated() {
      precondition(rank >= low && rank < values.count, "ranks must increase within the values")
      result[k] = select(&values, rank, from: low, to: values.count - 1)
      low = rank
    }
    return result
  }

  /// Reorders `values[low...high]` so that `values[rank]` is the value a sort
  /// would put there, everything before it ≤ and after it ≥; returns it.
  private static func select(_ values: inout [Double], _ rank: Int, from low: Int, to high: Int) -> Double {
    var (lo, hi) = (low, high)
    while lo < hi {
      // Median of three as the pivot: sorted or constant input stays linear.
      let mid = lo + (hi - lo) / 2
      if values[mid] < values[lo] { values.swapAt(mid, lo) }
      if values[hi] < values[lo] { values.swapAt(hi, lo) }
      if values[hi] < values[mid] { values.swapAt(hi, mid) }
      let pivot = values[mid]
      // Hoare partition: [lo...j] ≤ pivot ≤ [i...hi].
      var i = lo
      var j = hi
      while i <= j {
        while values[i] < pivot { i += 1 }
        while pivot < values[j] { j -= 1 }
        if i <= j {
          values.swapAt(i, j)
          i += 1
          j -= 1
        }
      }
      if rank <= j {
        hi = j
      } else if rank >= i {
        lo = i
      } else {
        return values[rank]  // between the parts: equal to the pivot
      }
    }
    return values[rank]
  }
}
