import ChurnTestSupport
import Foundation
import Testing

/// `score` and `recommend` with the shipped model (trained with --actions) on
/// the shipped sample.
struct RecommendCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  static let model = root + "/models/churn-model.json"
  static let data = [
    "--events", root + "/training-data/events.csv", "--customers", root + "/training-data/customers.csv",
  ]

  @Test func scoresCarryTheNextBestAction() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let out = dir.path + "/scores.csv"
    let result = run(["score", "--model", Self.model] + Self.data + ["--as-of", "2025-12-30", "--out", out])
    #expect(result.status == 0, "\(result.err)")
    let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
    #expect(
      lines[0].hasSuffix(
        "next_best_action,expected_uplift,expected_net_value,expected_net_value_se,customer_value,customer_value_se,reachable,runner_up_action,action_reason"
      ))
    let catalog =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.root + "/models/actions.json")))
      as! [[String: Any]]
    let ids = Set(catalog.map { $0["id"] as! String } + ["none"])
    var treated = 0
    for line in lines.dropFirst() {
      // The reason is the last field and quoted; the action fields precede it.
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      guard let k = fields.firstIndex(where: { ids.contains($0) && $0 != "" }), k >= 17 else { continue }
      let action = fields[k], uplift = Double(fields[k + 1])!, net = Double(fields[k + 2])!
      let value = Double(fields[k + 4])!, valueSE = Double(fields[k + 5])!, reach = Double(fields[k + 6])!
      #expect(ids.contains(action))
      // The stage chain's bootstrap gives the value a standard error, which
      // the net value carries in proportion to the uplift and the chance the
      // customer is still reachable.
      #expect(reach >= 0 && reach <= 1, "\(line)")
      #expect(valueSE >= 0 && valueSE < value || value == 0, "\(line)")
      if action != "none" {
        treated += 1
        #expect(net > 0, "\(line)")
        let netSE = Double(fields[k + 3])!
        #expect(abs(netSE - reach * abs(uplift) * valueSE) <= 1e-9 * max(1, netSE), "\(line)")
      } else {
        #expect(net == 0)
      }
    }
    #expect(treated > 0)
  }

  @Test func recommendNeedsAnUpliftModelAndAValidBudget() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let bad = run(["recommend", "--model", Self.model] + Self.data + ["--as-of", "2025-12-30", "--budget", "-5"])
    #expect(bad.status == 64 && bad.err.contains("--budget"))
    // A churn model without the uplift part.
    var json =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.model))) as! [String: Any]
    var inner = json["model"] as! [String: Any]
    inner.removeValue(forKey: "uplift")
    json["model"] = inner
    let plain = dir.path + "/plain.json"
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: plain))
    let result = run(["recommend", "--model", plain] + Self.data + ["--as-of", "2025-12-30"])
    #expect(result.status != 0)
    // The checksum no longer matches (a changed file is refused) or, if it
    // did, the missing uplift part is named.
    #expect(result.err.contains("checksum") || result.err.contains("--actions"), "\(result.err)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["plain.json"])
  }
}
