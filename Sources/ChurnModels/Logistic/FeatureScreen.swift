import LinearAlgebra

/// Which features a logistic fit can estimate: constant ones always, and
/// for an unpenalised fit those that are linear combinations of features
/// before them (in the weighted, standardised design with its intercept)
/// or that alone separate the labels, are set aside, with what each is,
/// before Newton's method ever sees them. A penalty makes aliased and
/// separating features estimable, so they are then kept (as scikit-learn
/// and glmnet keep them).
struct FeatureScreen {
  /// Positions of the features to fit, in order.
  let kept: [Int]
  let dropped: [DroppedFeature]

  /// A column whose standard deviation is at most this share of its mean
  /// (or exactly 0) is constant: what is left is rounding.
  static let constantTolerance = 1e-10
  /// A column is aliased when 1 − R² on the kept columns before it is at
  /// most this (a variance inflation factor of 10⁹ or more).
  static let aliasTolerance = 1e-9

  /// - Parameter penalised: whether the fit has a penalty (then only
  ///   constant features are set aside).
  /// - Parameter checksSeparation: whether a feature that alone separates
  ///   `y` is set aside (a logistic fit's labels; not a survival fit's).
  /// - Parameter aliasTolerance: the largest 1 − R² of a feature on those
  ///   before it that counts as aliased; a looser one than the default
  ///   marks the features it finds as nearly aliased.
  init(
    x: Matrix, y: [Double], weights: [Double], featureNames names: [String], penalised: Bool,
    checksSeparation: Bool = true, aliasTolerance: Double = FeatureScreen.aliasTolerance
  ) {
    let n = x.rows
    let (means, deviations) = columnMoments(of: x)
    var scales = [Double](repeating: 1, count: x.columns)
    var varying: [Int] = []
    var dropped: [(position: Int, feature: DroppedFeature)] = []
    for j in 0..<x.columns {
      let sd = deviations[j]
      if sd == 0 || sd <= FeatureScreen.constantTolerance * abs(means[j]) {
        dropped.append((j, DroppedFeature(name: names[j], reason: .constant, constant: n > 0 ? x[0, j] : 0)))
      } else {
        scales[j] = sd
        varying.append(j)
      }
    }
    if !penalised {
      varying = varying.filter { j in
        guard checksSeparation,
          let found = FeatureScreen.separation(x, column: j, y: y, weights: weights, name: names[j])
        else {
          return true
        }
        dropped.append((j, found))
        return false
      }
      dropped += FeatureScreen.aliased(
        x, varying: varying, y: y, weights: weights, means: means, scales: scales, names: names,
        tolerance: aliasTolerance)
    }
    dropped.sort { $0.position < $1.position }
    let droppedPositions = Set(dropped.map(\.position))
    kept = (0..<x.columns).filter { !droppedPositions.contains($0) }
    self.dropped = dropped.map(\.feature)
  }

  /// A coefficient within 1e-7 (relative) of a whole number is that number:
  /// what is left is the factorisation's rounding.
  static func tidy(_ v: Double) -> Double {
    let whole = v.rounded()
    return abs(v - whole) <= 1e-7 * max(1, abs(v)) ? whole : v
  }

  /// Whether column j alone separates the labels: the largest value among
  /// rows of one label is at most the smallest among rows of the other
  /// (rows of weight 0 do not count). The boundary reported is halfway
  /// between the two (the shared value when they touch).
  static func separation(_ x: Matrix, column j: Int, y: [Double], weights: [Double], name: String) -> DroppedFeature? {
    var low = [Double.infinity, .infinity]
    var high = [-Double.infinity, -.infinity]
    let n = x.rows
    for i in 0..<n where weights[i] > 0 {
      let v = x.storage[j * n + i]
      let k = y[i] == 1 ? 1 : 0
      low[k] = min(low[k], v)
      high[k] = max(high[k], v)
    }
    let labelAbove: Int
    let boundary: Double
    if high[0] <= low[1] {
      (labelAbove, boundary) = (1, (high[0] + low[1]) / 2)
    } else if high[1] <= low[0] {
      (labelAbove, boundary) = (0, (high[1] + low[0]) / 2)
    } else {
      return nil
    }
    var above = 0
    var below = 0
    for i in 0..<n where weights[i] > 0 {
      let v = x.storage[j * n + i]
      if v > boundary { above += 1 } else if v < boundary { below += 1 }
    }
    return DroppedFeature(
      name: name, reason: .separating, constant: boundary, labelAbove: labelAbove, rowsAbove: above, rowsBelow: below)
  }

