import ChurnData
import ChurnIO

/// Each customer's purchase history as the buy-till-you-die models read it,
/// in days, as lifetimes' `summary_data_from_transaction_data` gives it with
/// daily periods: purchases on the same UTC day count once; `frequency` is
/// the number of days with a purchase after the first, `recency` the days
/// from the first to the last, `age` (lifetimes' T) the days from the first
/// to the as-of day, and `monetaryValue` the mean spend of those repeat
/// days (0 without one). Only purchases at or before the as-of instant are
/// read, so a summary never sees the future it is used to predict.
public struct RepeatPurchaseSummary: Sendable {
  /// Customers with a purchase by the as-of day, sorted by id (UTF-8 order).
  public let customerIDs: [String]
  public let frequency: [Double]
  public let recency: [Double]
  public let age: [Double]
  public let monetaryValue: [Double]
  /// Whether the log has amounts (else `monetaryValue` is all 0).
  public let hasAmounts: Bool
  /// The event type counted as a purchase (nil: every event).
  public let purchaseEvent: String?

  /// Reads the log. `purchaseEvent` nil: the type `purchase` when the log
  /// has it, else every event.
  public init(
    reader: inout EventLogReader, issues: inout IssueLog, asOf: Cutoff, purchaseEvent: String?
  ) throws {
    self = try PurchaseHistory(reader: &reader, issues: &issues, through: asOf, purchaseEvent: purchaseEvent)
      .summary(asOf: asOf)
  }

  init(
    customerIDs: [String], frequency: [Double], recency: [Double], age: [Double], monetaryValue: [Double],
    hasAmounts: Bool, purchaseEvent: String?
  ) {
    (self.customerIDs, self.frequency, self.recency, self.age) = (customerIDs, frequency, recency, age)
    (self.monetaryValue, self.hasAmounts, self.purchaseEvent) = (monetaryValue, hasAmounts, purchaseEvent)
  }
}

/// Every purchase of a log up to an instant, sorted by customer (id order)
/// and time: read once, summarised at any as-of day up to that instant.
public struct PurchaseHistory: Sendable {
  /// The event type counted as a purchase (nil: every event not excluded).
  public let purchaseEvent: String?
  public let hasAmounts: Bool
  private let ids: [String]
  private let purchases: [(customer: Int32, time: Int64, amount: Double)]

  /// Reads the purchases at or before `through`. `purchaseEvent` nil: the
  /// type `purchase` when the log has it, else every type not in
  /// `excluding` (interventions, the churn event).
  public init(
    reader: inout EventLogReader, issues: inout IssueLog, through: Cutoff, purchaseEvent: String?,
    excluding: Set<String> = []
  ) throws {
    var rows: [(customer: Int32, time: Int64, amount: Double, event: Int32)] = []
    var batch = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      for i in 0..<batch.count where batch.time[i] <= through.micros {
        let amount = batch.amount[i]
        rows.append((batch.customer[i], batch.time[i], amount.isNaN ? 0 : amount, batch.event[i]))
      }
    }
    let types = reader.eventTypes
    if let name = purchaseEvent, types.lookup(name) == nil {
      throw BuyTillYouDieError.unknownEventType(
        name, suggestion: closestMatch(to: name, in: types.strings), path: reader.path)
    }
    // The type is decided once the whole log is read: "purchase" may first
    // appear late in the file.
    let chosen = purchaseEvent ?? (types.lookup("purchase") != nil ? "purchase" : nil)
    var counts = [Bool](repeating: true, count: types.count)
    if let chosen {
      let id = Int(types.lookup(chosen)!)
      for t in counts.indices { counts[t] = t == id }
    } else {
      for t in counts.indices where excluding.contains(types.string(Int32(t))) { counts[t] = false }
    }
    rows.removeAll { !counts[Int($0.event)] }
    ids = reader.customers.strings
    let rank = PurchaseHistory.ranks(of: ids)
    rows.sort { (rank[Int($0.customer)], $0.time) < (rank[Int($1.customer)], $1.time) }
    purchases = rows.map { ($0.customer, $0.time, $0.amount) }
    self.purchaseEvent = chosen
    hasAmounts = reader.columns.amount != nil
  }

  /// Each id's position in UTF-8 order.
  private static func ranks(of ids: [String]) -> [Int] {
    let order = ids.indices.sorted { ids[$0].utf8.lexicographicallyPrecedes(ids[$1].utf8) }
    var rank = [Int](repeating: 0, count: ids.count)
    for (r, k) in order.enumerated() { rank[k] = r }
    return rank
  }

  /// The summary at the end of `asOf` (purchases at or before it).
  public func summary(asOf: Cutoff) -> RepeatPurchaseSummary {
    let asOfDay = Double(floorDivide(asOf.micros, microsPerDay))
    var customerIDs: [String] = []
    var frequency: [Double] = [], recency: [Double] = [], age: [Double] = [], monetary: [Double] = []
    var start = 0
    while start < purchases.count {
      let customer = purchases[start].customer
      var end = start
      var firstDay = Int64.min, lastDay = Int64.min
      var repeatDays = 0
      var repeatSpend = 0.0
      while end < purchases.count && purchases[end].customer == customer {
        let p = purchases[end]
        end += 1
        guard p.time <= asOf.micros else { continue }
        let day = floorDivide(p.time, microsPerDay)
        if firstDay == .min {
          firstDay = day
        } else if day != firstDay {
          if day != lastDay { repeatDays += 1 }
          repeatSpend += p.amount
        }
        lastDay = day
      }
      start = end
      guard firstDay != .min else { continue }
      customerIDs.append(ids[Int(customer)])
      frequency.append(Double(repeatDays))
      recency.append(Double(lastDay - firstDay))
      age.append(asOfDay - Double(firstDay))
      monetary.append(repeatDays > 0 ? repeatSpend / Double(repeatDays) : 0)
    }
    return RepeatPurchaseSummary(
      customerIDs: customerIDs, frequency: frequency, recency: recency, age: age, monetaryValue: monetary,
      hasAmounts: hasAmounts, purchaseEvent: purchaseEvent)
  }
}

/// ⌊a / b⌋ for b > 0 (times before 1970 are negative).
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
  let q = a / b
  return (a % b != 0 && a < 0) ? q - 1 : q
}
