/// Who received which action when, and when each customer churned: one pass
/// over the event log, the ground the uplift rows are built on.
///
/// ```swift
/// let history = try TreatmentHistory(path: "events.csv", schema: EventSchema(), actions: ["offer"], churnEvent: "cancel")
/// history.treatments[customer]  // (time, action index), in time order
/// ```
struct TreatmentHistory {
  /// Per customer id (the reader's dense ids): treatments in time order.
  let treatments: [[(time: Int64, action: Int)]]
  /// Per customer: the first churn event (`.max`: none).
  let churnTime: [Int64]
  let dataStart: Int64
  let dataEnd: Int64
  /// Customer ids, to find a feature row's customer.
  let customers: Interner

  /// - Throws: when no event is one of `actions` (nothing to learn from).
  init(path: String, schema: EventSchema, actions: [String], churnEvent: String) throws {
    var reader = try EventLogReader(path: path, schema: schema)
    var issues = IssueLog(limit: 0)  // the churn model's pass reported them
    var treatments: [[(time: Int64, action: Int)]] = []
    var churnTime: [Int64] = []
    var dataStart = Int64.max, dataEnd = Int64.min
    var actionOfType: [Int] = []
    var churnType: Int32 = -1
    var batch = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      while actionOfType.count < reader.eventTypes.count {
        let name = reader.eventTypes.string(Int32(actionOfType.count))
        actionOfType.append(actions.firstIndex(of: name) ?? -1)
        if name == churnEvent { churnType = Int32(actionOfType.count - 1) }
      }
      let customers = reader.customerCount
      if treatments.count < customers {
        treatments += Array(repeating: [], count: customers - treatments.count)
        churnTime += Array(repeating: .max, count: customers - churnTime.count)
      }
      for i in 0..<batch.count {
        let t = batch.time[i], c = Int(batch.customer[i]), e = batch.event[i]
        dataStart = min(dataStart, t)
        dataEnd = max(dataEnd, t)
        guard e >= 0 else { continue }
        if e == churnType { churnTime[c] = min(churnTime[c], t) }
        let a = actionOfType[Int(e)]
        if a >= 0 { treatments[c].append((t, a)) }
      }
    }
    for c in treatments.indices where treatments[c].count > 1 {
      treatments[c].sort { ($0.time, $0.action) < ($1.time, $1.action) }
    }
    guard treatments.contains(where: { !$0.isEmpty }) else {
      throw ModelError.invalidOption(
        "\(path) has no treatment: no event type is one of the catalog's actions (\(actions.joined(separator: ", ")))")
    }
    self.treatments = treatments
    self.churnTime = churnTime
    self.dataStart = dataStart
    self.dataEnd = dataEnd
    self.customers = reader.customers
  }
}
