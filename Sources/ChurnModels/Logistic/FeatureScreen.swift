import LinearAlgebra

/// Which features a logistic fit can estimate: constant ones always, and
/// for an unpenalised fit those that are linear combinations of features
/// before them (in the weighted, standardised design with its intercept)
/// or that alone separate the labels, are set aside, with what each is,
/// before Newton's method ever sees them. A penalty makes aliased and
/// separating features estimable, so they are then kept (as scikit-learn
/// and glmnet keep them).
package struct FeatureScreen {
  /// Positions of the features to fit, in order.
  let kept: [Int]
  let dropped: [DroppedFeature]
  /// Every column's mean and population standard deviation.
  let means: [Double]
  let deviations: [Double]

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
    self.init(
      design: RowsInMemory(x: x, y: y, weights: weights), featureNames: names, penalised: penalised,
      checksSeparation: checksSeparation, aliasTolerance: aliasTolerance)
  }

  /// The screen of a design seen through its summaries (`ScreenedDesign`):
  /// rows in memory or in a database.
  init<Design: ScreenedDesign>(
    design: Design, featureNames names: [String], penalised: Bool, checksSeparation: Bool = true,
    aliasTolerance: Double = FeatureScreen.aliasTolerance
  ) throws(Design.Failure) {
    let (means, deviations) = try design.moments()
    self.means = means
    self.deviations = deviations
    var scales = [Double](repeating: 1, count: names.count)
    var varying: [Int] = []
    var dropped: [(position: Int, feature: DroppedFeature)] = []
    for j in names.indices {
      let sd = deviations[j]
      if sd == 0 || sd <= FeatureScreen.constantTolerance * abs(means[j]) {
        let constant = design.rows > 0 ? try design.firstValue(column: j) : 0
        dropped.append((j, DroppedFeature(name: names[j], reason: .constant, constant: constant)))
      } else {
        scales[j] = sd
        varying.append(j)
      }
    }
    if !penalised {
      if checksSeparation {
        var separable: [Int] = []
        for j in varying {
          guard let found = try design.separation(column: j, name: names[j]) else { continue }
          dropped.append((j, found))
          separable.append(j)
        }
        varying.removeAll { separable.contains($0) }
      }
      let gram = try design.gram(
        of: varying, means: varying.map { means[$0] }, scales: varying.map { scales[$0] })
      dropped += FeatureScreen.aliased(
        gram: gram, varying: varying, means: means, scales: scales, names: names, tolerance: aliasTolerance)
    }
    dropped.sort { $0.position < $1.position }
    let droppedPositions = Set(dropped.map(\.position))
    kept = names.indices.filter { !droppedPositions.contains($0) }
    self.dropped = dropped.map(\.feature)
  }

  /// A coefficient within 1e-7 (relative) of a whole number is that number:
  /// what is left is the factorisation's rounding.
  static func tidy(_ v: Double) -> Double {
    let whole = v.rounded()
    return abs(v - whole) <= 1e-7 * max(1, abs(v)) ? whole : v
  }

  /// Where a feature alone would separate the labels, from its smallest
  /// and largest value among rows of each label (`low[k]`, `high[k]`, rows
  /// of weight 0 not counted): the largest among one label is at most the
  /// smallest among the other. The boundary is halfway between the two
  /// (the shared value when they touch); nil when the labels overlap.
  package static func separatingBoundary(low: [Double], high: [Double]) -> (boundary: Double, labelAbove: Int)? {
    if high[0] <= low[1] { return ((high[0] + low[1]) / 2, 1) }
    if high[1] <= low[0] { return ((high[1] + low[0]) / 2, 0) }
    return nil
  }

  /// The varying columns that are combinations of earlier ones, with the
  /// combination on the original scale, from the Gram matrix ZᵀWZ of the
  /// standardised varying columns with the intercept.
  private static func aliased(
    gram: Matrix, varying: [Int], means: [Double], scales: [Double], names: [String], tolerance: Double
  ) -> [(position: Int, feature: DroppedFeature)] {
    var dropped: [(position: Int, feature: DroppedFeature)] = []
    let dependence = ColumnDependence(gram: gram, tolerance: tolerance)
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

/// What `FeatureScreen` reads of a design, wherever its rows are.
package protocol ScreenedDesign {
  associatedtype Failure: Error
  var rows: Int { get }
  /// Each column's mean and population standard deviation.
  func moments() throws(Failure) -> (means: [Double], deviations: [Double])
  /// A value of column j (what a constant column holds).
  func firstValue(column j: Int) throws(Failure) -> Double
  /// Column j as a separating feature, or nil (`FeatureScreen.separatingBoundary`).
  func separation(column j: Int, name: String) throws(Failure) -> DroppedFeature?
  /// ZᵀWZ of the intercept and the standardised `columns` at η = 0 (the
  /// Hessian of an unpenalised fit there), both triangles filled.
  func gram(of columns: [Int], means: [Double], scales: [Double]) throws(Failure) -> Matrix
}

/// A design matrix, its labels and row weights in memory.
struct RowsInMemory: ScreenedDesign {
  let x: Matrix
  let y: [Double]
  let weights: [Double]

  var rows: Int { x.rows }
  func moments() -> (means: [Double], deviations: [Double]) { columnMoments(of: x) }
  func firstValue(column j: Int) -> Double { x[0, j] }

  func separation(column j: Int, name: String) -> DroppedFeature? {
    var low = [Double.infinity, .infinity]
    var high = [-Double.infinity, -.infinity]
    let n = x.rows
    for i in 0..<n where weights[i] > 0 {
      let v = x.storage[j * n + i]
      let k = y[i] == 1 ? 1 : 0
      low[k] = min(low[k], v)
      high[k] = max(high[k], v)
    }
    guard let (boundary, labelAbove) = FeatureScreen.separatingBoundary(low: low, high: high) else { return nil }
    var above = 0
    var below = 0
    for i in 0..<n where weights[i] > 0 {
      let v = x.storage[j * n + i]
      if v > boundary { above += 1 } else if v < boundary { below += 1 }
    }
    return DroppedFeature(
      name: name, reason: .separating, constant: boundary, labelAbove: labelAbove, rowsAbove: above, rowsBelow: below)
  }

  func gram(of columns: [Int], means: [Double], scales: [Double]) -> Matrix {
    let design = columns.count == x.columns ? x : x.selectingColumns(columns)
    let loss = LogisticLoss(x: design, y: y, weights: weights, l2: 0, means: means, scales: scales)
    return loss.hessian(eta: [Double](repeating: 0, count: x.rows))
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
