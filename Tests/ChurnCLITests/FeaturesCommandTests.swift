import ChurnCLI
import ChurnData
import ChurnIO
import ChurnTestSupport
import Foundation
import Testing

struct FeaturesCommandTests {
  let events = """
    customer_id,timestamp,event,channel,amount
    A,2024-01-10T00:00:00Z,visit,web,
    A,2024-02-10T00:00:00Z,purchase,app,12.5
    "B,1",2024-01-20T00:00:00Z,visit,web,
    "B,1",2024-02-05T00:00:00Z,cancel,web,
    C,2024-01-25T00:00:00Z,visit,app,

    """

  @Test func writesFeaturesAndSummarises() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let out = "\(dir.path)/f.csv"
    let result = run([
      "features", "--events", path, "--cutoff", "2024-01-31", "--horizon", "9d",
      "--churn-definition", "event:cancel", "--out", out, "--json",
    ])
    #expect(result.status == 0)
    let csv = try dir.read("f.csv").split(separator: "\n").map(String.init)
    #expect(csv[0].hasPrefix("customer_id,cutoff,days_since_first_event,days_since_last_event,count_7d,"))
    #expect(csv[0].hasSuffix(",label"))
    #expect(csv.count == 4)
    // 22 days less a microsecond, exactly as the integer microseconds give it.
    #expect(csv[1].hasPrefix("A,2024-01-31,21.999999999988425,21.999999999988425,0,1,1,1,"))
    #expect(csv[1].hasSuffix(",0"))
    #expect(csv[2].hasPrefix("\"B,1\",2024-01-31,"))
    #expect(csv[2].hasSuffix(",1"))
    #expect(result.err.hasPrefix("3 rows × "))
    #expect(result.err.contains("cutoff 2024-01-31: 3 customers, 1 churned, 2 retained"))
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    #expect(summary["rows"] as? Int == 3)
  }

  /// Both outputs or neither: a --spec-out that cannot be written leaves
  /// the old --out as it was, and no temporary file behind.
  @Test func aFailedSecondOutputReplacesNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let old = try dir.write("f.csv", "the old features\n")
    let result = run([
      "features", "--events", path, "--cutoff", "2024-01-31", "--horizon", "9d", "--churn-definition",
      "event:cancel", "--out", old, "--spec-out", "\(dir.path)/missing/spec.json",
    ])
    #expect(result.status == 1)
    #expect(try dir.read("f.csv") == "the old features\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["e.csv", "f.csv"])
  }

  @Test func censoredLabelsAreLeftEmptyAndReported() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let result = run([
      "features", "--events", path, "--cutoff", "2024-02-05", "--horizon", "30d", "--churn-definition", "event:cancel",
      "--out", "\(dir.path)/f.csv",
    ])
    #expect(result.status == 0)
    #expect(result.err.contains("2 not yet observable (label left empty)"))
    #expect(try dir.read("f.csv").split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix(",") })
  }

  struct Case: Sendable, CustomTestStringConvertible {
    let id: String
    let arguments: [String]
    let firstLine: String
    let status: Int32
    var testDescription: String { id }
  }

  static let errors: [Case] = [
    Case(
      id: "no horizon", arguments: ["--cutoff", "2024-01-31", "--out", "-"],
      firstLine: "Error: --horizon is required.", status: 64),
    Case(
      id: "two kinds of cutoff",
      arguments: ["--cutoff", "2024-01-31", "--cutoffs", "2024-01-31", "--horizon", "9d", "--out", "-"],
      firstLine: "Error: --cutoff and --cutoffs cannot be used together.", status: 64),
    Case(
      id: "no cutoff", arguments: ["--horizon", "9d", "--out", "-"],
      firstLine: "Error: One of --cutoff, --cutoffs or --every is required.", status: 64),
    Case(
      id: "bad duration", arguments: ["--cutoff", "2024-01-31", "--horizon", "ninety", "--out", "-"],
      firstLine:
        "Error: invalid duration 'ninety': expected a whole number followed by d (days), w (weeks) or m (30-day months), e.g. 90d",
      status: 1),
    Case(
      id: "cutoff before the data", arguments: ["--cutoff", "2023-01-31", "--horizon", "9d", "--out", "-"],
      firstLine:
        "Error: cutoff 2023-01-31 is outside the data (events from 2024-01-10T00:00:00Z to 2024-02-10T00:00:00Z): no customer has history there",
      status: 1),
    Case(
      id: "misspelt churn event",
      arguments: ["--cutoff", "2024-01-31", "--horizon", "9d", "--churn-definition", "event:cancle", "--out", "-"],
      firstLine:
        "Error: the churn event 'cancle' never occurs in the events (event types: cancel, purchase, visit). Did you mean 'cancel'?",
      status: 1),
    Case(
      id: "json to stdout twice", arguments: ["--cutoff", "2024-01-31", "--horizon", "9d", "--out", "-", "--json"],
      firstLine:
        "Error: Invalid value '' for '--json': the features go to standard output; write them to a file with --out FILE.",
      status: 64),
  ]

  @Test(arguments: errors)
  func reportsErrors(_ c: Case) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let result = run(["features", "--events", path] + c.arguments)
    #expect(result.status == c.status)
    #expect(result.err.split(separator: "\n").first.map(String.init) == c.firstLine)
  }

  /// The resolved spec fixes the columns: applied again it reproduces the
  /// same file, and at another cutoff the same columns.
  @Test func resolvedSpecReproducesTheColumns() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let common = ["features", "--events", path, "--horizon", "9d", "--churn-definition", "event:cancel"]
    #expect(
      run(common + ["--cutoff", "2024-01-31", "--out", "\(dir.path)/a.csv", "--spec-out", "\(dir.path)/spec.json"])
        .status == 0)
    #expect(try dir.read("spec.json").contains("event_types"))
    // Only types seen by the cutoff: the purchase on 10 February is later;
    // and a lone type has no features of its own (they would repeat the
    // overall ones).
    #expect(try FeatureSpec.load(path: "\(dir.path)/spec.json").eventTypes == [])
    #expect(!(try dir.read("a.csv").contains("count_visit")))
    #expect(
      run(common + ["--cutoff", "2024-01-31", "--out", "\(dir.path)/b.csv", "--spec", "\(dir.path)/spec.json"]).status
        == 0)
    #expect(try dir.read("a.csv") == dir.read("b.csv"))
    #expect(
      run(common + ["--cutoff", "2024-01-20", "--out", "\(dir.path)/c.csv", "--spec", "\(dir.path)/spec.json"]).status
        == 0)
    #expect(try dir.read("c.csv").prefix { $0 != "\n" } == dir.read("a.csv").prefix { $0 != "\n" })
  }

  @Test func writesToStandardOutput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let result = run([
      "features", "--events", path, "--cutoffs", "2024-01-31,2024-01-25", "--horizon", "10d",
      "--churn-definition", "event:cancel", "--out", "-",
    ])
    #expect(result.status == 0)
    let lines = result.out.split(separator: "\n")
    #expect(lines.count == 1 + 3 + 3)
    #expect(lines[1].hasPrefix("A,2024-01-25,"))
  }
}

