import ChurnArtifacts
import ChurnDecisions
import ChurnIO
import ChurnTestSupport
import Foundation
import Testing

/// The scorer on the shipped model, with no CLI and no event log: each
/// figure of a scored vector against a direct computation from the model
/// file's parts — the probability from the fit's terms by name, the band
/// from the cut points, the reasons from β (x − mean) and the typical
/// values, the stage from its one-hot, the action from the uplift model.
struct ChurnScorerTests {
  static let model = Result {
    try ChurnModel.load(path: ModelFormatTests.root.appendingPathComponent("models/churn-model.json").path)
  }

  @Test func everyFigureMatchesADirectComputation() throws {
    let model = try Self.model.get()
    let scorer = ChurnScorer(model: model)
    let index = Dictionary(uniqueKeysWithValues: model.features.enumerated().map { ($1, $0) })
    let means = model.reference.featureMeans
    let typical = try #require(model.reference.typicalValues)
    let stages = model.features.indices.filter { model.features[$0].hasPrefix("stage_") }
    let uplift = try #require(model.uplift)
    let columns = try uplift.columns(for: model.features)
    var rng = SplitMix64(seed: 3)
    var reasonsSeen = 0
    for i in 0..<300 {
      var x = means.map { $0 * 2 * rng.nextUniform() }
      for j in stages { x[j] = 0 }
      if i % 4 != 0 { x[stages[Int(rng.next() % UInt64(stages.count))]] = 1 }
      let score = scorer.score(customerID: "c\(i)", values: x)

      var logit = model.fit.intercept
      for term in model.fit.terms.dropFirst() { logit += term.coefficient * x[try #require(index[term.name])] }
      let p = 1 / (1 + exp(-logit))
      #expect(abs(score.probability - p) <= 1e-12 * max(1, p))
      #expect(score.riskBand == 1 + model.reference.riskBandCuts.filter { score.probability > $0 }.count)

      let beta = model.features.map { name in model.fit.terms.first { $0.name == name }?.coefficient ?? 0 }
      let raising = model.features.indices.filter { j in
        beta[j] * (x[j] - means[j]) > 0 && beta[j] * (x[j] - typical[j]) > 0
      }.sorted { (beta[$0] * (x[$0] - means[$0]), -$0) > (beta[$1] * (x[$1] - means[$1]), -$1) }
      #expect(score.reasons.map(\.feature) == raising.prefix(3).map { model.features[$0] })
      for r in score.reasons {
        let j = try #require(index[r.feature])
        #expect(abs(r.contribution - beta[j] * (x[j] - means[j])) <= 1e-12)
        #expect(r.typical == typical[j] && r.value == x[j])
      }
      reasonsSeen += score.reasons.count

      let stage = stages.first { x[$0] == 1 }.map { String(model.features[$0].dropFirst("stage_".count)) }
      #expect(score.stage == stage)

      let decision = uplift.decide(features: x, columns: columns)
      let action = try #require(score.action)
      #expect(action.best == (decision.action.map { uplift.catalog.actions[$0].id } ?? "none"))
      #expect(action.reason == uplift.reason(for: decision))
    }
    #expect(reasonsSeen > 300)
  }
}
