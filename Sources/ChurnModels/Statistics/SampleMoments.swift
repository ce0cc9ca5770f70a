/// Sample moments of a list of numbers, with the n − 1 divisor.
public enum SampleMoments {
  /// Σ (xᵢ − x̄)² / (n − 1); 0 for fewer than two values.
  public static func variance(_ values: [Double]) -> Double {
    guard values.count > 1 else { return 0 }
    let mean = values.reduce(0, +) / Double(values.count)
    return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
  }

  /// The square root of `variance`.
  public static func standardDeviation(_ values: [Double]) -> Double { variance(values).squareRoot() }
}
