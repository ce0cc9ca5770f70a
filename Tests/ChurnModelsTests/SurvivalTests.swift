import ChurnIO
import Foundation
import LinearAlgebra
import Testing

@testable import ChurnModels

/// Cox's partial likelihood, its fit, the concordance index and the
/// log-rank test against independent computations (lifelines and
/// statsmodels are in Tests/crosscheck/test_survival.py).
struct SurvivalTests {
  /// Exponential churn times with hazard e^{xβ}, censored uniformly; times
  /// rounded to whole days so that ties occur.
  static func simulated(rows n: Int, beta: [Double], seed: UInt64, wholeDays: Bool = true) -> SurvivalTable {
    var random = SplitMix64(seed: seed)
    func normal() -> Double {
      (-2 * log(1 - random.nextUniform())).squareRoot() * cos(2 * .pi * random.nextUniform())
    }
    var x = Matrix(rows: n, columns: beta.count)
    var durations: [Double] = [], churned: [Bool] = []
    for i in 0..<n {
      var eta = 0.0
      for j in beta.indices {
        x[i, j] = normal()
        eta += x[i, j] * beta[j]
      }
      let time = -log(1 - random.nextUniform()) / exp(eta) * 30
      let censor = random.nextUniform() * 60
      let d = min(time, censor)
      durations.append(wholeDays ? max(1, d.rounded(.up)) : d)
      churned.append(time <= censor)
    }
    return SurvivalTable(
      names: beta.indices.map { "x\($0)" }, durations: durations, churned: churned, covariates: x)
  }

  static func likelihood(_ table: SurvivalTable) -> EfronPartialLikelihood {
    let order = table.durations.indices.sorted { table.durations[$0] < table.durations[$1] }
    return EfronPartialLikelihood(
      rows: order, durations: table.durations, churned: table.churned, columns: table.names.count
    ) { i, j in table.covariates[i, j] }
  }

  @Test func gradientAndInformationMatchFiniteDifferences() {
    let table = SurvivalTests.simulated(rows: 300, beta: [0.7, -0.4, 0.2], seed: 5)
    let likelihood = SurvivalTests.likelihood(table)
    let point = [0.3, -0.1, 0.5]
    let at = likelihood.evaluate(point)
    let h = 1e-5
    for j in 0..<3 {
      var up = point, down = point
      up[j] += h
      down[j] -= h
      let (plus, minus) = (likelihood.evaluate(up), likelihood.evaluate(down))
      #expect(abs((plus.value - minus.value) / (2 * h) - at.gradient[j]) < 1e-5 * max(1, abs(at.gradient[j])))
      for k in 0..<3 {
        // The information is minus the gradient's derivative.
        let numeric = -(plus.gradient[k] - minus.gradient[k]) / (2 * h)
        #expect(abs(numeric - at.information[j * 3 + k]) < 1e-5 * max(1, abs(numeric)))
      }
    }
  }

  /// Efron's term at a tie, written out for two tied churns among three at
  /// risk: log e^{η₁+η₂} − log(S₀) − log(S₀ − (e^{η₁} + e^{η₂})/2).
  @Test func efronTermOfOneTieIsWrittenOut() {
    let table = SurvivalTable(
      names: ["x"], durations: [5, 5, 9], churned: [true, true, false],
      covariates: Matrix(rowMajor: [[1], [2], [0.5]]))
    let beta = 0.4
    let w = [exp(beta * 1), exp(beta * 2), exp(beta * 0.5)]
    let s0 = w.reduce(0, +)
    let expected = beta * 3 - log(s0) - log(s0 - (w[0] + w[1]) / 2)
    #expect(abs(SurvivalTests.likelihood(table).evaluate([beta]).value - expected) < 1e-12)
  }

  @Test func fitRecoversPlantedCoefficients() throws {
    let truth = [0.8, -0.5, 0.0]
    let fit = try CoxProportionalHazards().fit(SurvivalTests.simulated(rows: 3000, beta: truth, seed: 11))
    #expect(fit.converged)
    for (term, planted) in zip(fit.terms, truth) {
      #expect(term.lower95 < planted && planted < term.upper95, "\(term.name): \(term.coefficient)")
      #expect(abs(term.coefficient - planted) < 4 * term.standardError)
    }
    // At the optimum the gradient vanishes; the likelihood ratio is large.
    #expect(fit.likelihoodRatio.pValue < 1e-10)
    #expect(fit.concordance > 0.6)
  }

