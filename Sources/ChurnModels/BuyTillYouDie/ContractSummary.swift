import ChurnData
import ChurnIO

/// Each customer's subscription as the shifted-beta-geometric model reads
/// it, in whole periods from their first event (or their first event of the
/// start type: prospects who never subscribed are left out): churned in period t (the
/// first churn event falls in it; later events are ignored), or still
/// subscribed after n whole periods at the as-of instant. Only events at or
/// before the as-of instant are read.
public struct ContractSummary: Sendable {
  /// Customers with an event by the as-of instant, sorted by id (UTF-8 order).
  public let customerIDs: [String]
  /// The period of churn (t ≥ 1) for churners, else the whole periods
  /// completed (n ≥ 0).
  public let periods: [Int]
  public let churned: [Bool]
  /// The customer's amounts by the as-of instant (up to churn) per period
  /// begun; nil without an amount column.
  public let valuePerPeriod: [Double]?
  public let periodDays: Int
  public let churnEvent: String

  public init(
    reader: inout EventLogReader, issues: inout IssueLog, asOf: Cutoff, churnEvent: String, period: Duration,
    startEvent: String? = nil
  ) throws {
    var first: [Int64] = [], churn: [Int64] = [], spend: [Double] = []
    var batch = EventBatch()
    var churnID: Int32? = nil
    var startID: Int32? = nil
    while try reader.nextBatch(into: &batch, issues: &issues) {
      if churnID == nil { churnID = reader.eventTypes.lookup(churnEvent) }
      if let name = startEvent, startID == nil { startID = reader.eventTypes.lookup(name) }
      let n = reader.customerCount
      if first.count < n {
        first.append(contentsOf: repeatElement(.max, count: n - first.count))
        churn.append(contentsOf: repeatElement(.max, count: n - churn.count))
        spend.append(contentsOf: repeatElement(0, count: n - spend.count))
      }
      for i in 0..<batch.count where batch.time[i] <= asOf.micros {
        let k = Int(batch.customer[i])
        let t = batch.time[i]
        if startEvent == nil || batch.event[i] == startID { first[k] = min(first[k], t) }
        if batch.event[i] == churnID { churn[k] = min(churn[k], t) }
      }
      if reader.columns.amount != nil {
        for i in 0..<batch.count where batch.time[i] <= asOf.micros && !batch.amount[i].isNaN {
          spend[Int(batch.customer[i])] += batch.amount[i]
        }
      }
    }
    for (name, option) in [(churnEvent, "--churn-event"), (startEvent, "--start-event")] {
      guard let name, reader.eventTypes.lookup(name) == nil else { continue }
      throw BuyTillYouDieError.unknownEventType(
        name, suggestion: closestMatch(to: name, in: reader.eventTypes.strings), path: reader.path, option: option)
    }
    let ids = reader.customers.strings
    // A churn event before the start (a prospect closing an account) is not
    // the end of a subscription.
    for k in churn.indices where churn[k] < first[k] { churn[k] = .max }
    let order = ids.indices.filter { $0 < first.count && first[$0] != .max }
      .sorted { ids[$0].utf8.lexicographicallyPrecedes(ids[$1].utf8) }
    let length = period.micros
    customerIDs = order.map { ids[$0] }
    churned = order.map { churn[$0] != .max }
    periods = order.map { k in
      churn[k] != .max ? Int((churn[k] - first[k]) / length) + 1 : Int((asOf.micros - first[k]) / length)
    }
    // Amounts after a first churn event are rare (a refund, a late fee) and
    // counted: they are money the customer brought.
    valuePerPeriod =
      reader.columns.amount == nil
      ? nil
      : order.map { k in
        let end = min(churn[k], asOf.micros)
        let begun = (end - first[k]) / length + 1
        return spend[k] / Double(begun)
      }
    periodDays = period.days
    self.churnEvent = churnEvent
  }

  /// The lifetimes, counted by period, for the fit.
  public var lifetimes: ContractLifetimes {
    var counts = ContractLifetimes()
    for (t, left) in zip(periods, churned) {
      if left { counts.churnedIn[t, default: 0] += 1 } else { counts.aliveAfter[t, default: 0] += 1 }
    }
    return counts
  }
}
