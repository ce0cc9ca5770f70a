import ChurnData
import ChurnIO
import ChurnModels

/// Who received which action when, and what counts as their churn: one
/// pass over the event log, the ground the uplift rows are built on.
///
/// ```swift
/// let history = try TreatmentHistory(
///   path: "events.csv", schema: EventSchema(), actions: ["offer"], churn: .event("cancel"), spec: FeatureSpec())
/// history.treatments[customer]  // (time, action index), in time order
/// history.churned(customer, from: start, horizon: 90 * microsPerDay)  // nil: already churned at start
/// ```
struct TreatmentHistory {
  /// Per customer id (the reader's dense ids): treatments in time order.
  let treatments: [[(time: Int64, action: Int)]]
  /// Per customer: the first churn event (`.max`: none, and always with
  /// `--churn-definition inactivity`).
  let churnTime: [Int64]
  /// Every customer's activity times, one after another (customer c's are
  /// `activityTimes[activityStart[c]..<activityStart[c + 1]]`): one array
  /// instead of one per customer, which on a large log is half the memory.
  private let activityTimes: [Int64]
  private let activityStart: [Int]
  let definition: ChurnDefinition
  let dataStart: Int64
  let dataEnd: Int64
  /// Customer ids, to find a feature row's customer.
  let customers: Interner
  /// How many event types and channels the log names (to size later passes).
  let eventTypeCount: Int
  let channelCount: Int

  /// - Throws: when no event is one of `actions` (nothing to learn from).
  init(
    path: String, schema: EventSchema, actions: [String], churn definition: ChurnDefinition, spec: FeatureSpec
  ) throws {
    var reader = try EventLogReader(path: path, schema: schema)
    var issues = IssueLog(limit: 0)  // the churn model's pass reported them
    var treatments: [[(time: Int64, action: Int)]] = []
    var churnTime: [Int64] = []
    var activityTimes: [[Int64]] = []
    var dataStart = Int64.max, dataEnd = Int64.min
    var actionOfType: [Int] = []
    var isActivityType: [Bool] = []
    var churnType: Int32 = -1
    var batch = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      while actionOfType.count < reader.eventTypes.count {
        let name = reader.eventTypes.string(Int32(actionOfType.count))
        actionOfType.append(actions.firstIndex(of: name) ?? -1)
        isActivityType.append(spec.countsAsActivity(name))
        if case .event(name) = definition { churnType = Int32(actionOfType.count - 1) }
      }
      let customers = reader.customerCount
      if treatments.count < customers {
        treatments += Array(repeating: [], count: customers - treatments.count)
        churnTime += Array(repeating: .max, count: customers - churnTime.count)
        activityTimes += Array(repeating: [], count: customers - activityTimes.count)
      }
      for i in 0..<batch.count {
        let t = batch.time[i], c = Int(batch.customer[i]), e = batch.event[i]
        dataStart = min(dataStart, t)
        dataEnd = max(dataEnd, t)
        guard e >= 0 else { continue }
        if e == churnType { churnTime[c] = min(churnTime[c], t) }
        if isActivityType[Int(e)] { activityTimes[c].append(t) }
        let a = actionOfType[Int(e)]
        if a >= 0 { treatments[c].append((t, a)) }
      }
    }
    for c in treatments.indices where treatments[c].count > 1 {
      treatments[c].sort { ($0.time, $0.action) < ($1.time, $1.action) }
    }
    for c in activityTimes.indices { activityTimes[c].sort() }
    guard treatments.contains(where: { !$0.isEmpty }) else {
      throw UpliftError.noTreatment(path: path, actions: actions)
    }
    self.treatments = treatments
    self.churnTime = churnTime
    var start = [0]
    start.reserveCapacity(activityTimes.count + 1)
    for times in activityTimes { start.append(start.last! + times.count) }
    self.activityStart = start
    self.activityTimes = activityTimes.flatMap { $0 }
    self.definition = definition
    self.dataStart = dataStart
    self.dataEnd = dataEnd
    self.customers = reader.customers
    eventTypeCount = reader.eventTypes.count
    channelCount = reader.channels.count
  }

  /// Customer `c`'s activity times (`FeatureSpec.activityEvents`: by
  /// default every event but an action), in order.
  func activity(_ c: Int) -> ArraySlice<Int64> {
    activityTimes[activityStart[c]..<activityStart[c + 1]]
  }

  /// How many customers the log holds.
  var customerCount: Int { activityStart.count - 1 }

  /// Whether customer `c` churned within `horizon` microseconds after
  /// `start`, as the churn model's labels define it (a churn event in
  /// (start, start + horizon], or no activity in it); nil when they had
  /// already churned at `start` (a churn event by then, or no activity in
  /// (start − horizon, start]).
  func churned(_ c: Int, from start: Int64, horizon: Int64) -> Bool? {
    switch definition {
    case .event:
      guard churnTime[c] > start else { return nil }
      return churnTime[c] <= start + horizon
    case .inactivity:
      return ChurnDefinition.inactivityOutcome(activity: activity(c), from: start, horizon: horizon)
    }
  }

  /// Whether customer `c` did anything of their own in (start, start +
  /// horizon]: an activity event or their churn event.
  func showsActivity(_ c: Int, after start: Int64, within horizon: Int64) -> Bool {
    (churnTime[c] > start && churnTime[c] <= start + horizon)
      || ChurnDefinition.hasActivity(activity(c), after: start, within: horizon)
  }
}
