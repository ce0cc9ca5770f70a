import ChurnData
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Runs the extractor on CSV text and returns rows keyed by "customer@cutoff".
func extract(
  _ events: String, cutoffs: [String], horizon: String = "30d", definition: ChurnDefinition = .inactivity,
  spec: FeatureSpec = FeatureSpec(), customers: String? = nil
) throws -> (FeatureSet, [String: [String: Double]], [String: FeatureSet.Label]) {
  let dir = try TemporaryDirectory()
  defer { dir.remove() }
  var reader = try EventLogReader(path: dir.write("e.csv", events), schema: EventSchema(), chunkSize: 64)
  var issues = IssueLog()
  let table = try customers.map { try CustomerTable(path: dir.write("c.csv", $0), issues: &issues) }
  var extractor = FeatureExtractor(
    spec: spec, cutoffs: try cutoffs.map { try Cutoff(parsing: $0) }, horizon: try Duration(parsing: horizon),
    churnDefinition: definition)
  extractor.useFeatureModels()
  let set = try extractor.extract(from: &reader, customers: table, issues: &issues)
  var values: [String: [String: Double]] = [:]
  var labels: [String: FeatureSet.Label] = [:]
  for row in set.rows {
    let key = "\(row.customerID)@\(row.cutoff)"
    values[key] = Dictionary(uniqueKeysWithValues: zip(set.featureNames, set.values(of: row)))
    labels[key] = row.label
  }
  return (set, values, labels)
}

struct FeatureExtractorTests {
  let header = "customer_id,timestamp,event,channel,amount,sentiment,stage\n"

