import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import LinearAlgebra
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

struct ModelExportTests {
  /// A model whose feature names are hostile.
  func model(names: [String]) throws -> ChurnModel {
    var rng = SplitMix64(seed: 3)
    var x = Matrix(rows: 300, columns: names.count)
    var y = [Double](repeating: 0, count: 300)
    for i in 0..<300 {
      for j in names.indices { x[i, j] = Double.random(in: -1..<1, using: &rng) }
      y[i] = rng.nextUniform() < 1 / (1 + exp(-x[i, 0])) ? 1 : 0
    }
    let fit = try LogisticRegression().fit(x, y, featureNames: names)
    let scores = (0..<300).map { fit.probability(x.row($0)) }
    let metrics = BinaryMetrics(probabilities: scores, labels: y)
    let training = ChurnModel.Training(
      events: "e.csv", eventRows: 300, eventsFingerprint: "0", cutoffs: ["2024-01-31"], horizonDays: 30,
      churnDefinition: "inactivity", rows: 300, baseRate: y.reduce(0, +) / 300, holdout: nil, metrics: metrics,
      holdoutMetrics: nil)
    return ChurnModel(featureSpec: FeatureSpec(), fit: fit, training: training, reference: .init(x: x, scores: scores))
  }

  @Test func identifiersAreQuotedForEachDialect() {
    let hostile = "x\"; DROP TABLE features; --"
    #expect(ModelExport.identifier(hostile, .postgres) == "\"x\"\"; DROP TABLE features; --\"")
    #expect(ModelExport.identifier("a`b", .spark) == "`a``b`")
  }

  /// The SQL runs in the sqlite3 shell on a table whose column has the
  /// hostile name, gives the model's probabilities, and drops nothing.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3")))
  func hostileNamesStayColumnNamesInSQLite() throws {
    let hostile = "x\"; DROP TABLE features; --"
    let m = try model(names: [hostile, "plain"])
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let quoted = ModelExport.identifier(hostile, .sqlite)
    let script = """
      CREATE TABLE features ("customer_id" TEXT, \(quoted) REAL, "plain" REAL);
      INSERT INTO features VALUES ('a', 0.5, -0.25), ('b', -1.0, 0.75);
      \(ModelExport.sql(m, dialect: .sqlite))
      SELECT count(*) FROM features;
      """
    let path = try dir.write("run.sql", script)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = ["-init", path, ":memory:", ".quit"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let lines = output.split(separator: "\n").map(String.init)
    #expect(lines.count == 3, "\(output)")
    for (line, row) in zip(lines, [[0.5, -0.25], [-1.0, 0.75]]) {
      let fields = line.split(separator: "|")
      #expect(abs(Double(fields[1])! - m.fit.probability(row)) < 1e-12)
    }
    #expect(lines.last == "2")
  }

  @Test func pmmlEscapesNamesAndCarriesEveryCoefficient() throws {
    let m = try model(names: ["a<b & \"c\"", "d"])
    let pmml = ModelExport.pmml(m)
    #expect(pmml.contains("name=\"a&lt;b &amp; &quot;c&quot;\""))
    #expect(!pmml.contains("a<b"))
    #expect(pmml.contains("normalizationMethod=\"logit\""))
    #expect(pmml.components(separatedBy: "<NumericPredictor ").count - 1 == 2)
    let document = try XMLDocument(xmlString: pmml)
    #expect(document.rootElement()?.name == "PMML")
  }

  /// Characters XML 1.0 forbids (an event name with a control byte) become
  /// U+FFFD: libxml2 reads the document, where it refused it before.
  @Test func pmmlIsWellFormedWhateverTheNames() throws {
    let pmml = ModelExport.pmml(try model(names: ["visit\u{1}x", "tab\there", "end\u{FFFF}"]))
    let document = try XMLDocument(xmlString: pmml)
    let fields = try document.nodes(forXPath: "//*[local-name()='DataField']/@name").compactMap(\.stringValue)
    #expect(fields.contains("visit\u{FFFD}x") && fields.contains("tab\there") && fields.contains("end\u{FFFD}"))
  }
}

#if canImport(Glibc)
  import Glibc
#endif
