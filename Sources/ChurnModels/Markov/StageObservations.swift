import ChurnData
import ChurnIO

/// Every event of a log that tells a customer's stage, grouped by customer
/// in time order: what the stage model is fitted on (once for all customers
/// and again for each segment).
struct StageObservations {
  var customer: [Int32] = []
  var time: [Int64] = []
  /// Index into the stage list; the last stage is `churned`.
  var stage: [Int8] = []
  /// Touchpoint id: an (event type, channel) pair, see `touchKeys`.
  var touch: [Int32] = []
  var sentiment: [Double] = []
  var touchKeys: [(event: Int32, channel: Int32)] = []
  /// Observation indexes ordered by (customer, time, stage).
  var order: [Int] = []
  /// Each customer's run of `order`.
  var customerRuns: [Range<Int>] = []
  /// The latest event time in the log (any event, staged or not).
  var dataEnd = Int64.min
  var eventNames = Interner()
  var channelNames = Interner()
  var customerNames = Interner()

  /// Reads the log. Stages come from the stage column, or, with a
  /// `mapping`, from the event types; an event of type `churnEvent` is an
  /// observation of `churned`. With `through`, later events are left out
  /// and the data ends at that instant; else it ends at `observedUntil`, or
  /// by `DataExtent`'s rule (a date-only log ends with its last day).
  init(
    reader: inout EventLogReader, issues: inout IssueLog, stages: [String], churnEvent: String?, mapping: StageMapping?,
    through: Int64? = nil, observedUntil: Cutoff? = nil
  ) throws {
    var extent = DataExtent()
    let churned = stages.count - 1
    var stageOfID: [Int] = []
    var mappedStage: [Int] = []  // by event type id: stage index, −1 unmapped
    var repeatStage: [Int] = []
    var churnTypeID: Int32 = -1
    // (event, channel) → touchpoint id: a flat table for the usual small
    // vocabularies (one load per event), a dictionary beyond them, so that
    // memory grows with the pairs that occur, not with types × channels.
    var touchTable = [Int32](repeating: -1, count: 256 * 64)
    var touchIndex: [Int64: Int32] = [:]
    var batch = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      while stageOfID.count < reader.stages.count {
        stageOfID.append(stages.firstIndex(of: reader.stages.string(Int32(stageOfID.count))) ?? -1)
      }
      if let mapping {
        while mappedStage.count < reader.eventTypes.count {
          let name = reader.eventTypes.string(Int32(mappedStage.count))
          mappedStage.append(mapping.stages[name].flatMap { stages.firstIndex(of: $0) } ?? -1)
          repeatStage.append(mapping.repeatStages[name].flatMap { stages.firstIndex(of: $0) } ?? -1)
        }
      }
      if churnTypeID < 0, let name = churnEvent { churnTypeID = reader.eventTypes.lookup(name) ?? -1 }
      for i in 0..<batch.count {
        if let through, batch.time[i] > through { continue }
        extent.add(batch.time[i])
        let event = batch.event[i]
        var s: Int
        if mapping != nil {
          // Unmapped types are kept (as −1) and take the customer's stage
          // once the log is in time order.
          s = event >= 0 ? mappedStage[Int(event)] : -1
        } else {
          s = batch.stage[i] >= 0 ? stageOfID[Int(batch.stage[i])] : -1
        }
        if event == churnTypeID && event >= 0 { s = churned }
        guard s >= 0 || mapping != nil else { continue }
        let e = Int(event) + 1, c = Int(batch.channel[i]) + 1  // missing (−1) → 0
        var id: Int32
        if e < 256 && c < 64 {
          id = touchTable[e * 64 + c]
          if id < 0 {
            id = Int32(touchKeys.count)
            touchTable[e * 64 + c] = id
            touchKeys.append((event, batch.channel[i]))
          }
        } else {
          let key = Int64(event) << 32 | Int64(UInt32(bitPattern: batch.channel[i]))
          id = touchIndex[key, default: Int32(touchKeys.count)]
          if id == touchKeys.count {
            touchIndex[key] = id
            touchKeys.append((event, batch.channel[i]))
          }
        }
        touch.append(id)
        customer.append(batch.customer[i])
        time.append(batch.time[i])
        stage.append(Int8(s))
        sentiment.append(batch.sentiment[i])
      }
    }
    if let through {
      dataEnd = through
    } else if !extent.isEmpty {
      guard let end = extent.observedEnd(given: observedUntil?.micros) else {
        throw FeatureError.observedBeforeLastEvent(
          observedUntil: observedUntil!.description, lastEvent: formatISO8601(extent.last))
      }
      dataEnd = end
    }
    eventNames = reader.eventTypes
    channelNames = reader.channels
    customerNames = reader.customers
    order = Self.customerTimeOrder(customer: customer, time: time, stage: stage)
    if let mapping {
      applyProgression(mapping.progression, repeatStage: repeatStage, churned: churned)
    }
    var start = 0
    while start < order.count {
      var end = start + 1
      while end < order.count && customer[order[end]] == customer[order[start]] { end += 1 }
      customerRuns.append(start..<end)
      start = end
    }
  }

  /// Gives each mapped customer's observations their stage in time order:
  /// repeat events their repeat stage, then the furthest stage so far (or
  /// the latest), unmapped events the current stage. Observations before
  /// any stage is known are dropped.
  private mutating func applyProgression(_ progression: StageMapping.Progression, repeatStage: [Int], churned: Int) {
    var kept: [Int] = []
    kept.reserveCapacity(order.count)
    var start = 0
    var seen: Set<Int32> = []
    while start < order.count {
      var end = start + 1
      while end < order.count && customer[order[end]] == customer[order[start]] { end += 1 }
      var current = -1
      seen.removeAll(keepingCapacity: true)
      for k in start..<end {
        let i = order[k]
        let event = touchKeys[Int(touch[i])].event
        var s = Int(stage[i])
        if s != churned, event >= 0, Int(event) < repeatStage.count, repeatStage[Int(event)] >= 0,
          !seen.insert(event).inserted
        {
          s = repeatStage[Int(event)]
        }
        if s == churned {
          current = churned
        } else if s >= 0 {
          current = progression == .milestones ? max(current, s) : s
        }
        guard current >= 0 else { continue }
        stage[i] = Int8(current)
        kept.append(i)
      }
      start = end
    }
    order = kept
  }

  /// Indexes of the observations ordered by (customer, time, stage): a
  /// counting sort by customer (ids are dense), then each customer's few
  /// observations sorted only when the log did not already have them in order.
  static func customerTimeOrder(customer: [Int32], time: [Int64], stage: [Int8]) -> [Int] {
    let customers = Int(customer.max() ?? -1) + 1
    var start = [Int](repeating: 0, count: customers + 1)
    for c in customer { start[Int(c) + 1] += 1 }
    for c in 0..<customers { start[c + 1] += start[c] }
    var next = start
    var order = [Int](repeating: 0, count: customer.count)
    for (i, c) in customer.enumerated() {
      order[next[Int(c)]] = i
      next[Int(c)] += 1
    }
    func before(_ a: Int, _ b: Int) -> Bool { (time[a], stage[a]) < (time[b], stage[b]) }
    for c in 0..<customers {
      let range = start[c]..<start[c + 1]
      guard range.count > 1 else { continue }
      var sorted = true
      for k in range.dropFirst() where before(order[k], order[k - 1]) {
        sorted = false
        break
      }
      if !sorted { order[range].sort(by: before) }
    }
    return order
  }
}
