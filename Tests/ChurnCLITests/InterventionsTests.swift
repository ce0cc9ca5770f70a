import ChurnTestSupport
import Foundation
import Testing

/// `--interventions FILE`: treatments from a separate CSV count as events of
/// the action's type, and a bad file is named.
struct InterventionsTests {
  @Test func treatmentsFromASeparateFileBecomeEvents() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write(
      "e.csv",
      """
      customer_id,timestamp,event,channel
      A,2024-01-01T00:00:00Z,visit,web
      A,2024-02-01T00:00:00Z,visit,web
      B,2024-01-05T00:00:00Z,visit,app
      B,2024-03-01T00:00:00Z,visit,app
      """)  // no final newline: the merge adds one
    let treatments = try dir.write(
      "t.csv",
      """
      action,customer_id,timestamp
      offer,A,2024-01-15T00:00:00Z
      offer,A,2024-01-20T00:00:00Z
      "offer",B,2024-02-10T00:00:00Z

      """)
    let spec = try dir.write("spec.json", #"{"interventions": ["offer"], "windows": [30]}"#)
    let out = dir.path + "/f.csv"
    let result = run([
      "features", "--events", events, "--interventions", treatments, "--spec", spec, "--cutoff", "2024-02-15",
      "--horizon", "60d", "--out", out,
    ])
    #expect(result.status == 0, "\(result.err)")
    let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false)
    }
    let column = try #require(rows[0].firstIndex(of: "treatment_count_offer"))
    let since = try #require(rows[0].firstIndex(of: "days_since_treatment_offer"))
    let a = try #require(rows.first { $0[0] == "A" }), b = try #require(rows.first { $0[0] == "B" })
    #expect(a[column] == "2" && b[column] == "1")
    #expect(Double(a[since])!.rounded(.down) == 26 && Double(b[since])!.rounded(.down) == 5)  // cutoff: end of 15 Feb
    // The temporary merged log is gone.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter {
      $0.hasPrefix("churnkit-merged-")
    }
    #expect(leftovers.isEmpty)

    let bad = try dir.write("bad.csv", "customer_id,when,action\nA,2024-01-15,offer\n")
    let refused = run([
      "features", "--events", events, "--interventions", bad, "--cutoff", "2024-02-15", "--horizon", "10d", "--out",
      out,
    ])
    #expect(
      refused.status != 0 && refused.err.contains("bad.csv") && refused.err.contains("timestamp"), "\(refused.err)")
  }
}
