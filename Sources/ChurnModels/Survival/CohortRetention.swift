import ChurnIO

/// A Kaplan–Meier retention curve for one cohort of customers.
public struct CohortRetention: Sendable, Codable, Equatable {
  /// "all" or the quarter of the customers' first event, e.g. "2024-Q3".
  public let cohort: String
  public let curve: KaplanMeierCurve
}

/// Each customer's first event, how long they were followed and whether
/// they churned, collected while the stage model walks the spells.
struct CustomerLifetimes {
  private var firstSeen: [Int64] = []
  private var durationDays: [Int] = []
  private var churned: [Bool] = []

  /// One customer: from `firstSeen` to `end` (churn, or the end of the data).
  /// Durations are whole days, rounded down.
  mutating func append(firstSeen start: Int64, end: Int64, churned isChurn: Bool) {
    firstSeen.append(start)
    durationDays.append(Int((end - start) / microsPerDay))
    churned.append(isChurn)
  }

  /// The curve for all customers, then one per quarter of the first event.
  func retentionByCohort() -> [CohortRetention] {
    var members: [String: [Int]] = [:]
    for (i, t) in firstSeen.enumerated() {
      let day = t >= 0 ? t / microsPerDay : (t - microsPerDay + 1) / microsPerDay
      let date = CivilDate.date(daysSinceEpoch: Int(day))
      members["\(date.year)-Q\((date.month - 1) / 3 + 1)", default: []].append(i)
    }
    var curves = [CohortRetention(cohort: "all", curve: KaplanMeierCurve(durations: durationDays, churned: churned))]
    for cohort in members.keys.sorted() {
      let indexes = members[cohort]!
      curves.append(
        CohortRetention(
          cohort: cohort,
          curve: KaplanMeierCurve(durations: indexes.map { durationDays[$0] }, churned: indexes.map { churned[$0] })))
    }
    return curves
  }
}
