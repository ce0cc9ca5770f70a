import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import LinearAlgebra
import Testing

struct LogisticRegressionTests {
  /// Simulated data with known coefficients.
  func simulate(n: Int, beta: [Double], intercept: Double, seed: UInt64) -> (Matrix, [Double]) {
    var rng = SplitMix64(seed: seed)
    var x = Matrix(rows: n, columns: beta.count)
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n {
      var eta = intercept
      for j in beta.indices {
        let v = Double.random(in: -2..<2, using: &rng) * Double(j + 1)
        x[i, j] = v
        eta += beta[j] * v
      }
      y[i] = rng.nextUniform() < 1 / (1 + exp(-eta)) ? 1 : 0
    }
    return (x, y)
  }

  /// The true coefficients lie within 4 standard errors of the estimates,
  /// and standardising changes nothing on the original scale.
  @Test func recoversKnownCoefficients() throws {
    let beta = [0.9, -0.4, 0.15]
    let (x, y) = simulate(n: 4000, beta: beta, intercept: -0.7, seed: 3)
    let fit = try LogisticRegression().fit(x, y, featureNames: ["a", "b", "c"])
    let raw = try LogisticRegression(standardize: false).fit(x, y, featureNames: ["a", "b", "c"])
    #expect(fit.converged && fit.warnings.isEmpty)
    for (term, truth) in zip(fit.terms, [-0.7] + beta) {
      #expect(abs(term.coefficient - truth) < 4 * term.standardError, "\(term.name)")
    }
    #expect(maxRelativeDifference(fit.terms.map(\.coefficient), raw.terms.map(\.coefficient)) < 1e-9)
    #expect(maxRelativeDifference(fit.terms.map(\.standardError), raw.terms.map(\.standardError)) < 1e-7)
    #expect(fit.terms.map(\.name) == ["(intercept)", "a", "b", "c"])
    #expect(fit.pseudoRSquared > 0 && fit.pseudoRSquared < 1)
  }

  /// Over 300 simulated datasets the 95% intervals cover the true
  /// coefficients about 95% of the time (binomial standard error 1.3%; the
  /// band is three of them either side).
  @Test func intervalsCoverTheTruthAtTheNominalRate() throws {
    let beta = [0.8, -0.5]
    var covered = [0, 0, 0]
    let replications = 300
    for r in 0..<replications {
      let (x, y) = simulate(n: 400, beta: beta, intercept: -0.3, seed: 1000 + UInt64(r))
      let fit = try LogisticRegression().fit(x, y, featureNames: ["a", "b"])
      for (j, truth) in ([-0.3] + beta).enumerated()
      where fit.terms[j].lower95 <= truth && truth <= fit.terms[j].upper95 {
        covered[j] += 1
      }
    }
    for c in covered {
      let rate = Double(c) / Double(replications)
      #expect(rate > 0.912 && rate < 0.988, "coverage \(rate)")
    }
  }

  /// At the optimum the gradient of the log-likelihood vanishes: checked by
  /// central finite differences, independently of the solver's own gradient.
  @Test func optimumIsAStationaryPoint() throws {
    let (x, y) = simulate(n: 800, beta: [0.5, -0.2], intercept: 0.3, seed: 4)
    let fit = try LogisticRegression(standardize: false).fit(x, y, featureNames: ["a", "b"])
    func logLikelihood(_ b: [Double]) -> Double {
      var total = 0.0
      for i in 0..<x.rows {
        let eta = b[0] + b[1] * x[i, 0] + b[2] * x[i, 1]
        total += y[i] * eta - log(1 + exp(eta))
      }
      return total
    }
    let b = fit.terms.map(\.coefficient)
    #expect(abs(logLikelihood(b) - fit.logLikelihood) < 1e-9 * abs(fit.logLikelihood))
    for j in 0..<3 {
      var up = b, down = b
      up[j] += 1e-5
      down[j] -= 1e-5
      let derivative = (logLikelihood(up) - logLikelihood(down)) / 2e-5
      #expect(abs(derivative) < 1e-4, "coefficient \(j)")
    }
  }

