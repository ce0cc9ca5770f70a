import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// The workflow of a user who brings a feature table: train on it, save the
/// model, and score or evaluate another table with it.
struct FeatureTableModelTests {
  /// A table of `n` customers: two informative features, a note column,
  /// and a label from a known logistic model.
  func writeTable(_ dir: TemporaryDirectory, name: String, n: Int, seed: UInt64) throws -> String {
    var random = SplitMix64(seed: seed)
    var text = "customer_id,a,b,note,label\n"
    for i in 0..<n {
      let a = random.nextUniform() * 4 - 2, b = random.nextUniform() * 4 - 2
      let p = 1 / (1 + exp(-(-0.5 + 1.2 * a - 0.8 * b)))
      text += "C\(i),\(a),\(b),\(i % 7),\(random.nextUniform() < p ? 1 : 0)\n"
    }
    return try dir.write(name, text)
  }

  @Test func extraAndMissingColumnsAreLocatedErrors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try writeTable(dir, name: "t.csv", n: 400, seed: 1)
    let data = try LabelledFeatures(path: path, label: "label", exclude: ["customer_id", "note"])
    let trainer = MatrixTrainer(estimator: LogisticRegression())
    let model = trainer.model(
      try trainer.train(data), data: data, path: path, labelColumn: "label", otherColumns: ["customer_id", "note"])
    #expect(model.features == ["a", "b"])
    #expect(model.nonFeatureColumns == ["customer_id", "cutoff", "label", "note"])
    // The training table fits: its note column is known not to be a feature.
    let header = ["customer_id", "a", "b", "note", "label"].enumerated().map { (name: $1, position: $0) }
    #expect(try FeatureColumns(header: header, model: model, path: path).positions == [1, 2])
    // A column the model does not know is an error at its header position
    // unless the user says it is not a feature.
    let extra = header + [(name: "c", position: 5)]
    #expect {
      try FeatureColumns(header: extra, model: model, path: "x.csv")
    } throws: { "\($0)".hasPrefix("x.csv:1:6: column 'c' is not one of the model's features") }
    #expect(try FeatureColumns(header: extra, model: model, path: "x.csv", ignoring: ["c"]).positions == [1, 2])
    #expect {
      try FeatureColumns(header: Array(header.prefix(2)), model: model, path: "x.csv")
    } throws: { "\($0)".hasPrefix("x.csv lacks 1 of the model's features (b)") }
    // Scoring and evaluation check before reading a row.
    let other = try dir.write("o.csv", "customer_id,b,a,c\nX,1,2,not a number\n")
    var scorer = FeatureFileScorer(model: model)
    #expect(throws: FeatureTableError.self) { try scorer.score(path: other, format: .csv) { _ in } }
    scorer.ignoredColumns = ["c"]
    var out: [UInt8] = []
    _ = try scorer.score(path: other, format: .csv) { out += $0 }
    #expect(String(decoding: out, as: UTF8.self).contains("\nX,"))
    #expect(throws: FeatureTableError.self) { try ModelEvaluation.evaluate(model, featureTable: other, label: "label") }
    // A column twice, or a header without rows, is not a table to score.
    let twice = try dir.write("d.csv", "customer_id,a,b,a\nX,1,2,3\n")
    #expect {
      try FeatureFileScorer(model: model).score(path: twice, format: .csv) { _ in }
    } throws: { "\($0)".hasPrefix("\(twice):1:4: column 'a' appears twice in the header (also column 2)") }
    let empty = try dir.write("e.csv", "customer_id,a,b\n")
    #expect {
      try FeatureFileScorer(model: model).score(path: empty, format: .csv) { _ in }
    } throws: { "\($0)" == "\(empty) has a header and no rows: nothing to score" }
  }

  /// With few events per feature and no penalty given, the trainer chooses
  /// one by cross-validation and says so, as training from events does.
  @Test func fewEventsPerFeatureChooseThePenalty() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let data = try LabelledFeatures(
      path: try writeTable(dir, name: "t.csv", n: 60, seed: 2), label: "label", exclude: ["customer_id"])
    var trainer = MatrixTrainer(estimator: LogisticRegression())
    #expect(try trainer.train(data).penaltyNote == nil)
    trainer.choosesPenaltyWhenFewEvents = true
    let outcome = try trainer.train(data)
    #expect(outcome.folds == 5)
    #expect(outcome.fit.l2 > 0)
    #expect(outcome.penaltyNote?.hasPrefix("few events per feature (") == true)
  }
}
