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
    let future = try dir.write(
      "future.json",
      text.replacingOccurrences(
        of: "\"formatVersion\" : \(ChurnModel.currentFormatVersion)",
        with: "\"formatVersion\" : \(ChurnModel.currentFormatVersion + 1)"))
    #expect {
      try ChurnModel.load(path: future)
    } throws: {
      "\($0)".contains("newer than this churnkit reads (\(ChurnModel.currentFormatVersion)): upgrade churnkit")
    }
    let garbage = try dir.write("garbage.json", "not json at all")
    #expect {
      try ChurnModel.load(path: garbage)
    } throws: { "\($0)".contains("is not a ChurnKit model") }
  }
}

/// A model whose parts contradict each other is refused when loaded, with
/// the field and what is wrong.
struct ModelFileCheckTests {
  @Test func aFieldThatContradictsTheRestIsNamed() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try ChurnModelTests().trainSmallModel(dir)
    try model.write(to: "\(dir.path)/m.json")
    let text = try dir.read("m.json")
    func edited(_ edit: (inout [String: Any]) -> Void) throws -> String {
      var tree = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
      var inner = tree["model"] as! [String: Any]
      edit(&inner)
      tree["model"] = inner
      let sealed = try ChurnModel.resealed(try JSONSerialization.data(withJSONObject: tree))
      return try dir.write("edited.json", String(decoding: sealed, as: UTF8.self))
    }
    func refusal(_ path: String) -> String {
      do {
        _ = try ChurnModel.load(path: path)
        return "loaded"
      } catch { return "\(error)" }
    }
    let shortMeans = try edited { m in
      var reference = m["reference"] as! [String: Any]
      reference["featureMeans"] = (reference["featureMeans"] as! [Any]).dropLast().map { $0 }
      m["reference"] = reference
    }
    #expect(
      refusal(shortMeans).hasPrefix(
        "\(shortMeans): model.reference.featureMeans has \(model.features.count - 1) entries, not \(model.features.count)"
      ))
    let lostTerm = try edited { m in
      var fit = m["fit"] as! [String: Any]
      fit["terms"] = (fit["terms"] as! [Any]).dropLast().map { $0 }
      m["fit"] = fit
    }
    let terms = model.fit.terms.count
    #expect(refusal(lostTerm).hasPrefix("\(lostTerm): model.fit.covariance has \(terms) rows, the terms \(terms - 1)"))
    let notANumber = try edited { m in
      var fit = m["fit"] as! [String: Any]
      var terms = fit["terms"] as! [[String: Any]]
      terms[1]["coefficient"] = "nan"
      fit["terms"] = terms
      m["fit"] = fit
    }
    #expect(
      refusal(notANumber)
        == "\(notANumber): model.fit.terms[1].coefficient is nan, not a finite number; the file was changed after training: retrain, or restore it"
    )
    let wrongType = try dir.write(
      "typed.json", text.replacingOccurrences(of: "\"horizonDays\" : 60", with: "\"horizonDays\" : \"sixty\""))
    #expect(refusal(wrongType) == "\(wrongType) is damaged: at model.training.horizonDays: expected a whole number")
  }
}
