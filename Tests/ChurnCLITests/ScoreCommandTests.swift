import ChurnArtifacts
import ChurnCLI
import ChurnData
import ChurnIO
import ChurnSimulation
import ChurnTestSupport
import Foundation
import Testing

/// A small model (see `trainSmallModel`) and the features of its customers
/// at 2024-10-31 in `dir/f.csv`; returns the model's path and the
/// `--events … --customers …` arguments.
private func trainWithFeatureFile(in dir: TemporaryDirectory) throws -> (model: String, common: [String]) {
  let model = try trainSmallModel(in: dir, seed: 21)
  let common = ["--events", "\(dir.path)/events.csv", "--customers", "\(dir.path)/customers.csv"]
  let features = run(
    ["features"] + common
      + [
        "--cutoff", "2024-10-31", "--horizon", "60d", "--churn-definition", "event:cancel", "--out",
        "\(dir.path)/f.csv",
      ])
  #expect(features.status == 0, "\(features.err)")
  return (model, common)
}

struct ScoreCommandTests {

  /// Reason codes add up: intercept + Σ βⱼ x̄ⱼ + Σ contributions = logit(p);
  /// the top three are the largest positive contributions among features
  /// that also raise the risk against the typical value a reason quotes;
  /// and the training rows fall about a tenth into each risk band.
  @Test func reasonsDecomposeTheLogOddsAndBandsAreDeciles() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try ChurnModel.load(path: trainSmallModel(in: dir, seed: 21))
    var reader = try EventLogReader(path: "\(dir.path)/events.csv", schema: EventSchema())
    var issues = IssueLog()
    let table = try CustomerTable(path: "\(dir.path)/customers.csv", issues: &issues)
    let run = try ChurnScorer(model: model).score(
      events: &reader, customers: table, asOf: try Cutoff(parsing: "2024-08-31"), issues: &issues)
    var bands = [Int](repeating: 0, count: 10)
    for i in run.features.rows.indices {
      let s = run.score(i)
      let logit = log(s.probability / (1 - s.probability))
      let total = s.baselineLogOdds + s.contributions.reduce(0, +)
      #expect(abs(total - logit) < 1e-9 * max(1, abs(logit)), "\(s.customerID)")
      let values = run.features.values(of: run.features.rows[i])
      let beta = model.predictor.coefficients
      let typical = try #require(model.reference.typicalValues)
      let sorted = s.contributions.indices
        .filter { s.contributions[$0] > 0 && beta[$0] * (values[$0] - typical[$0]) > 0 }
        .map { s.contributions[$0] }.sorted(by: >)
      #expect(s.reasons.map(\.contribution) == Array(sorted.prefix(3)))
      for reason in s.reasons { #expect(reason.typical == typical[model.features.firstIndex(of: reason.feature)!]) }
      bands[s.riskBand - 1] += 1
    }
    // Scored at the training cutoff, the rows are (a superset of) the
    // training rows: every band holds some 10%.
    let n = Double(run.features.rows.count)
    #expect(bands.allSatisfy { Double($0) / n > 0.04 && Double($0) / n < 0.2 }, "\(bands)")
  }

