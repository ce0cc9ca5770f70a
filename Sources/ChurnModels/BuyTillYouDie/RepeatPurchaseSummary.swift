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
    var rows: [(customer: Int32, day: Int32, amount: Double)] = []
    var batch = EventBatch()
    var chosen = purchaseEvent
    var purchaseID: Int32? = nil
    while try reader.nextBatch(into: &batch, issues: &issues) {
      if purchaseID == nil {
        if chosen == nil, reader.eventTypes.lookup("purchase") != nil { chosen = "purchase" }
        purchaseID = chosen.flatMap { reader.eventTypes.lookup($0) }
      }
      for i in 0..<batch.count where batch.time[i] <= asOf.micros {
        if let id = purchaseID, batch.event[i] != id { continue }
        if chosen != nil && purchaseID == nil { continue }  // the type has not appeared yet
        let day = Int32(floorDivide(batch.time[i], microsPerDay))
        let amount = batch.amount[i]
        rows.append((batch.customer[i], day, amount.isNaN ? 0 : amount))
      }
    }
    if let name = purchaseEvent, reader.eventTypes.lookup(name) == nil {
      throw BuyTillYouDieError.unknownPurchaseEvent(
        name, suggestion: closestMatch(to: name, in: reader.eventTypes.strings), path: reader.path)
    }
    self.purchaseEvent = chosen
    hasAmounts = reader.columns.amount != nil
    let asOfDay = Double(floorDivide(asOf.micros, microsPerDay))
    let ids = reader.customers.strings
    rows.sort { ($0.customer, $0.day) < ($1.customer, $1.day) }
    var perCustomer: [(id: String, frequency: Double, recency: Double, age: Double, monetary: Double)] = []
    var start = 0
    while start < rows.count {
      var end = start
      var days: [(day: Int32, spend: Double)] = []
      while end < rows.count && rows[end].customer == rows[start].customer {
        if let last = days.last, last.day == rows[end].day {
          days[days.count - 1].spend += rows[end].amount
        } else {
          days.append((rows[end].day, rows[end].amount))
        }
        end += 1
      }
      let first = Double(days[0].day)
      let repeats = days.dropFirst()
      perCustomer.append(
        (
          ids[Int(rows[start].customer)], Double(repeats.count), Double(days.last!.day) - first, asOfDay - first,
          repeats.isEmpty ? 0 : repeats.reduce(0) { $0 + $1.spend } / Double(repeats.count)
        ))
      start = end
    }
    perCustomer.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    customerIDs = perCustomer.map(\.id)
    frequency = perCustomer.map(\.frequency)
    recency = perCustomer.map(\.recency)
    age = perCustomer.map(\.age)
    monetaryValue = perCustomer.map(\.monetary)
  }
}

/// ⌊a / b⌋ for b > 0 (times before 1970 are negative).
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
  let q = a / b
  return (a % b != 0 && a < 0) ? q - 1 : q
}