struct TrainCommandTests {
  @Test func fitsAFeatureFileAndReportsTheTable() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var rng = SplitMix64(seed: 9)
    var csv = "customer_id,cutoff,tenure,tickets,label\n"
    for i in 0..<400 {
      let tenure = Double(rng.next() % 1000) / 10
      let tickets = Double(rng.next() % 5)
      let p = 1 / (1 + exp(-(-1 - 0.02 * tenure + 0.6 * tickets)))
      csv += "c\(i),2025-01-31,\(tenure),\(tickets),\(rng.nextUniform() < p ? 1 : 0)\n"
    }
    csv += "late,2025-01-31,3,1,\n"  // censored: skipped
    let path = try dir.write("f.csv", csv)
    let result = run(["train", "--features", path])
    #expect(result.status == 0)
    #expect(result.out.hasPrefix("Logistic regression (Newton–Cholesky), 400 rows, 2 features\n"))
    #expect(result.out.contains("\n(intercept) "))
    #expect(result.out.contains("\ntickets "))
    #expect(result.err == "skipped 1 rows with an empty (censored) label\n")
    // The predictions and the model together, or neither: a model path
    // that cannot be written leaves the old predictions as they were.
    let predictions = try dir.write("p.csv", "the old predictions\n")
    let failed = run(["train", "--features", path, "--predictions-out", predictions, "--out", "\(dir.path)/no/m.json"])
    #expect(failed.status == 1)
    #expect(try dir.read("p.csv") == "the old predictions\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["f.csv", "p.csv"])
    let saved = run(["train", "--features", path, "--predictions-out", predictions, "--out", "\(dir.path)/m.json"])
    #expect(saved.status == 0)
    #expect(try dir.read("p.csv").hasPrefix("key,set,probability,label\nc"))
  }

  @Test func nonNumericFeatureIsLocated() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("f.csv", "customer_id,x,label\na,1,0\nb,oops,1\n")
    let result = run(["train", "--features", path])
    #expect(result.status == 1)
    #expect(result.err == "Error: \(path):3:2: feature 'x' has value 'oops', not a number\n")
  }
}
