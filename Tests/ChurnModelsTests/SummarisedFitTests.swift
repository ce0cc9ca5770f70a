import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import LinearAlgebra
import Testing

/// Rows seen only through sums, computed here by plain loops (independent
/// of `LogisticLoss`'s blocked BLAS): what a database returns to
/// `LogisticRegression.fit(summarised:)`.
private final class SummedRows: SummarisedLogisticDesign {
  let x: Matrix
  let y: [Double]
  var queries = 0

  init(x: Matrix, y: [Double]) {
    self.x = x
    self.y = y
  }

  var rows: Int { x.rows }
  var positives: Int { Int(y.reduce(0, +)) }

  func moments() -> (means: [Double], deviations: [Double]) {
    let n = Double(rows)
    let means = (0..<x.columns).map { j in (0..<rows).reduce(0) { $0 + x[$1, j] } / n }
    let deviations = (0..<x.columns).map { j in
      ((0..<rows).reduce(0) { $0 + (x[$1, j] - means[j]) * (x[$1, j] - means[j]) } / n).squareRoot()
    }
    return (means, deviations)
  }

  func firstValue(column j: Int) -> Double { (0..<rows).map { x[$0, j] }.min()! }

  func separation(column j: Int, name: String) -> DroppedFeature? {
    let values = { (label: Double) in (0..<self.rows).filter { self.y[$0] == label }.map { self.x[$0, j] } }
    let (zeros, ones) = (values(0), values(1))
    guard
      let (boundary, above) = FeatureScreen.separatingBoundary(
        low: [zeros.min()!, ones.min()!], high: [zeros.max()!, ones.max()!])
    else { return nil }
    let column = (0..<rows).map { x[$0, j] }
    return DroppedFeature(
      name: name, reason: .separating, constant: boundary, labelAbove: above,
      rowsAbove: column.count { $0 > boundary }, rowsBelow: column.count { $0 < boundary })
  }

  func gram(of columns: [Int], means: [Double], scales: [Double]) -> Matrix {
    let objective = objective(columns: columns, means: means, scales: scales, l2PerTerm: [0] + columns.map { _ in 0 })
    return objective.hessian(at: objective.state(at: [Double](repeating: 0, count: columns.count + 1)))
  }

  func objective(columns: [Int], means: [Double], scales: [Double], l2PerTerm: [Double]) -> Sums {
    Sums(design: self, columns: columns, means: means, scales: scales, l2PerTerm: l2PerTerm)
  }

  struct Sums: LogisticObjective {
    let design: SummedRows
    let columns: [Int]
    let means: [Double]
    let scales: [Double]
    let l2PerTerm: [Double]
    var rows: Int { design.rows }
    var parameters: Int { columns.count + 1 }

    func state(at gamma: [Double]) -> (ll: Double, g: [Double], h: Matrix, saturated: Int) {
      design.queries += 1
      let q = parameters
      var ll = 0.0
      var g = [Double](repeating: 0, count: q)
      var h = Matrix(rows: q, columns: q)
      var saturated = 0
      for i in 0..<rows {
        let z = [1] + columns.enumerated().map { k, j in (design.x[i, j] - means[k]) / scales[k] }
        let eta = zip(gamma, z).reduce(0) { $0 + $1.0 * $1.1 }
        let p = 1 / (1 + exp(-eta))
        ll += design.y[i] * eta - log(1 + exp(eta))
        if abs(eta) > 23 { saturated += 1 }
        for a in 0..<q {
          g[a] += (p - design.y[i]) * z[a]
          for b in 0..<q { h[a, b] += p * (1 - p) * z[a] * z[b] }
        }
      }
      return (ll, g, h, saturated)
    }
    func value(_ gamma: [Double], at s: (ll: Double, g: [Double], h: Matrix, saturated: Int)) -> Double {
      var penalty = 0.0
      for j in 1..<parameters { penalty += l2PerTerm[j] * gamma[j] * gamma[j] }
      return -s.ll + 0.5 * penalty
    }
    func gradient(_ gamma: [Double], at s: (ll: Double, g: [Double], h: Matrix, saturated: Int)) -> [Double] {
      (0..<parameters).map { s.g[$0] + l2PerTerm[$0] * gamma[$0] }
    }
    func hessian(at s: (ll: Double, g: [Double], h: Matrix, saturated: Int)) -> Matrix {
      var h = s.h
      for j in 1..<parameters { h[j, j] += l2PerTerm[j] }
      return h
    }
    func logLikelihood(at s: (ll: Double, g: [Double], h: Matrix, saturated: Int)) -> Double { s.ll }
    func saturatedRows(at s: (ll: Double, g: [Double], h: Matrix, saturated: Int)) -> Int { s.saturated }
  }
}

