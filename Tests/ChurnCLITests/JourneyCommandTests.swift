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

  /// --out and --json write files (the table on stdout); with --out - the
  /// page is the only thing on stdout and the table moves to stderr.
  @Test func writesTheMapAndTheModel() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write("e.csv", Self.log)
    let page = "\(dir.path)/journey.html", model = "\(dir.path)/journey.json"
    let files = run(["journey", "--events", events, "--churn-event", "cancel", "--bootstrap", "20", "--out", page, "--json", model])
    #expect(files.status == 0, "\(files.err)")
    #expect(files.out.hasPrefix("Stage model from 2 customers"))
    let html = try String(contentsOfFile: page, encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any]
    let fitted = json?["model"] as? [String: Any]
    #expect(fitted?["bootstrapReplicates"] as? Int == 20)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["e.csv", "journey.html", "journey.json"])

    let piped = run(["journey", "--events", events, "--churn-event", "cancel", "--bootstrap", "0", "--out", "-"])
    #expect(piped.status == 0)
    #expect(piped.out.hasPrefix("<!DOCTYPE html>"))
    #expect(piped.err.contains("Stage model from 2 customers"))
  }

  @Test func aLogWithoutStagesFailsWithoutWritingAnything() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write("e.csv", "customer_id,timestamp,event\nA,2024-01-01,visit\n")
    let result = run(["journey", "--events", events, "--out", "\(dir.path)/journey.html"])
    #expect(result.status != 0)
    #expect(result.err.contains("stage column"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["e.csv"])
  }
}