  /// Scoring the feature file gives the same bytes as scoring the events it
  /// came from; a file that lacks a model feature fails before any output.
  @Test func featureFileScoresEqualEventScores() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (model, common) = try trainWithFeatureFile(in: dir)
    let fromEvents = run(["score", "--model", model] + common + ["--as-of", "2024-10-31", "--out", "-"])
    let fromFile = run(["score", "--model", model, "--features", "\(dir.path)/f.csv", "--out", "-"])
    #expect(fromEvents.status == 0 && fromFile.status == 0)
    #expect(fromEvents.out == fromFile.out)
    let header = try dir.read("f.csv").prefix { $0 != "\n" }
    let dropped = header.split(separator: ",").filter { $0 != "count_7d" }.joined(separator: ",")
    let body = try dir.read("f.csv").drop { $0 != "\n" }
    let broken = try dir.write("g.csv", dropped + body)
    let result = run(["score", "--model", model, "--features", broken, "--out", "\(dir.path)/never.csv"])
    #expect(result.status == 1)
    #expect(result.err.hasPrefix("Error: \(broken) lacks 1 of the model's features (count_7d)"))
    #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/never.csv"))
  }

  /// A feature file of several 4 MB stretches — each cut into pieces parsed
  /// and scored on all cores, written while the next is scored — gives for
  /// every row, in file order, exactly the line that row gets alone; a
  /// quoted id late in the file (which sends the reader back to one piece)
  /// changes nothing but its own escaping.
  @Test func largeFeatureFilesScoreRowForRowInOrder() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (model, _) = try trainWithFeatureFile(in: dir)
    let small = run(["score", "--model", model, "--features", "\(dir.path)/f.csv", "--out", "-"])
    #expect(small.status == 0)
    // Each scored line without its id, by id.
    var alone: [String: String] = [:]
    for line in small.out.split(separator: "\n").dropFirst() {
      let comma = line.firstIndex(of: ",")!
      alone[String(line[..<comma])] = String(line[comma...])
    }
    let lines = try dir.read("f.csv").split(separator: "\n")
    // About 9 MB: the rows again and again under new ids.
    var rows: [(id: String, rest: Substring)] = []
    var bytes = 0
    for copy in 0... {
      for line in lines.dropFirst() {
        let comma = line.firstIndex(of: ",")!
        rows.append(("\(line[..<comma])-\(copy)", line[comma...]))
        bytes += line.utf8.count + 4
      }
      if bytes > 9 << 20 { break }
    }
    // Quoted ids (with a comma) in the last tenth only, past the stretches
    // read in pieces.
    for i in stride(from: rows.count * 9 / 10, to: rows.count, by: 50) {
      let id = rows[i].id
      rows[i].id = "\"" + id.replacingOccurrences(of: "-", with: ",x-") + "\""
    }
    let expectedIDs = rows.map(\.id)
    let big = String(lines[0]) + "\n" + rows.map { $0.id + $0.rest }.joined(separator: "\n") + "\n"
    #expect(expectedIDs.contains { $0.hasPrefix("\"") })
    let path = try dir.write("big.csv", big)
    let result = run(["score", "--model", model, "--features", path, "--out", "\(dir.path)/big-scores.csv"])
    #expect(result.status == 0, "\(result.err)")
    let scored = try dir.read("big-scores.csv").split(separator: "\n").dropFirst()
    #expect(scored.count == expectedIDs.count)
    for (line, id) in zip(scored, expectedIDs) {
      guard line.hasPrefix(id + ",") else {
        Issue.record("expected id \(id), got \(line.prefix(40))")
        return
      }
      let original =
        id.hasPrefix("\"") ? String(id.dropFirst().prefix { $0 != "," }) : String(id[..<id.lastIndex(of: "-")!])
      // (A quoted id reads back as C…,x-k; the score line holds it quoted again.)
      #expect(String(line.dropFirst(id.count)) == alone[original], "\(id)")
    }
  }

  /// A bad value deep in a file read in pieces is named by its true line
  /// and column, and no score file appears.
  @Test func badValueInALaterPieceIsLocated() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (model, _) = try trainWithFeatureFile(in: dir)
    let lines = try dir.read("f.csv").split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    var text = String(lines[0]) + "\n"
    var line = 1
    var badLine = 0
    for copy in 0..<12 {
      for row in lines.dropFirst() {
        line += 1
        var fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if copy == 9 && badLine == 0 {
          fields[3] = "oops"
          badLine = line
        }
        text += fields.joined(separator: ",") + "\n"
      }
    }
    let path = try dir.write("bad.csv", text)
    #expect(text.utf8.count > 1 << 17)  // read in pieces
    let column = String(lines[0].split(separator: ",")[3])
    let result = run(["score", "--model", model, "--features", path, "--out", "\(dir.path)/never.csv"])
    #expect(result.status == 1)
    #expect(result.err == "Error: \(path):\(badLine):4: feature '\(column)' has value 'oops', not a number\n")
    #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/never.csv"))
  }

  /// Plain pieces (no quotes, walked field by field) score exactly as
  /// parsed ones: the same file with CRLF line ends, which is never plain,
  /// gives the same bytes — with blank lines and no final newline — and a
  /// short row in a later plain piece is named by its line.
  @Test func plainPiecesScoreAsParsedOnes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (model, _) = try trainWithFeatureFile(in: dir)
    let lines = try dir.read("f.csv").split(separator: "\n")
    var rows: [String] = []
    for copy in 0..<8 {
      for (i, line) in lines.dropFirst().enumerated() {
        let comma = line.firstIndex(of: ",")!
        rows.append("\(line[..<comma])-\(copy)\(line[comma...])")
        if i % 97 == 0 { rows.append("") }  // a blank line
      }
    }
    let lf = String(lines[0]) + "\n" + rows.joined(separator: "\n")
    #expect(lf.utf8.count > 1 << 17)  // read in pieces
    let plain = try dir.write("lf.csv", lf)
    let parsed = try dir.write("crlf.csv", lf.replacingOccurrences(of: "\n", with: "\r\n"))
    for format in ["csv", "jsonl"] {
      let a = run(["score", "--model", model, "--features", plain, "--format", format, "--out", "-"])
      let b = run(["score", "--model", model, "--features", parsed, "--format", format, "--out", "-"])
      #expect(a.status == 0 && b.status == 0, "\(a.err)\(b.err)")
      #expect(a.out.split(separator: "\n").count == rows.filter { !$0.isEmpty }.count + (format == "csv" ? 1 : 0))
      #expect(a.out == b.out, "\(format)")
    }
    // A row one field short, far into the file, after blank lines in the
    // same piece.
    let short = (rows.count * 3 / 4 + 300..<rows.count).first { !rows[$0].isEmpty }!
    var broken = rows
    broken[short] = String(broken[short][..<broken[short].lastIndex(of: ",")!])
    let path = try dir.write("short.csv", String(lines[0]) + "\n" + broken.joined(separator: "\n") + "\n")
    let result = run(["score", "--model", model, "--features", path, "--out", "\(dir.path)/never.csv"])
    #expect(result.status == 1)
    let width = lines[0].split(separator: ",").count
    #expect(result.err == "Error: \(path):\(short + 2): row has \(width - 1) fields, the header has \(width)\n")
  }

  /// The summary's drift is the population stability index against the
  /// training deciles — recomputed here from the scored file and the
  /// feature file with bins counted one cut at a time — and a feature moved
  /// far from its training values is flagged.
  @Test func driftIsThePopulationStabilityIndexAgainstTraining() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (modelPath, _) = try trainWithFeatureFile(in: dir)
    let model = try ChurnModel.load(path: modelPath)
    let lines = try dir.read("f.csv").split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    let moved = "days_since_last_event"
    #expect(model.features.contains(moved))
    let m = try #require(lines[0].firstIndex(of: moved))
    var rows = Array(lines.dropFirst())
    for i in rows.indices { rows[i][m] = "\(Double(rows[i][m])! * 10 + 1000)" }
    let path = try dir.write(
      "g.csv", ([lines[0]] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n")
    let result = run(["score", "--model", modelPath, "--features", path, "--out", "\(dir.path)/s.csv", "--json"])
    #expect(result.status == 0, "\(result.err)")
    let summary = try JSONDecoder().decode(ScoreSummary.self, from: Data(result.out.utf8))

    func psi(_ values: [Double], _ reference: DistributionReference) -> Double {
      var counts = [Double](repeating: 0, count: reference.shares.count)
      for v in values { counts[reference.cuts.filter { $0 < v }.count] += 1 }
      return zip(counts, reference.shares).reduce(0) { sum, pair in
        let (a, e) = (max(pair.0 / Double(values.count), 1e-4), max(pair.1, 1e-4))
        return sum + (a - e) * log(a / e)
      }
    }
    let scored = try dir.read("s.csv").split(separator: "\n").map { $0.split(separator: ",") }
    let p = try #require(scored[0].firstIndex(of: "churn_probability"))
    let probabilities = scored.dropFirst().map { Double($0[p])! }
    #expect(probabilities.count == rows.count)
    let scorePSI = psi(probabilities, model.reference.score)
    #expect(abs(summary.scoreDrift.stabilityIndex - scorePSI) < 1e-12)
    #expect(summary.scoreDrift.shifted == (scorePSI > 0.2))
    #expect(summary.featureDrift.map(\.name) == model.features)
    for (j, name) in model.features.enumerated() {
      let c = try #require(lines[0].firstIndex(of: name))
      let expected = psi(rows.map { Double($0[c])! }, model.reference.features[j])
      #expect(abs(summary.featureDrift[j].stabilityIndex - expected) < 1e-12, "\(name)")
      // Tenure and customers-table dates move with the calendar: reported
      // apart, never as shifted.
      let calendar = name == "days_since_first_event" || name.hasSuffix("_date_days")
      #expect(summary.featureDrift[j].shifted == (!calendar && expected > 0.2), "\(name)")
      #expect((summary.featureDrift[j].movesWithCalendar ?? false) == calendar, "\(name)")
      if name == moved { #expect(expected > 1, "\(name): PSI \(expected)") }
    }
  }

  /// The tally's bins — zeros counted as what is left, the rest one by one —
  /// equal bins counted one cut at a time, with NaN (in no bin) and ±∞
  /// among the values.
  @Test func tallyBinsEveryValueOnce() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try ChurnModel.load(path: trainSmallModel(in: dir, seed: 21))
    let scorer = ChurnScorer(model: model)
    var rng = SplitMix64(seed: 4)
    var tally = ScoreTally(model: model)
    var rows: [[Double]] = []
    for _ in 0..<300 {
      let row = model.features.indices.map { _ -> Double in
        switch rng.next() % 10 {
        case 0...4: 0
        case 5: [.nan, .infinity, -.infinity, 1][Int(rng.next() % 4)]
        default: Double(rng.next() % 2000) / 10 - 50
        }
      }
      rows.append(row)
      tally.add(values: row, score: scorer.score(customerID: "x", values: row))
    }
    for (j, reference) in model.reference.features.enumerated() {
      var expected = [Double](repeating: 0, count: reference.shares.count)
      for row in rows where !row[j].isNaN { expected[reference.cuts.filter { $0 < row[j] }.count] += 1 }
      #expect(tally.binCounts[j] == expected, "\(model.features[j])")
    }
  }

  /// The summary worked out beside other work (the score file's commit) is
  /// the summary worked out alone, the work has run, and its error comes out.
  @Test func summaryBesideOtherWork() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try ChurnModel.load(path: trainSmallModel(in: dir, seed: 21))
    let scorer = ChurnScorer(model: model)
    var tally = ScoreTally(model: model)
    var rng = SplitMix64(seed: 8)
    for _ in 0..<200 {
      let row = model.features.indices.map { _ in Double(rng.next() % 5) }
      tally.add(values: row, score: scorer.score(customerID: "x", values: row))
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let alone = try encoder.encode(ScoreSummary(tally, asOf: "2024-08-31"))
    var ran = false
    let beside = try ScoreSummary(tally, asOf: "2024-08-31", beside: { ran = true })
    let besideJSON = try encoder.encode(beside)
    #expect(
      besideJSON == alone, "\(String(decoding: besideJSON, as: UTF8.self))\n\(String(decoding: alone, as: UTF8.self))")
    #expect(ran)
    struct Failed: Error {}
    #expect(throws: Failed.self) { try ScoreSummary(tally, asOf: "2024-08-31", beside: { throw Failed() }) }
  }

  /// Errors come in file order: a bad value early on is reported, not an
  /// unreadable record in a stretch read while the early one was scored.
  @Test func anEarlierBadValueComesBeforeALaterReadError() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (model, _) = try trainWithFeatureFile(in: dir)
    let lines = try dir.read("f.csv").split(separator: "\n")
    var fields = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    fields[3] = "oops"
    var text = String(lines[0]) + "\n" + fields.joined(separator: ",") + "\n"
    let rows = lines.dropFirst().joined(separator: "\n") + "\n"
    while text.utf8.count < 5 << 20 { text += rows }  // more than one 4 MB stretch
    text += "\"never closed," + String(lines[1].split(separator: ",", maxSplits: 1)[1]) + "\n"
    let path = try dir.write("bad.csv", text)
    let column = String(lines[0].split(separator: ",")[3])
    let result = run(["score", "--model", model, "--features", path, "--out", "\(dir.path)/never.csv"])
    #expect(result.status == 1)
    #expect(result.err == "Error: \(path):2:4: feature '\(column)' has value 'oops', not a number\n")
    #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/never.csv"))
  }

  /// A text field a spreadsheet would run as a formula (=, +, -, @) gets a
  /// leading ' in score CSVs, on the plain, the parsed and the events
  /// paths; --no-formula-escape writes it as it is; JSON Lines keep it.
  @Test func formulasAreShownNotRun() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (model, common) = try trainWithFeatureFile(in: dir)
    var lines = try dir.read("f.csv").split(separator: "\n").map(String.init)
    let ids = ["=1+1", "+SUM(A1)", "-2", "@x", "ok=1"]
    for (k, id) in ids.enumerated() {
      lines[k + 1] = id + lines[k + 1].drop { $0 != "," }
    }
    let plain = try dir.write("plain.csv", lines.joined(separator: "\n") + "\n")
    lines[6] = "\"=a,b\"" + lines[6].drop { $0 != "," }
    let quoted = try dir.write("quoted.csv", lines.joined(separator: "\n") + "\n")
    for path in [plain, quoted] {
      let scored = run(["score", "--model", model, "--features", path, "--out", "-"])
      #expect(scored.status == 0, "\(scored.err)")
      let rows = scored.out.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
      #expect(Array(rows.prefix(5)) == ["'=1+1", "'+SUM(A1)", "'-2", "'@x", "ok=1"])
      if path == quoted { #expect(scored.out.contains("\n\"'=a,b\",")) }
      let raw = run(["score", "--model", model, "--features", path, "--out", "-", "--no-formula-escape"])
      #expect(raw.out.split(separator: "\n").dropFirst().prefix(5).map { String($0.prefix { $0 != "," }) } == ids)
      let jsonl = run(["score", "--model", model, "--features", path, "--out", "-", "--format", "jsonl"])
      #expect(jsonl.out.hasPrefix(#"{"customer_id":"=1+1","#))
    }
    var events = try dir.read("events.csv")
    events += "=cmd,2024-08-30T10:00:00Z,visit,web,,,awareness\n"
    let log = try dir.write("events2.csv", events)
    let fromEvents = run(
      ["score", "--model", model, "--events", log, "--as-of", "2024-12-31", "--out", "-"] + common.suffix(2))
    #expect(fromEvents.out.contains("\n'=cmd,2024-12-31,"), "\(fromEvents.err)")
  }

  @Test func writesCSVAndJSONLinesWithEscapedStrings() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try trainSmallModel(in: dir, seed: 21)
    // A customer id that needs escaping in both formats.
    var events = try dir.read("events.csv")
    events += "\"C\"\"odd, \\\\ id\",2024-08-30T10:00:00Z,visit,web,,,awareness\n"
    let path = try dir.write("events2.csv", events)
    let csv = run([
      "score", "--model", model, "--events", path, "--customers", "\(dir.path)/customers.csv", "--as-of", "2024-12-31",
      "--out", "-",
    ])
    #expect(csv.status == 0, "\(csv.err)")
    #expect(csv.out.hasPrefix("customer_id,as_of,churn_probability,risk_band,stage,reason_1,"))
    #expect(csv.out.contains("\n\"C\"\"odd, \\\\ id\",2024-12-31,"))
    #expect(csv.err.contains("Scored "))
    #expect(csv.err.contains("1 customers not in the customers table"))
    let jsonl = run([
      "score", "--model", model, "--events", path, "--customers", "\(dir.path)/customers.csv", "--as-of", "2024-12-31",
      "--out", "\(dir.path)/s.jsonl", "--format", "jsonl", "--json",
    ])
    #expect(jsonl.status == 0)
    let lines = try dir.read("s.jsonl").split(separator: "\n")
    #expect(lines.count == csv.out.split(separator: "\n").count - 1)
    for line in lines {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(object["churn_probability"] is Double)
      #expect((object["reasons"] as? [Any])?.count ?? 0 <= 3)
    }
    #expect(lines.contains { $0.contains(#""customer_id":"C\"odd, \\\\ id""#) })
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(jsonl.out.utf8)) as? [String: Any])
    #expect(summary["rows"] as? Int == lines.count)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
