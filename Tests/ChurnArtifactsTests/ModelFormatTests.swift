import ByteStreams
import ChurnArtifacts
import ChurnDecisions
import ChurnIO
import ChurnTestSupport
import Foundation
import Testing

/// Format 3 keeps each uplift learner's models under its own key; a
/// format-2 file (the model shipped before, `Fixtures/`) is still read —
/// its checksum verified over its own layout — and decides as the same
/// model trained and saved in format 3 (`models/churn-model.json`): the
/// same actions, the figures equal but for the last digits the BLAS kernels
/// of the machine that trained it round differently.
struct ModelFormatTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The format-2 fixture, inflated into `dir`.
  static func formatTwoModel(in dir: TemporaryDirectory) throws -> String {
    let reader = try ByteReader(
      path: root.appendingPathComponent("Tests/ChurnArtifactsTests/Fixtures/churn-model-format2.json.gz").path)
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while case let n = try reader.read(into: &buffer, from: 0), n > 0 { bytes += buffer[0..<n] }
    let path = "\(dir.path)/format2.json"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func aFormatTwoModelDecidesAsItsFormatThreeForm() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let old = try ChurnModel.load(path: Self.formatTwoModel(in: dir))
    let now = try ChurnModel.load(path: Self.root.appendingPathComponent("models/churn-model.json").path)
    #expect(old.formatVersion == 2 && now.formatVersion == ChurnModel.currentFormatVersion)
    let oldUplift = try #require(old.uplift)
    var nowUplift = try #require(now.uplift)
    // The value term is discounted since (format 3 with `monthlyDiscountRate`):
    // the learners are what the layouts must agree on.
    #expect(oldUplift.value.monthlyDiscountRate == nil && nowUplift.value.monthlyDiscountRate == 0.01)
    nowUplift.value = oldUplift.value
    #expect(oldUplift.learner.kind == .hazard && nowUplift.learner.kind == .hazard)
    #expect(oldUplift.learner.effectModifiers == nowUplift.learner.effectModifiers)
    #expect((0..<3).map(oldUplift.learner.effectDays) == (0..<3).map(nowUplift.learner.effectDays))
    let columns = try nowUplift.columns(for: now.features)
    var rng = SplitMix64(seed: 11)
    for _ in 0..<200 {
      let x = now.reference.featureMeans.map { $0 * 2 * rng.nextUniform() }
      let (a, b) = (oldUplift.decide(features: x, columns: columns), nowUplift.decide(features: x, columns: columns))
      func close(_ u: [Double], _ v: [Double]) -> Bool {
        zip(u, v).allSatisfy { abs($0 - $1) <= 1e-9 * max(1e-3, abs($1)) }
      }
      #expect(a.action == b.action && a.runnerUp == b.runnerUp && close([a.value], [b.value]))
      #expect(close(a.options.map(\.uplift), b.options.map(\.uplift)))
      #expect(close(a.options.map(\.churnWith), b.options.map(\.churnWith)))
    }
  }

  @Test func aFormatTwoModelIsWrittenBackInItsOwnLayout() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try Self.formatTwoModel(in: dir)
    try ChurnModel.load(path: path).write(to: "\(dir.path)/again.json")
    let again = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir.path)/again.json")))
    let uplift = try #require(((again as? [String: Any])?["model"] as? [String: Any])?["uplift"] as? [String: Any])
    #expect(uplift["control"] != nil && uplift["hazard"] != nil && uplift["learner"] as? String == "hazard")
    #expect(try ChurnModel.load(path: "\(dir.path)/again.json").formatVersion == 2)
  }
}