  @Test func aFeatureThatOrdersEveryChurnIsSetAsideAsMonotone() throws {
    var table = SurvivalTests.simulated(rows: 400, beta: [0.5, 0.3], seed: 2)
    // A third column: 1 for exactly the churners, 0 for the censored.
    var x = Matrix(rows: table.rows, columns: 3)
    for i in 0..<table.rows {
      x[i, 0] = table.covariates[i, 0]
      x[i, 1] = table.covariates[i, 1]
      x[i, 2] = table.churned[i] ? 1 : 0
    }
    table = SurvivalTable(
      names: ["a", "b", "churner"], durations: table.durations, churned: table.churned, covariates: x)
    let fit = try CoxProportionalHazards().fit(table)
    #expect(fit.names == ["a", "b"])
    #expect(fit.dropped.map(\.name) == ["churner"])
    #expect(fit.dropped.first?.reason == .monotone)
    #expect(fit.converged)
  }

  @Test func aRidgePenaltyKeepsTheMonotoneFeatureFinite() throws {
    let base = SurvivalTests.simulated(rows: 400, beta: [0.5], seed: 2)
    var x = Matrix(rows: base.rows, columns: 2)
    for i in 0..<base.rows {
      x[i, 0] = base.covariates[i, 0]
      x[i, 1] = base.churned[i] ? 1 : 0
    }
    var estimator = CoxProportionalHazards()
    estimator.l2 = 1
    let fit = try estimator.fit(
      SurvivalTable(names: ["a", "churner"], durations: base.durations, churned: base.churned, covariates: x))
    #expect(fit.names == ["a", "churner"])
    #expect(fit.converged && fit.terms.allSatisfy { $0.coefficient.isFinite })
  }

  /// Harrell's C against its O(n²) definition, with tied times, tied scores
  /// and censoring.
  @Test func concordanceEqualsThePairwiseDefinition() throws {
    var random = SplitMix64(seed: 9)
    let n = 200
    let durations = (0..<n).map { _ in Double(Int(random.nextUniform() * 30)) }
    let churned = (0..<n).map { _ in random.nextUniform() < 0.6 }
    let scores = (0..<n).map { _ in Double(Int(random.nextUniform() * 10)) }
    var pairs = 0.0, credit = 0.0
    for i in 0..<n where churned[i] {
      for j in 0..<n where durations[i] < durations[j] || (durations[i] == durations[j] && !churned[j]) {
        pairs += 1
        credit += scores[i] < scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0
      }
    }
    let c = try #require(concordanceIndex(durations: durations, scores: scores, churned: churned))
    #expect(abs(c - credit / pairs) < 1e-15)
    #expect(concordanceIndex(durations: [1, 2], scores: [1, 2], churned: [false, false]) == nil)
    #expect(concordanceIndex(durations: [1, 2], scores: [.nan, 2], churned: [true, true]) == nil)
  }

  /// The two-group log-rank statistic written out: (O₁ − E₁)² / V₁.
  @Test func logRankOfTwoGroupsIsWrittenOut() throws {
    let durations: [Double] = [1, 2, 2, 3, 4, 5, 6, 6]
    let churned = [true, true, false, true, true, false, true, true]
    let groups = ["a", "b", "a", "a", "b", "b", "a", "b"]
    var observed = 0.0, expected = 0.0, variance = 0.0
    for t in Set(durations.indices.filter { churned[$0] }.map { durations[$0] }).sorted() {
      let atRisk = durations.indices.filter { durations[$0] >= t }
      let n = Double(atRisk.count), n1 = Double(atRisk.filter { groups[$0] == "a" }.count)
      let deaths = atRisk.filter { durations[$0] == t && churned[$0] }
      let d = Double(deaths.count)
      observed += Double(deaths.filter { groups[$0] == "a" }.count)
      expected += d * n1 / n
      if n > 1 { variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1) }
    }
    let test = try #require(LogRankTest(durations: durations, churned: churned, groups: groups))
    #expect(abs(test.statistic - (observed - expected) * (observed - expected) / variance) < 1e-12)
    #expect(test.degreesOfFreedom == 1)
    #expect(LogRankTest(durations: durations, churned: churned, groups: groups.map { _ in "one" }) == nil)
  }

  @Test func survivalCurveCountsTiesLikeLifelines() {
    let curve = SurvivalCurve(durations: [3, 5, 5, 8], churned: [true, false, true, true])
    #expect(curve.days == [3, 5, 8])
    #expect(curve.survival == [0.75, 0.5, 0])
    #expect(abs(curve.cumulativeHazard[1] - (0.25 + 1.0 / 3)) < 1e-15)
    #expect(abs(curve.cumulativeHazard[2] - (0.25 + 1.0 / 3 + 1)) < 1e-15)
    #expect(curve.medianDays == 5)
    #expect(curve.survival(at: 9) == nil)
  }
}