struct SummarisedFitTests {
  /// A design with a constant, an aliased and a separating column beside
  /// three informative ones.
  func design(seed: UInt64) -> (Matrix, [Double], [String]) {
    var rng = SplitMix64(seed: seed)
    let n = 600
    var x = Matrix(rows: n, columns: 6)
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n {
      let a = Double.random(in: -2..<2, using: &rng)
      let b = Double.random(in: 0..<5, using: &rng)
      let c = Double.random(in: -1..<1, using: &rng) * 10
      let eta: Double = -0.5 + 0.8 * a - 0.3 * b + 0.05 * c
      y[i] = rng.nextUniform() < 1 / (1 + exp(-eta)) ? 1 : 0
      x[i, 0] = a
      x[i, 1] = 7
      x[i, 2] = b
      x[i, 3] = 2 * a - b + 1
      x[i, 4] = c
      x[i, 5] = y[i] == 1 ? 3 + Double(i % 3) : -Double(i % 4)  // alone separates the labels
    }
    return (x, y, ["a", "constant", "b", "aliased", "c", "separating"])
  }

  /// Unpenalised: the same features set aside for the same reasons, and the
  /// same coefficients, errors and likelihoods as the fit on the rows.
  @Test func unpenalisedMatchesTheFitOnTheRows() throws {
    let (x, y, names) = design(seed: 5)
    let rows = try LogisticRegression().fit(x, y, featureNames: names)
    let summed = SummedRows(x: x, y: y)
    let sums = try LogisticRegression().fit(summarised: summed, featureNames: names)
    #expect(sums.dropped == rows.dropped)
    #expect(rows.dropped?.map(\.reason) == [.constant, .aliased, .separating])
    #expect(sums.terms.map(\.name) == rows.terms.map(\.name))
    #expect(maxRelativeDifference(sums.terms.map(\.coefficient), rows.terms.map(\.coefficient)) < 1e-9)
    #expect(maxRelativeDifference(sums.terms.map(\.standardError), rows.terms.map(\.standardError)) < 1e-9)
    #expect(abs(sums.logLikelihood - rows.logLikelihood) < 1e-9 * abs(rows.logLikelihood))
    #expect(abs(sums.nullLogLikelihood - rows.nullLogLikelihood) < 1e-9 * abs(rows.nullLogLikelihood))
    #expect(sums.iterations == rows.iterations && sums.converged)
    // One state per Newton step and line-search trial: never a row.
    #expect(summed.queries <= 3 * rows.iterations + 3)
  }

  /// With L2 and elastic-net penalties (only constant columns set aside).
  @Test func penalisedMatchesTheFitOnTheRows() throws {
    let (x, y, names) = design(seed: 9)
    for (l2, l1) in [(1.0, 0.0), (0.5, 2.0)] {
      var estimator = LogisticRegression(l2: l2)
      estimator.l1 = l1
      let rows = try estimator.fit(x, y, featureNames: names)
      let sums = try estimator.fit(summarised: SummedRows(x: x, y: y), featureNames: names)
      #expect(sums.dropped == rows.dropped && sums.warnings == rows.warnings)
      #expect(maxRelativeDifference(sums.terms.map(\.coefficient), rows.terms.map(\.coefficient)) < 1e-8, "l1 \(l1)")
      #expect(maxRelativeDifference(sums.terms.map(\.standardError), rows.terms.map(\.standardError)) < 1e-8)
    }
  }

  /// Labels of one class are refused as by the fit on the rows.
  @Test func oneClassIsRefused() {
    let (x, _, names) = design(seed: 1)
    let y = [Double](repeating: 0, count: x.rows)
    #expect(throws: ModelError.singleClass(label: 0)) {
      try LogisticRegression().fit(summarised: SummedRows(x: x, y: y), featureNames: names)
    }
  }
}
