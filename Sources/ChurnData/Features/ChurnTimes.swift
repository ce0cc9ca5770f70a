import ChurnIO
import Foundation

/// How long each customer stayed after a cutoff, by the labels' definition
/// of churn: the days until they churned, or — still active when the data
/// ends — the days they were followed (censored). What a survival model is
/// fitted on; the features come from the same cutoff.
///
/// - `event(name)`: churn is the first such event after the cutoff.
/// - `inactivity` with horizon H: churn is the first silence longer than H
///   from the last activity at or before the cutoff on, dated when the
///   silence reaches H (the first day it is known). A customer who comes
///   back later stays churned from then. A customer counts as churned
///   within H exactly when the label says so, unless they went silent for H
///   and came back within the label's window.
///
/// On a log of dates only, days are whole (rounded up): an event dated the
/// day after the cutoff is one day later.
public struct ChurnTimes: Sendable {
  public struct FollowUp: Sendable, Equatable {
    /// Days from the cutoff to churn, or to the end of the data.
    public let days: Double
    public let churned: Bool
  }

  public let cutoff: Cutoff
  /// Until when the data was taken to be complete.
  public let observedUntil: Cutoff
  private let byCustomer: [String: FollowUp]

  /// The follow-up of a customer who had activity (or, with a churn event,
  /// any event) at or before the cutoff and had not churned by then; nil
  /// for anyone else.
  public func followUp(of customerID: String) -> FollowUp? { byCustomer[customerID] }

  /// Reads `path` (a second pass, after the features).
  ///
  /// - Throws: `IngestError` when the log cannot be read,
  ///   `FeatureError.observedBeforeLastEvent` for an `observedUntil`
  ///   before the last event.
  ///
  /// `censoredAt` ends every follow-up there, the events after it unseen
  /// (a point-in-time fit that may not look past an instant); it replaces
  /// `observedUntil`.
  public init(
    path: String, schema: EventSchema, cutoff: Cutoff, horizon: Duration, definition: ChurnDefinition,
    countsAsActivity: (String) -> Bool, observedUntil: Cutoff?, censoredAt: Cutoff? = nil, issues: inout IssueLog
  ) throws {
    var reader = try EventLogReader(path: path, schema: schema)
    var timelines = Timelines(cutoff: cutoff.micros)
    var isActivity: [Bool] = []
    var isChurnEvent: [Bool] = []
    var extent = DataExtent()
    var batch = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      let types = reader.eventTypes
      while isActivity.count < types.count {
        let name = types.string(Int32(isActivity.count))
        isActivity.append(countsAsActivity(name))
        if case .event(let churnName) = definition {
          isChurnEvent.append(name == churnName)
        } else {
          isChurnEvent.append(false)
        }
      }
      timelines.grow(to: reader.customerCount)
      for i in 0..<batch.count {
        if let censoredAt, batch.time[i] > censoredAt.micros { continue }
        extent.add(batch.time[i])
        let e = Int(batch.event[i])
        timelines.add(
          customer: Int(batch.customer[i]), time: batch.time[i], activity: isActivity[e], churn: isChurnEvent[e])
      }
    }
    guard let end = censoredAt?.micros ?? extent.observedEnd(given: observedUntil?.micros) else {
      throw FeatureError.observedBeforeLastEvent(
        observedUntil: observedUntil!.description, lastEvent: formatISO8601(extent.last))
    }
    self.cutoff = cutoff
    self.observedUntil = Cutoff(micros: end)
    let days = { (t: Int64) -> Double in
      let d = Double(t - cutoff.micros) / Double(microsPerDay)
      return extent.datesOnly ? d.rounded(.up) : d
    }
    var byCustomer: [String: FollowUp] = [:]
    for k in 0..<timelines.count {
      let outcome: (time: Int64, churned: Bool)?
      switch definition {
      case .event: outcome = timelines.churnEventOutcome(k, end: end)
      case .inactivity: outcome = timelines.inactivityOutcome(k, horizon: horizon.micros, end: end)
      }
      guard let outcome else { continue }
      byCustomer[reader.customers.string(Int32(k))] = FollowUp(days: days(outcome.time), churned: outcome.churned)
    }
    self.byCustomer = byCustomer
  }
}

/// Per customer, what their churn time needs: the last activity at or
/// before the cutoff, the activity after it, the first churn event after
/// it, and whether a churn event came at or before it.
private struct Timelines {
  let cutoff: Int64
  var lastActivityBefore: [Int64] = []
  var activityAfter: [[Int64]] = []
  var firstChurnAfter: [Int64] = []
  var churnedBefore: [Bool] = []
  var seenBefore: [Bool] = []

  init(cutoff: Int64) { self.cutoff = cutoff }

  var count: Int { lastActivityBefore.count }

  mutating func grow(to customers: Int) {
    let more = customers - count
    guard more > 0 else { return }
    lastActivityBefore += repeatElement(.min, count: more)
    activityAfter += repeatElement([], count: more)
    firstChurnAfter += repeatElement(.max, count: more)
    churnedBefore += repeatElement(false, count: more)
    seenBefore += repeatElement(false, count: more)
  }

  mutating func add(customer k: Int, time t: Int64, activity: Bool, churn: Bool) {
    if t <= cutoff {
      seenBefore[k] = true
      if churn { churnedBefore[k] = true }
      if activity && t > lastActivityBefore[k] { lastActivityBefore[k] = t }
    } else {
      if churn && t < firstChurnAfter[k] { firstChurnAfter[k] = t }
      if activity { activityAfter[k].append(t) }
    }
  }

  func churnEventOutcome(_ k: Int, end: Int64) -> (time: Int64, churned: Bool)? {
    guard seenBefore[k], !churnedBefore[k] else { return nil }
    return firstChurnAfter[k] <= end ? (firstChurnAfter[k], true) : (end, false)
  }

  func inactivityOutcome(_ k: Int, horizon: Int64, end: Int64) -> (time: Int64, churned: Bool)? {
    var last = lastActivityBefore[k]
    // Silent for the horizon by the cutoff: already churned.
    guard last != .min, last + horizon > cutoff else { return nil }
    for next in activityAfter[k].sorted() {
      if next - last > horizon { return (last + horizon, true) }
      last = next
    }
    return end - last >= horizon ? (last + horizon, true) : (end, false)
  }
}