  @Test func constantAndCollinearFeaturesAreNamed() throws {
    let (x0, y) = simulate(n: 300, beta: [0.5, 0.5], intercept: 0, seed: 5)
    var constant = Matrix(rows: 300, columns: 3)
    var collinear = Matrix(rows: 300, columns: 3)
    for i in 0..<300 {
      for j in 0..<2 {
        constant[i, j] = x0[i, j]
        collinear[i, j] = x0[i, j]
      }
      constant[i, 2] = 7
      collinear[i, 2] = 2 * x0[i, 0] - x0[i, 1]
    }
    // By default both are left out, named with what they are, and the fit is
    // the fit without them.
    let alone = try LogisticRegression().fit(x0, y, featureNames: ["a", "b"])
    let withConstant = try LogisticRegression(standardize: false).fit(constant, y, featureNames: ["a", "b", "flat"])
    #expect(withConstant.dropped == [DroppedFeature(name: "flat", reason: .constant, constant: 7)])
    #expect(withConstant.dropped?.first?.description == "constant (always 7)")
    let withCombination = try LogisticRegression().fit(collinear, y, featureNames: ["a", "b", "combo"])
    #expect(withCombination.featureNames == ["a", "b"])
    #expect(withCombination.dropped?.map(\.reason) == [.aliased])
    #expect(withCombination.dropped?.first?.description == "= 2·a − b")
    for fit in [withConstant, withCombination] {
      for (t, u) in zip(fit.terms, alone.terms) { #expect(abs(t.coefficient - u.coefficient) < 1e-9) }
    }
    #expect(withCombination.predictor(over: ["a", "b", "combo"]).coefficients[2] == 0)
    // Any constant prints, however large (no whole-number conversion past 10¹⁵).
    #expect(DroppedFeature(name: "big", reason: .constant, constant: 1e20).description == "constant (always 1e+20)")
    #expect(DroppedFeature(name: "x", reason: .constant, constant: 2.5).description == "constant (always 2.5)")
    // Without screening they fail the fit, by name; a penalty makes both well posed.
    var strict = LogisticRegression(standardize: false)
    strict.screensFeatures = false
    #expect(throws: ModelError.constantColumn(name: "flat")) {
      try strict.fit(constant, y, featureNames: ["a", "b", "flat"])
    }
    strict.standardize = true
    #expect(throws: ModelError.collinearColumn(name: "combo")) {
      try strict.fit(collinear, y, featureNames: ["a", "b", "combo"])
    }
    _ = try LogisticRegression(l2: 1).fit(collinear, y, featureNames: ["a", "b", "combo"])
    #expect(
      ModelError.constantColumn(name: "flat").description
        == "feature 'flat' is constant: drop it, or add an L2 penalty (--l2)")
  }

  /// The lasso's optimality conditions: at the optimum, every zero
  /// coefficient has |∂L/∂βⱼ| ≤ a, every other one ∂L/∂βⱼ = −a·sign(βⱼ);
  /// and a large enough penalty zeroes them all.
  @Test func l1SolutionSatisfiesTheOptimalityConditions() throws {
    let (x, y) = simulate(n: 1500, beta: [1.0, 0.02, -0.5], intercept: -0.2, seed: 8)
    var estimator = LogisticRegression(standardize: false)
    estimator.l1 = 20
    let fit = try estimator.fit(x, y, featureNames: ["a", "b", "c"])
    let b = fit.terms.map(\.coefficient)
    var gradient = [0.0, 0.0, 0.0, 0.0]
    for i in 0..<x.rows {
      let p = 1 / (1 + exp(-(b[0] + b[1] * x[i, 0] + b[2] * x[i, 1] + b[3] * x[i, 2])))
      gradient[0] += p - y[i]
      for j in 0..<3 { gradient[j + 1] += (p - y[i]) * x[i, j] }
    }
    #expect(abs(gradient[0]) < 1e-6)
    for j in 1...3 {
      if b[j] == 0 {
        #expect(abs(gradient[j]) <= 20 + 1e-6)
      } else {
        #expect(abs(gradient[j] + 20 * (b[j] > 0 ? 1 : -1)) < 1e-5)
      }
    }
    estimator.l1 = 1e5
    let empty = try estimator.fit(x, y, featureNames: ["a", "b", "c"])
    #expect(empty.coefficients == [0, 0, 0])
  }

  /// A penalty factor of 0 leaves a feature out of both penalties: with
  /// an L1 large enough to zero every penalised feature, the fit equals the
  /// unpenalised fit on the unpenalised feature alone; factors of 1 are the
  /// plain penalty.
  @Test func penaltyFactorsLeaveAFeatureUnpenalised() throws {
    let (x, y) = simulate(n: 2000, beta: [0.8, -0.5, 0.3], intercept: -0.4, seed: 12)
    var lasso = LogisticRegression(l2: 1)
    lasso.l1 = 1e6
    lasso.penaltyFactors = [0, 1, 1]
    let fit = try lasso.fit(x, y, featureNames: ["a", "b", "c"])
    let alone = try LogisticRegression(l2: 0).fit(x.selectingColumns([0]), y, featureNames: ["a"])
    #expect(fit.coefficients[1] == 0 && fit.coefficients[2] == 0)
    #expect(abs(fit.coefficients[0] - alone.coefficients[0]) < 1e-7)
    #expect(abs(fit.intercept - alone.intercept) < 1e-7)
    var plain = LogisticRegression(l2: 2)
    plain.l1 = 3
    var ones = plain
    ones.penaltyFactors = [1, 1, 1]
    let a = try plain.fit(x, y, featureNames: ["a", "b", "c"]).terms.map(\.coefficient)
    let b = try ones.fit(x, y, featureNames: ["a", "b", "c"]).terms.map(\.coefficient)
    for (u, v) in zip(a, b) { #expect(abs(u - v) < 1e-10) }
    ones.penaltyFactors = [1, -1, 1]
    #expect(throws: ModelError.self) { try ones.fit(x, y, featureNames: ["a", "b", "c"]) }
  }

  @Test func badLabelsAreRefused() {
    let x = Matrix(rows: 3, columns: 1, columnMajor: [1, 2, 3])
    #expect(throws: ModelError.singleClass(label: 1)) {
      try LogisticRegression().fit(x, [1, 1, 1], featureNames: ["a"])
    }
    #expect(throws: ModelError.invalidLabel(row: 1, value: 2)) {
      try LogisticRegression().fit(x, [0, 2, 1], featureNames: ["a"])
    }
    #expect(throws: ModelError.self) { try LogisticRegression(l2: -1).fit(x, [0, 1, 1], featureNames: ["a"]) }
  }

  @Test func separationIsReportedNotHidden() throws {
    // y = 1 exactly when a > 0: the maximum-likelihood coefficient is infinite.
    var x = Matrix(rows: 200, columns: 1)
    var y = [Double](repeating: 0, count: 200)
    for i in 0..<200 {
      x[i, 0] = Double(i) - 99.5
      y[i] = x[i, 0] > 0 ? 1 : 0
    }
    // Screened, a feature that separates alone is left out and said so.
    #expect(throws: ModelError.self) { try LogisticRegression().fit(x, y, featureNames: ["a"]) }
    var noise = SplitMix64(seed: 4)
    let withNoise = Matrix(rows: 200, columns: 2, columnMajor: x.storage + (0..<200).map { _ in noise.nextUniform() })
    let screened = try LogisticRegression().fit(withNoise, y, featureNames: ["a", "noise"])
    #expect(screened.featureNames == ["noise"])
    #expect(
      screened.dropped?.first?.description
        == "separates the labels: all 100 rows below 0 have label 0 and all 100 rows above 0 have label 1 (no finite coefficient without a penalty; --l2 keeps it)"
    )
    // Unscreened (or separation by a combination), the runaway is warned about.
    var strict = LogisticRegression(maxIterations: 50)
    strict.screensFeatures = false
    let fit = try strict.fit(x, y, featureNames: ["a"])
    #expect(fit.warnings.contains(.separation(features: ["a"])))
    #expect(fit.terms.allSatisfy { $0.coefficient.isFinite })
  }

  /// Separation by a combination of features (no feature alone separates):
  /// the unpenalised fit says so and how to fix it, never "collinear".
  @Test func separationByACombinationIsNamed() throws {
    var random = SplitMix64(seed: 9)
    let n = 300
    var x = Matrix(rows: n, columns: 2)
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n {
      x[i, 0] = random.nextUniform() * 2 - 1
      x[i, 1] = random.nextUniform() * 2 - 1
      y[i] = x[i, 0] + x[i, 1] > 0 ? 1 : 0
    }
    do {
      let fit = try LogisticRegression().fit(x, y, featureNames: ["a", "b"])
      #expect(fit.warnings.contains(.separation(features: ["a", "b"])), "\(fit.warnings)")
    } catch {
      guard case .separated(_, let rows) = error else { Issue.record("\(error)"); return }
      #expect(rows > 0)
      #expect(!"\(error)".contains("linear combination"))
    }
    #expect(try LogisticRegression(l2: 1).fit(x, y, featureNames: ["a", "b"]).converged)
  }
}
