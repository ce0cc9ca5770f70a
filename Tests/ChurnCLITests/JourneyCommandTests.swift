import ChurnTestSupport
import Foundation
import Testing

struct JourneyCommandTests {
  static let log = """
    customer_id,timestamp,event,stage,channel
    A,2024-01-01,visit,awareness,web
    A,2024-01-04,compare,consideration,web
    A,2024-01-09,cancel,consideration,email
    B,2024-01-01,visit,awareness,app
    B,2024-01-02,visit,awareness,app
    B,2024-01-20,compare,consideration,app

    """

  /// Every file or none: a --model-out that cannot be written leaves the
  /// old page as it was.
  @Test func aFailedSecondOutputReplacesNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write("e.csv", Self.log)
    let page = try dir.write("journey.html", "the old page\n")
    let result = run([
      "journey", "--events", events, "--churn-definition", "event:cancel", "--bootstrap", "0", "--out", page,
      "--model-out", "\(dir.path)/missing/journey.json",
    ])
    #expect(result.status == 1)
    #expect(try dir.read("journey.html") == "the old page\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["e.csv", "journey.html"])
  }

  /// --json prints what --model-out writes; the churn definition reads as
  /// for features and train; the old spelling and mistaken uses are named.
  @Test func optionsMeanWhatTheyMeanElsewhere() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write("e.csv", Self.log)
    let model = "\(dir.path)/journey.json"
    let common = ["journey", "--events", events, "--churn-definition", "event:cancel", "--bootstrap", "0"]
    let file = run(common + ["--model-out", model])
    let printed = run(common + ["--json"])
    #expect(file.status == 0 && printed.status == 0, "\(printed.err)")
    #expect(printed.out == (try String(contentsOfFile: model, encoding: .utf8)))
    #expect(printed.err.hasPrefix("Stage model from 2 customers"))
    let both = run(common + ["--json", "--out", "-"])
    #expect(both.status == 64)
    #expect(both.err.hasPrefix("Error: --out and --json both write to standard output: send one of them to a file.\n"))
    let old = run(["journey", "--events", events, "--churn-event", "cancel"])
    #expect(old.status == 64)
    #expect(old.err.hasPrefix("Error: Option '--churn-event' is now '--churn-definition event:NAME'.\n"))
    let oldJSON = run(common + ["--json", model])
    #expect(oldJSON.status == 64)
    #expect(
      oldJSON.err.hasPrefix("Error: Unexpected argument '\(model)': --json is a flag and takes no value.\n"),
      "\(oldJSON.err)")
    let silence = run(["journey", "--events", events, "--churn-definition", "inactivity", "--bootstrap", "0"])
    #expect(silence.status == 64 && silence.err.contains("--inactivity DURATION"), "\(silence.err)")
    let quiet = run(["journey", "--events", events, "--churn-definition", "inactivity", "--inactivity", "30d"])
    #expect(quiet.status == 0, "\(quiet.err)")
    #expect(run(["journey"]).err.hasPrefix("Error: --events is required.\n"))
  }

  /// --out and --model-out write files (the table on stdout); with --out - the
  /// page is the only thing on stdout and the table moves to stderr.
  @Test func writesTheMapAndTheModel() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write("e.csv", Self.log)
    let page = "\(dir.path)/journey.html", model = "\(dir.path)/journey.json"
    let files = run([
      "journey", "--events", events, "--churn-definition", "event:cancel", "--bootstrap", "20", "--out", page,
      "--model-out", model,
    ])
    #expect(files.status == 0, "\(files.err)")
    #expect(files.out.hasPrefix("Stage model from 2 customers"))
    let html = try String(contentsOfFile: page, encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any]
    let fitted = json?["model"] as? [String: Any]
    #expect(fitted?["bootstrapReplicates"] as? Int == 20)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [
        "e.csv", "journey.html", "journey.json",
      ])

    let piped = run([
      "journey", "--events", events, "--churn-definition", "event:cancel", "--bootstrap", "0", "--out", "-",
    ])
    #expect(piped.status == 0)
    #expect(piped.out.hasPrefix("<!DOCTYPE html>"))
    #expect(piped.err.contains("Stage model from 2 customers"))
  }

  @Test func aLogWithoutStagesFailsWithoutWritingAnything() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write("e.csv", "customer_id,timestamp,event\nA,2024-01-01,ping\n")
    let result = run(["journey", "--events", events, "--out", "\(dir.path)/journey.html"])
    #expect(result.status != 0)
    #expect(result.err.contains("no event gives a stage"), "\(result.err)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["e.csv"])
  }

  /// Without a stage column the default mapping is used, and said so.
  @Test func stagesComeFromEventTypesWithoutAStageColumn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write(
      "e.csv",
      """
      customer_id,timestamp,event
      A,2024-01-01,visit
      A,2024-01-04,compare
      A,2024-01-09,purchase
      B,2024-01-01,visit
      B,2024-01-03,cancel

      """)
    let result = run(["journey", "--events", events, "--churn-definition", "event:cancel", "--bootstrap", "0"])
    #expect(result.status == 0, "\(result.err)")
    #expect(result.err.contains("default mapping"))
    #expect(result.out.hasPrefix("Stage model from 2 customers"))
    let custom = try dir.write("m.json", #"{"stages": {"visit": "a", "purchase": "b"}}"#)
    let mapped = run([
      "journey", "--events", events, "--churn-definition", "event:cancel", "--bootstrap", "0",
      "--stage-map", custom, "--stages", "a,b,churned",
    ])
    #expect(mapped.status == 0, "\(mapped.err)")
    #expect(!mapped.err.contains("default mapping"))
    let wrong = run(["journey", "--events", events, "--stage-map", custom])
    #expect(wrong.status != 0 && wrong.err.contains("'purchase' maps to 'b', which is not a stage"), "\(wrong.err)")
  }

  @Test func segmentsNeedACustomersTableWithThatColumn() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write("e.csv", Self.log)
    let customers = try dir.write("c.csv", "customer_id,plan\nA,basic\nB,pro\n")
    let page = "\(dir.path)/journey.html", model = "\(dir.path)/journey.json"
    let noTable = run(["journey", "--events", events, "--segment", "plan"])
    #expect(noTable.status != 0 && noTable.err.contains("--customers"))
    let noColumn = run(["journey", "--events", events, "--customers", customers, "--segment", "region"])
    #expect(noColumn.status != 0 && noColumn.err.contains("columns: plan"), "\(noColumn.err)")
    let ok = run([
      "journey", "--events", events, "--customers", customers, "--segment", "plan", "--churn-definition",
      "event:cancel",
      "--bootstrap", "0", "--out", page, "--model-out", model,
    ])
    #expect(ok.status == 0, "\(ok.err)")
    #expect(ok.out.contains("Churn within 365 days by plan"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any]
    let segments = (json?["segments"] as? [String: Any])?["segments"] as? [[String: Any]]
    #expect(segments?.map { $0["name"] as? String } == ["basic", "pro"])
    #expect(try String(contentsOfFile: page, encoding: .utf8).contains("<svg id=\"segments\""))
  }
}
