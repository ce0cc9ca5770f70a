/// Sample quantiles by linear interpolation between order statistics
/// (numpy's default method, "linear").
///
/// ```swift
/// Quantiles.linear([1, 4, 9], at: [0.5, 0.9])  // [4, 8]
/// ```
enum Quantiles {
  /// Empty for no values.
  static func linear(_ values: [Double], at levels: [Double]) -> [Double] {
    guard !values.isEmpty else { return [] }
    let sorted = values.sorted()
    return levels.map { q in
      let position = q * Double(sorted.count - 1)
      let lower = Int(position.rounded(.down))
      let upper = min(lower + 1, sorted.count - 1)
      return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
    }
  }
}