  /// The varying columns that are combinations of earlier ones, with the
  /// combination on the original scale.
  private static func aliased(
    _ x: Matrix, varying: [Int], y: [Double], weights: [Double], means: [Double], scales: [Double], names: [String],
    tolerance: Double
  ) -> [(position: Int, feature: DroppedFeature)] {
    let n = x.rows
    var dropped: [(position: Int, feature: DroppedFeature)] = []
    // The Gram matrix ZᵀWZ of the standardised columns with the intercept:
    // the Hessian at a constant linear predictor, up to a factor.
    let design = varying.count == x.columns ? x : x.selectingColumns(varying)
    let loss = LogisticLoss(
      x: design, y: y, weights: weights, l2: 0, means: varying.map { means[$0] }, scales: varying.map { scales[$0] })
    let dependence = ColumnDependence(
      gram: loss.hessian(eta: [Double](repeating: 0, count: n)), tolerance: tolerance)
    for d in dependence.dependent where d.column > 0 {
      let j = varying[d.column - 1]
      // z_j = c₀ + Σ c_t z_t  ⇒  x_j = m_j + s_j c₀ + Σ (s_j c_t / s_t)(x_t − m_t).
      var constant = means[j]
      var shares: [DroppedFeature.Share] = []
      for share in d.combination {
        if share.column == 0 {
          constant += scales[j] * share.coefficient
          continue
        }
        let t = varying[share.column - 1]
        let b = FeatureScreen.tidy(scales[j] * share.coefficient / scales[t])
        constant -= b * means[t]
        // A share that moves the column by less than 1e-7 of its spread is
        // rounding left by the factorisation, not part of the combination;
        // of a near-combination only the shares that matter are named.
        let negligible = d.residualShare > FeatureScreen.aliasTolerance ? 0.05 : 1e-7
        if abs(b) * scales[t] > negligible * scales[j] { shares.append(.init(feature: names[t], coefficient: b)) }
      }
      if abs(constant) < 1e-7 * (scales[j] + abs(means[j])) { constant = 0 }
      dropped.append(
        (
          j,
          DroppedFeature(
            name: names[j], reason: .aliased, constant: FeatureScreen.tidy(constant), combination: shares,
            residualShare: d.residualShare > FeatureScreen.aliasTolerance ? d.residualShare : nil)
        ))
    }
    return dropped
  }
}

/// Each column's mean and population standard deviation (two passes, as
/// scikit-learn's StandardScaler computes them).
func columnMoments(of x: Matrix) -> (means: [Double], deviations: [Double]) {
  let n = x.rows
  var means = [Double](repeating: 0, count: x.columns)
  var deviations = [Double](repeating: 0, count: x.columns)
  for j in 0..<x.columns {
    let column = x.storage[(j * n)..<((j + 1) * n)]
    let mean = column.reduce(0, +) / Double(n)
    means[j] = mean
    deviations[j] = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
  }
  return (means, deviations)
}

/// How many rows have the rarer of the two labels: the events that bound
/// how many features a logistic fit can carry.
func rarerClassCount(_ y: [Double]) -> Int {
  let positives = y.reduce(0, +)
  return Int(min(positives, Double(y.count) - positives))
}