  /// The uplift rows' inactivity outcome (`ChurnDefinition.inactivityOutcome`,
  /// a search in each customer's activity times) agrees with the extractor's
  /// eligibility and labels on random logs: nil exactly when the customer is
  /// not eligible, churned exactly when labelled churned.
  @Test func inactivityOutcomeAgreesWithTheLabels() throws {
    var rng = SplitMix64(seed: 31)
    let day: Int64 = 86_400_000_000
    let start = try Cutoff(parsing: "2024-01-01").micros + 1 - day  // 2024-01-01T00:00:00Z
    let iso = ISO8601DateFormatter()  // UTC, whole seconds
    var text = header
    var times: [String: [Int64]] = [:]
    for c in 0..<80 {
      for _ in 0..<Int(rng.next() % 7) {
        // Whole seconds, some exactly at a cutoff's last second or a day boundary.
        let t =
          start + Int64(rng.next() % 200) * day
          + (rng.next() % 3 == 0 ? day - 1_000_000 : Int64(rng.next() % 86_400) * 1_000_000)
        times["C\(c)", default: []].append(t)
        text += "C\(c),\(iso.string(from: Date(timeIntervalSince1970: Double(t / 1_000_000)))),visit,web,,,\n"
      }
    }
    text += "Z,2025-06-01T00:00:00Z,visit,web,,,\n"  // the data run on, so no label is censored
    let cutoffs = ["2024-02-10", "2024-03-15", "2024-04-30", "2024-06-01"]
    // Events exactly at a cutoff, 30 days before one and 30 days after one
    // (the last microsecond of those days), where the intervals' ends lie.
    for (k, date) in ["2024-01-11", "2024-02-10", "2024-03-11", "2024-02-14", "2024-03-15", "2024-04-14"].enumerated() {
      let t = try Cutoff(parsing: date).micros
      for c in [k, k + 6, k + 12] {
        times["B\(c)", default: []].append(t)
        text += "B\(c),\(date)T23:59:59.999999Z,visit,web,,,\n"
      }
      // B0–B5 have only that event; B6–B11 one more a day later, B12–B17 a day earlier.
      times["B\(k + 6)"]!.append(t + day)
      text += "B\(k + 6),\(iso.string(from: Date(timeIntervalSince1970: Double((t + day) / 1_000_000)))),visit,web,,,\n"
      times["B\(k + 12)"]!.append(t - day)
      text +=
        "B\(k + 12),\(iso.string(from: Date(timeIntervalSince1970: Double((t - day) / 1_000_000)))),visit,web,,,\n"
    }
    // Active at a cutoff and next exactly 30 days later: retained.
    for (c, dates) in [["2024-02-10", "2024-03-11"], ["2024-03-15", "2024-04-14"]].enumerated() {
      for date in dates {
        times["R\(c)", default: []].append(try Cutoff(parsing: date).micros)
        text += "R\(c),\(date)T23:59:59.999999Z,visit,web,,,\n"
      }
    }
    let (_, _, labels) = try extract(text, cutoffs: cutoffs, horizon: "30d", definition: .inactivity)
    var checked = 0
    for cutoff in cutoffs {
      let T = try Cutoff(parsing: cutoff).micros
      for (id, activity) in times {
        let outcome = ChurnDefinition.inactivityOutcome(activity: activity.sorted(), from: T, horizon: 30 * day)
        let label = labels["\(id)@\(cutoff)"]
        #expect((outcome == nil) == (label == nil), "\(id)@\(cutoff)")
        if let outcome { #expect((label == .churned) == outcome, "\(id)@\(cutoff)") }
        checked += outcome == nil ? 0 : 1
      }
    }
    #expect(checked > 40)
  }

  /// The cutoff 2024-03-31 means 2024-03-31T23:59:59.999999Z.
  @Test func windowBoundariesAreHalfOpenIntervalsEndingAtTheCutoff() throws {
    let events =
      header + """
        A,2024-03-31T23:59:59.999999Z,visit,web,,,
        A,2024-03-24T23:59:59.999999Z,visit,web,,,
        A,2024-03-25T00:00:00Z,visit,web,,,
        A,2024-03-01T00:00:00Z,visit,web,,,
        A,2024-04-01T00:00:00Z,visit,web,,,
        A,2024-05-15T00:00:00Z,visit,web,,,

        """
    let (_, values, _) = try extract(events, cutoffs: ["2024-03-31"])
    let a = try #require(values["A@2024-03-31"])
    // The event exactly at T counts; the one exactly 7 days earlier does not
    // count in the 7-day window; the one a microsecond later (midnight) does.
    #expect(a["count_7d"] == 2)
    #expect(a["count_30d"] == 3)  // 1 March 00:00 is 30 days and 23:59:59.999999 before T
    #expect(a["count_90d"] == 4)
    #expect(a["count_visit_7d"] == nil)  // a lone event type has no features of its own
    #expect(a["days_since_last_event"] == 0)
    #expect(a["days_since_first_event"] == Double(30 * 86_400_000_000 + 86_399_999_999) / 86_400_000_000)
    // Active days: day 0 (the last), day 6 (25 March) and day 7 (24 March), day 30 (1 March).
    #expect(a["active_days_365d"] == 4)
    #expect(a["gap_mean_days"] == 10)
    #expect(a["gap_last_over_mean"] == 0.6)
  }

  /// Event types beyond `max_categories`, and types or channels fewer than
  /// `rare_category_min_customers` customers have, are counted together
  /// under "other"; a spec fixed by training rebuilds the same values.
  @Test func typesAndChannelsBeyondTheCapOrRareArePooled() throws {
    var rows = ""
    for k in 0..<12 {
      let id = "C\(k)"
      rows += "\(id),2024-03-30T10:00:00Z,login,web,,,\n\(id),2024-03-20T10:00:00Z,login,web,,,\n"
      if k < 5 { rows += "\(id),2024-03-29T10:00:00Z,promo,web,,,\n" }
      if k < 2 { rows += "\(id),2024-03-28T00:00:00Z,tiny,app,,,\n" }  // 2 customers: rare
      if k == 0 || k == 7 { rows += "\(id),2024-03-01T00:00:00Z,extra,web,,,\n" }  // 4th type: no slot
      if k >= 8 { rows += "\(id),2024-03-25T00:00:00Z,other,web,,,\n" }  // 4 customers, but no slot left
    }
    rows += "C11,2024-04-15T00:00:00Z,login,web,,,\n"  // the data goes on after the cutoff
    var spec = FeatureSpec()
    spec.maxCategories = 3
    spec.rareCategoryMinCustomers = 3
    let (set, values, _) = try extract(header + rows, cutoffs: ["2024-03-31"], spec: spec)
    #expect(set.spec.eventTypes == ["login", "promo"])
    #expect(set.spec.pooledEventTypes == "other_2")  // "other" is a type of the log, pooled
    #expect(set.spec.channels == ["web"])
    #expect(set.spec.pooledChannels == "other")
    let c0 = try #require(values["C0@2024-03-31"])
    #expect(c0["count_other_2_90d"] == 2)  // tiny (rare) and extra (beyond the cap)
    #expect(c0["count_other_2_30d"] == 1)
    #expect(c0["days_since_last_other_2"] == Double(4 * 86_400_000_000 - 1) / 86_400_000_000)
    #expect(c0["share_channel_other"] == 0.2)  // one app event in five
    let c9 = try #require(values["C9@2024-03-31"])
    #expect(c9["count_other_2_30d"] == 1)  // the type named "other", pooled
    #expect(c9["days_since_last_promo"] == spec.neverDays)
    #expect(values["C3@2024-03-31"]?["count_other_2_365d"] == 0)
    // Scoring with the resolved spec: every type it does not list is pooled.
    let (rebuilt, again, _) = try extract(
      header + rows + "C1,2024-03-30T00:00:00Z,brand_new,sms,,,\n", cutoffs: ["2024-03-31"], spec: set.spec)
    #expect(rebuilt.featureNames == set.featureNames)
    #expect(again["C0@2024-03-31"] == c0)
    #expect(again["C1@2024-03-31"]?["count_other_2_7d"] == values["C1@2024-03-31"]!["count_other_2_7d"]! + 1)
  }

  @Test func eventsAfterTheCutoffNeverChangeAFeature() throws {
    let base =
      header + """
        A,2024-01-05T10:00:00Z,visit,web,,,awareness
        A,2024-02-01T10:00:00Z,purchase,app,30.5,,purchase
        B,2024-02-10T08:00:00Z,visit,app,,0.5,consideration
        B,2024-03-01T08:00:00Z,support_ticket,phone,,-0.5,retention
        C,2024-03-30T08:00:00Z,visit,web,,,awareness
        Z,2024-06-01T00:00:00Z,visit,web,,,awareness

        """
    // After T: new customers, new event types, channels and stages, amounts,
    // sentiment, cancellations; and an event exactly one microsecond after T.
    let future = """
      A,2024-04-01T00:00:00Z,brand_new_type,carrier_pigeon,999,-1,advocacy
      B,2024-04-02T00:00:00Z,cancel,phone,,,churned
      D,2024-04-03T00:00:00Z,visit,web,,,awareness
      A,2024-12-01T00:00:00Z,purchase,store,1e6,1,retention

      """
    let (setBefore, before, _) = try extract(base, cutoffs: ["2024-03-31"], horizon: "90d")
    let (setAfter, after, labels) = try extract(base + future, cutoffs: ["2024-03-31"], horizon: "90d")
    #expect(setBefore.featureNames == setAfter.featureNames)
    #expect(before == after)
    #expect(labels["A@2024-03-31"] == .retained)
    #expect(labels["C@2024-03-31"] == .churned)
  }

  @Test func rowOrderDoesNotMatter() throws {
    var lines: [String] = []
    var rng = SplitMix64(seed: 5)
    let types = ["visit", "purchase", "login", "support_ticket"]
    for i in 0..<400 {
      let day = 1 + Int(rng.next() % 28)
      let month = 1 + Int(rng.next() % 4)
      let type = types[Int(rng.next() % 4)]
      let amount = type == "purchase" ? "\(Double(rng.next() % 10_000) / 100)" : ""
      let sentiment = type == "support_ticket" ? "\(Double(Int(rng.next() % 200) - 100) / 100)" : ""
      lines.append(
        "C\(i % 23),2024-0\(month)-\(day < 10 ? "0" : "")\(day)T\(10 + i % 10):00:00Z,\(type),web,\(amount),\(sentiment),retention"
      )
    }
    var shuffled = lines
    shuffled.shuffle(using: &rng)
    let a = try extract(header + lines.joined(separator: "\n") + "\n", cutoffs: ["2024-03-15"])
    let b = try extract(header + shuffled.joined(separator: "\n") + "\n", cutoffs: ["2024-03-15"])
    #expect(a.0.featureNames == b.0.featureNames)
    for (key, row) in a.1 {
      for (name, value) in row {
        #expect(b.1[key]?[name]?.isApproximatelyEqual(to: value, relativeTolerance: 1e-12) == true, "\(key) \(name)")
      }
    }
  }

  @Test func labelsFollowTheChurnDefinitionAndCensoring() throws {
    let events =
      header + """
        A,2024-01-10T00:00:00Z,visit,web,,,
        B,2024-01-10T00:00:00Z,visit,web,,,
        B,2024-02-10T00:00:00Z,cancel,web,,,
        C,2024-01-02T00:00:00Z,cancel,web,,,
        D,2024-01-20T00:00:00Z,visit,web,,,
        D,2024-02-20T00:00:00Z,login,web,,,
        E,2024-03-05T00:00:00Z,visit,web,,,

        """
    let (_, _, byEvent) = try extract(events, cutoffs: ["2024-01-31"], horizon: "30d", definition: .event("cancel"))
    #expect(byEvent["A@2024-01-31"] == .retained)
    #expect(byEvent["B@2024-01-31"] == .churned)
    #expect(byEvent["C@2024-01-31"] == nil)  // already churned
    #expect(byEvent["E@2024-01-31"] == nil)  // no history yet
    // Inactivity: churned when nothing happens in (T, T+30d].
    let (_, _, byInactivity) = try extract(events, cutoffs: ["2024-01-31"], horizon: "30d", definition: .inactivity)
    #expect(byInactivity["A@2024-01-31"] == .churned)
    #expect(byInactivity["B@2024-01-31"] == .retained)
    #expect(byInactivity["D@2024-01-31"] == .retained)
    // A horizon past the end of the data: undecided labels are censored.
    let (_, _, late) = try extract(events, cutoffs: ["2024-02-29"], horizon: "90d", definition: .event("cancel"))
    #expect(late["A@2024-02-29"] == .censored)
    #expect(late["D@2024-02-29"] == .censored)
  }

  @Test func severalCutoffsStackRowsPerCustomerAndCutoff() throws {
    let events =
      header + """
        A,2024-01-10T00:00:00Z,visit,web,,,
        A,2024-02-10T00:00:00Z,visit,web,,,
        B,2024-02-05T00:00:00Z,visit,web,,,
        B,2024-04-05T00:00:00Z,visit,web,,,

        """
    let (set, values, _) = try extract(events, cutoffs: ["2024-02-29", "2024-01-31"])
    #expect(set.rows.map { "\($0.customerID)@\($0.cutoff)" } == ["A@2024-01-31", "A@2024-02-29", "B@2024-02-29"])
    #expect(values["A@2024-01-31"]?["count_30d"] == 1)
    #expect(values["A@2024-02-29"]?["count_30d"] == 1)
    #expect(values["A@2024-02-29"]?["count_90d"] == 2)
  }

  @Test func staticAttributesAreEncodedWithRareAndMissingRules() throws {
    let events =
      header + (0..<12).map { "C\($0),2024-01-0\(1 + $0 % 9)T00:00:00Z,visit,web,,," }.joined(separator: "\n") + "\n"
    var customers = "customer_id,plan,score,signup\n"
    for i in 0..<12 {
      let plan = i < 10 ? "basic" : "gold"
      let score = i == 3 ? "" : "\(i)"
      customers += "C\(i),\(plan),\(score),2023-12-0\(1 + i % 9)\n"
    }
    var spec = FeatureSpec()
    spec.rareCategoryMinCustomers = 5
    let (set, values, _) = try extract(events, cutoffs: ["2024-01-09"], spec: spec, customers: customers)
    #expect(Array(set.featureNames.suffix(5)) == ["plan_basic", "plan_other", "score", "score_missing", "signup_days"])
    let c10 = try #require(values["C10@2024-01-09"])
    #expect(c10["plan_basic"] == 0 && c10["plan_other"] == 1)
    let c3 = try #require(values["C3@2024-01-09"])
    // Mean of 0…11 without 3 is 63/11.
    #expect(c3["score"] == 63.0 / 11.0 && c3["score_missing"] == 1)
    #expect(c10["score_missing"] == 0)
    // Signed up 2023-12-02: 38 days and a day less a microsecond before the cutoff.
    #expect(values["C1@2024-01-09"]?["signup_days"] == Double(38 * 86_400_000_000 + 86_399_999_999) / 86_400_000_000)
  }

  @Test func badRequestsGetClearErrors() throws {
    let events = header + "A,2024-01-10T00:00:00Z,visit,web,,,\nA,2024-02-10T00:00:00Z,visit,web,,,\n"
    #expect(
      throws: FeatureError.cutoffOutsideData(
        cutoff: "2023-12-31", firstEvent: "2024-01-10T00:00:00Z", lastEvent: "2024-02-10T00:00:00Z")
    ) {
      try extract(events, cutoffs: ["2023-12-31"])
    }
    #expect(throws: FeatureError.churnEventNeverSeen(name: "cancle", available: ["visit"])) {
      try extract(events, cutoffs: ["2024-01-31"], definition: .event("cancle"))
    }
    var spec = FeatureSpec()
    spec.eventTypes = ["vist"]
    #expect(throws: FeatureError.unknownName(kind: "event type", name: "vist", suggestion: "visit")) {
      try extract(events, cutoffs: ["2024-01-31"], definition: .inactivity, spec: spec)
    }
    spec = FeatureSpec()
    spec.windows = []
    #expect(throws: FeatureError.invalidSpec("'windows' is empty: give at least one window in days")) {
      try extract(events, cutoffs: ["2024-01-31"], definition: .inactivity, spec: spec)
    }
    #expect(throws: FeatureError.invalidDuration("90x")) { try Duration(parsing: "90x") }
    #expect(throws: FeatureError.invalidDuration("0d")) { try Duration(parsing: "0d") }
    #expect(try Duration(parsing: "12w").days == 84)
    #expect(try Duration(parsing: "3m").days == 90)
    #expect(throws: FeatureError.invalidCutoff("2024-02-30")) { try Cutoff(parsing: "2024-02-30") }
    let from = try Cutoff(parsing: "2024-03-01")
    let to = try Cutoff(parsing: "2024-01-01")
    #expect(throws: FeatureError.self) { try Cutoff.series(from: from, to: to, every: Duration(days: 30)) }
  }

  @Test func specFileRejectsUnknownSettings() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("spec.json", #"{"windows": [7, 30], "trend_windw": 14}"#)
    #expect {
      try FeatureSpec.load(path: path)
    } throws: { error in
      "\(error)".contains("unknown setting 'trend_windw' in the feature spec. Did you mean 'trend_window'?")
    }
    let nested = try dir.write("nested.json", #"{"repeat_purchase": {"horizon_day": 30}}"#)
    #expect {
      try FeatureSpec.load(path: nested)
    } throws: { error in
      "\(error)".contains(
        "unknown 'repeat_purchase' setting 'horizon_day' in the feature spec. Did you mean 'horizon_days'?")
    }
    let covariance = try dir.write(
      "covariance.json",
      #"{"repeat_purchase": {"parameters": {"r": 0.2, "alpha": 30, "a": 0.8, "b": 2.4, "log_covariance": [[1, 0], [0, 1]]}}}"#
    )
    #expect {
      try FeatureSpec.load(path: covariance)
    } throws: { error in
      "\(error)".contains("'repeat_purchase.parameters.log_covariance' must be a 4 × 4 matrix (a list of rows)")
    }
    let cox = try dir.write("cox.json", #"{"cox_risk": {"horizon": 30}}"#)
    #expect {
      try FeatureSpec.load(path: cox)
    } throws: { error in
      "\(error)".contains("unknown 'cox_risk' setting 'horizon' in the feature spec")
    }
    // A stored fit must be whole: one coefficient and one mean per covariate.
    let torn = try dir.write(
      "torn.json",
      #"{"cox_risk": {"covariates": ["count_30d"], "coefficients": [0.1, 0.2], "means": [1], "baseline_cumulative_hazard": 0.1}}"#
    )
    #expect {
      try FeatureSpec.load(path: torn).validate()
    } throws: { error in
      "\(error)".contains("'cox_risk' needs covariates, coefficients and means of one length")
    }
    let good = try dir.write("good.json", #"{"windows": [7, 30], "interventions": ["discount_offer"]}"#)
    let spec = try FeatureSpec.load(path: good)
    #expect(spec.windows == [7, 30] && spec.interventions == ["discount_offer"] && spec.trendWindow == 30)
  }

  /// `log1p`: counts and amounts become log(1 + |x|)·sign(x) under a
  /// `log1p_` name; every other feature is untouched.
  @Test func log1pTransformsCountsAndAmountsOnly() throws {
    let events =
      header + "a,2025-01-05T10:00:00Z,purchase,web,120,0.5,\n" + "a,2025-01-20T10:00:00Z,refund,web,-30,,\n"
      + "a,2025-01-25T10:00:00Z,purchase,app,9.5,-0.5,\n" + "b,2025-01-28T10:00:00Z,visit,web,,,\n"
    var spec = FeatureSpec()
    let (_, plain, _) = try extract(events, cutoffs: ["2025-01-28"], spec: spec)
    spec.log1p = true
    let (set, logged, _) = try extract(events, cutoffs: ["2025-01-28"], spec: spec)
    for (key, row) in plain {
      let transformed = logged[key]!
      #expect(transformed.count == row.count)
      for (name, x) in row {
        let heavy =
          (name.hasPrefix("count_") || name.hasPrefix("amount_") || name == "active_days_365d"
            || name.hasPrefix("sentiment_count_") || name.hasPrefix("sentiment_negative_"))
        if heavy {
          let expected = x < 0 ? -log1p(-x) : log1p(x)
          #expect(transformed["log1p_" + name] == expected, "\(key) \(name)")
        } else {
          #expect(transformed[name] == x, "\(key) \(name)")
        }
      }
    }
    #expect(logged["a@2025-01-28"]!["log1p_amount_sum_30d"]! == log1p(99.5))
    #expect(set.featureNames.contains("log1p_count_30d") && !set.featureNames.contains("count_30d"))
  }

  /// `repeat_purchase`: BG/NBD and Gamma-Gamma fitted on the purchases up to
  /// the earliest cutoff, evaluated at each; a customer without a purchase
  /// by the cutoff gets zeros and `no_purchase_yet`.
  @Test func repeatPurchaseFeaturesComeFromModelsFittedUpToTheFirstCutoff() throws {
    var lines = header
    var rng = SplitMix64(seed: 7)
    for c in 0..<300 {
      var day = Int(rng.next() % 60)
      let rate = 5 + Int(rng.next() % 40)
      while day < 200 {
        let micros = (1_735_689_600 + Int64(day) * 86_400 + 36_000) * 1_000_000  // 2025-01-01 + day, 10:00
        lines += "c\(c),\(formatISO8601(micros)),purchase,web,\(10 + c % 7 + day % 5),,\n"
        if rng.next() % 6 == 0 { break }  // drops out
        day += 1 + Int(rng.next() % UInt64(2 * rate))
      }
      if c % 10 == 0 { lines += "p\(c),2025-03-01T09:00:00Z,visit,web,,,\n" }  // a prospect
    }
    var spec = FeatureSpec()
    spec.repeatPurchase = RepeatPurchaseFeature()
    let (set, values, _) = try extract(lines, cutoffs: ["2025-03-31", "2025-05-31"], horizon: "60d", spec: spec)
    let feature = try #require(set.spec.repeatPurchase)
    #expect(feature.fittedThrough == "2025-03-31" && feature.horizonDays == 60 && feature.purchaseEvent == "purchase")
    let family = ["p_alive", "expected_purchases_60d", "clv", "no_purchase_yet"]
    #expect(set.featureNames.filter { family.contains($0) } == family)
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", lines)
    func summary(_ cutoff: String) throws -> RepeatPurchaseSummary {
      var reader = try EventLogReader(path: path, schema: EventSchema())
      var issues = IssueLog()
      return try RepeatPurchaseSummary(
        reader: &reader, issues: &issues, asOf: try Cutoff(parsing: cutoff), purchaseEvent: nil)
    }
    let early = try summary("2025-03-31")
    let fitted = try BGNBDModel().fit(early)
    let k = try #require(feature.parameters)
    #expect(abs(k.r - fitted.r) < 1e-12 && abs(k.alpha - fitted.alpha) < 1e-12)
    let late = try summary("2025-05-31")
    var checked = 0
    for (i, id) in late.customerIDs.enumerated() {
      guard let row = values["\(id)@2025-05-31"] else { continue }
      let expected = fitted.probabilityAlive(frequency: late.frequency[i], recency: late.recency[i], age: late.age[i])
      #expect(abs(row["p_alive"]! - expected) < 1e-12, "\(id)")
      #expect(row["no_purchase_yet"] == 0)
      checked += 1
    }
    #expect(checked > 50)
    let prospect = try #require(values["p0@2025-03-31"])
    #expect(prospect["no_purchase_yet"] == 1 && prospect["p_alive"] == 0 && prospect["clv"] == 0)
  }

  /// `stage_churn`: the chain is fitted on the events up to the cutoff only —
  /// the same as fitting a log cut there (so nothing later leaks in) — and
  /// each customer gets their current stage's probability.
  @Test func stageChurnComesFromAChainFittedUpToTheCutoff() throws {
    var lines: [String] = []
    var rng = SplitMix64(seed: 11)
    let stages = ["awareness", "consideration", "retention"]
    for c in 0..<40 {
      var stage = 0
      for day in 1...28 where rng.next() % 3 == 0 {
        if stage < 2 && rng.next() % 4 == 0 { stage += 1 }
        lines.append("C\(c),2024-01-\(day < 10 ? "0" : "")\(day)T12:00:00Z,visit,web,,,\(stages[stage])")
        if rng.next() % 40 == 0 {
          lines.append("C\(c),2024-01-\(day < 10 ? "0" : "")\(day)T13:00:00Z,cancel,web,,,\(stages[stage])")
          break
        }
      }
    }
    let early = lines.filter { $0.contains("2024-01-0") || $0.contains("2024-01-1") }  // through 19 January
    let later = lines.filter { !early.contains($0) }
    var spec = FeatureSpec()
    spec.stages = stages + ["churned"]
    spec.stageChurn = StageChurnFeature(horizonDays: 10)
    let cutoff = "2024-01-19T13:00:00Z"  // the last early event
    let full = try extract(
      header + (early + later).joined(separator: "\n") + "\n", cutoffs: [cutoff], definition: .event("cancel"),
      spec: spec)
    let cut = try extract(
      header + early.joined(separator: "\n") + "\n", cutoffs: [cutoff], definition: .event("cancel"), spec: spec)
    let fitted = try #require(full.0.spec.stageChurn?.probabilities)
    #expect(fitted == cut.0.spec.stageChurn?.probabilities)
    #expect(full.0.spec.stageChurn?.fittedThrough == cutoff)
    // Independently: the estimator on the cut log.
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var reader = try EventLogReader(
      path: dir.write("cut.csv", header + early.joined(separator: "\n") + "\n"), schema: EventSchema())
    var issues = IssueLog()
    var estimator = StageModelEstimator(churnEvent: "cancel")
    estimator.stages = spec.stages
    estimator.horizons = [10]
    estimator.bootstrapReplicates = 0
    let chain = try estimator.estimate(from: &reader, issues: &issues)
    #expect(fitted == chain.absorption.churnWithin[10]! + [1])
    for (key, row) in full.1 {
      let current = try #require(stages.indices.first { row["stage_\(stages[$0])"] == 1 }, "\(key)")
      #expect(row["markov_churn_10d"] == fitted[current], "\(key)")
    }
    // A resolved spec is applied as it is: no refit on other data.
    let reused = try extract(
      header + later.joined(separator: "\n") + "\n", cutoffs: ["2024-01-28"], definition: .event("cancel"),
      spec: full.0.spec)
    #expect(reused.0.spec.stageChurn == full.0.spec.stageChurn)
  }
}
