import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra
import Testing

@testable import ChurnDecisions

/// The lasso that chooses effect modifiers, on rows with a planted
/// treatment × feature interaction: it keeps the planted feature, the
/// refit recovers its coefficient within its interval and finds nothing
/// else of note; on rows without one what it keeps is noise the refit
/// does not call significant.
struct ModifierSelectionTests {
  /// Treated rows: 8 standard-normal features, a known base log-odds
  /// (the learner's fit without modifiers), churn with `interaction` × x₂
  /// added; 3 rows per customer.
  func rows(n: Int, interaction: Double, seed: UInt64) -> ModifierSelection.Rows {
    var rng = SplitMix64(seed: seed)
    var rows = ModifierSelection.Rows()
    for i in 0..<n {
      let x = (0..<8).map { _ in normal(&rng) }
      let base = -1.2 + 0.6 * x[0] - 0.4 * x[5]
      let churned = rng.nextUniform() < 1 / (1 + exp(-(base + interaction * x[2])))
      rows.append(base: base, multiplier: 1, x: x, churned: churned, weight: 1, customer: "C\(i / 3)")
    }
    return rows
  }

  func normal(_ rng: inout SplitMix64) -> Double {
    (-2 * log(max(rng.nextUniform(), 1e-300))).squareRoot() * cos(2 * Double.pi * rng.nextUniform())
  }

  let names = (0..<8).map { "f\($0)" }

  @Test func keepsThePlantedModifierAndTheRefitRecoversIt() throws {
    let data = rows(n: 6000, interaction: 0.5, seed: 3)
    let outcome = try ModifierSelection(names: names).select(data)
    #expect(outcome.kept.contains(2), "kept \(outcome.kept)")
    #expect(outcome.kept.count <= 4, "kept \(outcome.kept)")
    // The refit without the lasso: the interaction's 95% interval holds the truth.
    let fit = try refit(data, outcome.kept)
    let term = fit.terms.first { $0.name == "f2" }!
    #expect(term.lower95 < 0.5 && 0.5 < term.upper95, "\(term)")
    #expect(abs(term.z) > 5)
    for other in fit.terms.dropFirst(2) where other.name != "f2" { #expect(abs(other.z) < 3, "\(other)") }
    // The path runs from large λ (nothing kept) down to the chosen one.
    #expect(outcome.path.first?.kept == 0)
    #expect(outcome.path.last?.lambda == outcome.lambda)
  }

  @Test func keepsOnlyNoiseWithoutAnInteraction() throws {
    for seed: UInt64 in [5, 6, 7] {
      let data = rows(n: 4000, interaction: 0, seed: seed)
      let outcome = try ModifierSelection(names: names).select(data)
      #expect(outcome.kept.count <= 3, "seed \(seed): kept \(outcome.kept)")
      if !outcome.kept.isEmpty {
        for term in try refit(data, outcome.kept).terms.dropFirst(2) { #expect(abs(term.z) < 3, "\(term)") }
      }
    }
  }

  /// The unpenalised logistic fit of churn on the base and the kept features.
  func refit(_ data: ModifierSelection.Rows, _ kept: [Int]) throws -> LogisticRegressionFit {
    let design = Matrix(rowMajor: data.x.indices.map { i in [data.base[i]] + kept.map { data.x[i][$0] } })
    return try LogisticRegression(l2: 0).fit(design, data.churned, featureNames: ["base"] + kept.map { names[$0] })
  }

  @Test func excludedFeaturesAndTooFewOutcomesKeepNothing() throws {
    var selection = ModifierSelection(names: names)
    selection.excluded = ["f2"]
    #expect(try !selection.select(rows(n: 6000, interaction: 0.5, seed: 3)).kept.contains(2))
    #expect(try ModifierSelection(names: names).select(rows(n: 60, interaction: 0.5, seed: 3)).kept.isEmpty)
  }
}
