import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import ChurnSimulation
import ChurnTestSupport
import Foundation
import Testing

struct ChurnModelTests {
  func trainSmallModel(_ dir: TemporaryDirectory, seed: UInt64 = 4) throws -> ChurnModel {
    _ = try LifecycleGenerator(customers: 600, seed: seed, days: 300).write(to: dir.path)
    var reader = try EventLogReader(path: "\(dir.path)/events.csv", schema: EventSchema())
    var issues = IssueLog()
    var spec = FeatureSpec()
    spec.windows = [30, 90]
    spec.eventTypes = ["visit", "purchase", "login", "support_ticket"]
    let extractor = FeatureExtractor(
      spec: spec, cutoffs: [try Cutoff(parsing: "2024-07-31")], horizon: Duration(days: 60),
      churnDefinition: .inactivity)
    let trainer = ChurnModelTrainer(
      extractor: extractor, estimator: LogisticRegression(l2: 1), holdout: .customers(fraction: 0.3, seed: 1))
    return try trainer.train(from: &reader, customers: nil, issues: &issues).model
  }

  @Test func roundTripsAndIsDeterministic() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try trainSmallModel(dir)
    try model.write(to: "\(dir.path)/a.json")
    try trainSmallModel(dir).write(to: "\(dir.path)/b.json")
    #expect(try dir.read("a.json") == dir.read("b.json"))
    let loaded = try ChurnModel.load(path: "\(dir.path)/a.json")
    #expect(loaded.fit.terms == model.fit.terms)
    #expect(loaded.featureSpec == model.featureSpec)
    #expect(loaded.features == model.features)
    // The fit's features are the model's, less those it dropped, in order.
    let dropped = Set((model.fit.dropped ?? []).map(\.name))
    #expect(model.features.filter { !dropped.contains($0) } == model.fit.featureNames)
    #expect(loaded.training.holdoutMetrics != nil)
  }

  @Test func damagedAndFutureFilesAreRefused() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try trainSmallModel(dir).write(to: "\(dir.path)/m.json")
    let text = try dir.read("m.json")
    // Change one coefficient digit: still valid JSON, wrong checksum.
    let intercept = try #require(text.range(of: "\"coefficient\" : -"))
    var damaged = text
    let digit = damaged.index(intercept.upperBound, offsetBy: 0)
    damaged.replaceSubrange(digit...digit, with: damaged[digit] == "1" ? "2" : "1")
    let damagedPath = try dir.write("damaged.json", damaged)
    #expect {
      try ChurnModel.load(path: damagedPath)
    } throws: { "\($0)".contains("checksum does not match") }
    let future = try dir.write("future.json", text.replacingOccurrences(of: "\"formatVersion\" : 2", with: "\"formatVersion\" : 3"))
    #expect {
      try ChurnModel.load(path: future)
    } throws: { "\($0)".contains("newer than this churnkit reads (2): upgrade churnkit") }
    let garbage = try dir.write("garbage.json", "not json at all")
    #expect {
      try ChurnModel.load(path: garbage)
    } throws: { "\($0)".contains("is not a ChurnKit model") }
  }
}
