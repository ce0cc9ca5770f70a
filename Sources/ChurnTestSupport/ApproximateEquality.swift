import LinearAlgebra

/// Default relative tolerance for comparing results of different but exact
/// algorithms (half the digits of a `Double`, as swift-numerics argues: about
/// 1.5e-8). Tests state a tighter or looser one where the numerics call for it.
public let defaultRelativeTolerance = Double.ulpOfOne.squareRoot()

extension Double {
  /// Whether `self` and `other` agree: equal, or both finite with
  /// `|self − other| ≤ max(absoluteTolerance, relativeTolerance · max(|self|, |other|))`.
  ///
  /// Not transitive, so never the basis of `Equatable`.
  public func isApproximatelyEqual(
    to other: Double, absoluteTolerance: Double = 0,
    relativeTolerance: Double = defaultRelativeTolerance
  ) -> Bool {
    if self == other { return true }
    guard isFinite && other.isFinite else { return false }
    let scale = Swift.max(abs(self), abs(other))
    return abs(self - other) <= Swift.max(absoluteTolerance, relativeTolerance * scale)
  }
}

/// The largest element-wise relative difference, scaled by the largest
/// magnitude in `expected` (a normwise measure that suits matrices whose
/// small entries carry rounding from large ones).
public func maxRelativeDifference(_ actual: [Double], _ expected: [Double]) -> Double {
  precondition(actual.count == expected.count, "lengths \(actual.count) and \(expected.count)")
  let scale = Swift.max(expected.map(abs).max() ?? 0, Double.leastNormalMagnitude)
  return zip(actual, expected).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// Same as the array form, for matrices of the same shape.
public func maxRelativeDifference(_ actual: Matrix, _ expected: Matrix) -> Double {
  precondition(actual.rows == expected.rows && actual.columns == expected.columns, "shapes differ")
  return maxRelativeDifference(actual.storage, expected.storage)
}
