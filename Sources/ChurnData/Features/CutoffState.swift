import ChurnIO

/// Everything `FeatureExtractor` keeps about each customer for one cutoff T:
/// constant-size accumulators, updated by each event in any order, so
/// memory grows with customers, never with events.
///
/// Events at or before T update the feature state; events in (T, T + H]
/// update only the label state. Nothing after T can reach a feature.
///
/// Each customer's state is two contiguous records — 64-bit words (times,
/// sums, bit sets) and 32-bit counts — so an event touches a few cache
/// lines rather than one per accumulator.
struct CutoffState: Sendable {
  let cutoff: Int64
  let horizonEnd: Int64
  private let windows: [Int64]
  private let trendWindow: Int64
  private let sentimentWindows: [Int64]
  private(set) var layout: CutoffLayout
  /// `wide[k * layout.wideStride + offset]`.
  private(set) var wide: [Int64] = []
  /// `narrow[k * layout.narrowStride + offset]`.
  private(set) var narrow: [Int32] = []
  private(set) var customers = 0

  static let activeDayWords = 6  // 384 bits ≥ 365 days

  /// Customers to make room for at the first `ensure` (0: grow by doubling).
  private let reservedCustomers: Int

  /// `reserve`: the log's customers and vocabulary slots when known (a
  /// later pass over the same log), so that the records are allocated once
  /// at their final size instead of grown and copied.
  init(
    cutoff: Int64, horizon: Duration, spec: FeatureSpec, stageCount: Int,
    reserve: (customers: Int, types: Int, channels: Int)? = nil
  ) {
    reservedCustomers = reserve?.customers ?? 0
    self.cutoff = cutoff
    horizonEnd = cutoff + horizon.micros
    windows = spec.windows.map { Int64($0) * microsPerDay }
    trendWindow = Int64(spec.trendWindow) * microsPerDay
    sentimentWindows = spec.sentimentWindows.map { Int64($0) * microsPerDay }
    layout = CutoffLayout(
      windows: spec.windows.count, sentimentWindows: spec.sentimentWindows.count, stages: stageCount,
      types: max(8, reserve?.types ?? 0), channels: max(4, reserve?.channels ?? 0))
  }

  /// Makes room for customers `0..<customers`, event types `0..<types` and
  /// channels `0..<channels`.
  mutating func ensure(customers count: Int, types: Int, channels: Int) {
    if types > layout.types || channels > layout.channels {
      let grown = CutoffLayout(
        windows: layout.windows, sentimentWindows: layout.sentimentWindows, stages: layout.stages,
        types: max(types, layout.types * 2), channels: max(channels, layout.channels * 2))
      relayout(to: grown)
    }
    if count > customers {
      let n = max(count, customers * 2, 1024, reservedCustomers)
      let wideRecord = layout.wideTemplate
      let narrowRecord = layout.narrowTemplate
      wide.reserveCapacity(n * layout.wideStride)
      narrow.reserveCapacity(n * layout.narrowStride)
      for _ in customers..<n {
        wide.append(contentsOf: wideRecord)
        narrow.append(contentsOf: narrowRecord)
      }
      customers = n
    }
  }

  /// Moves every record to a layout with more room for types or channels.
  private mutating func relayout(to new: CutoffLayout) {
    let old = layout
    var newWide = [Int64]()
    var newNarrow = [Int32]()
    newWide.reserveCapacity(customers * new.wideStride)
    newNarrow.reserveCapacity(customers * new.narrowStride)
    for k in 0..<customers {
      let w = k * old.wideStride
      newWide.append(contentsOf: wide[w..<(w + old.wideStride)])  // type times are last
      newWide.append(contentsOf: repeatElement(Int64.min, count: new.types - old.types))
      let n = k * old.narrowStride
      newNarrow.append(contentsOf: narrow[n..<(n + old.channelCount)])
      newNarrow.append(contentsOf: narrow[(n + old.channelCount)..<(n + old.channelCount + old.channels)])
      newNarrow.append(contentsOf: repeatElement(0, count: new.channels - old.channels))
      newNarrow.append(contentsOf: narrow[(n + old.typeTotal)..<(n + old.typeTotal + old.types)])
      newNarrow.append(contentsOf: repeatElement(0, count: new.types - old.types))
      for e in 0..<new.types {
        for j in 0..<old.windows {
          newNarrow.append(e < old.types ? narrow[n + old.typeCount + e * old.windows + j] : 0)
        }
      }
    }
    wide = newWide
    narrow = newNarrow
    layout = new
  }

  /// What an event means to the labels.
  struct EventRole {
    var isChurnEvent: Bool
    var isActivity: Bool
  }

  static let churnBeforeFlag: Int32 = 1
  static let churnAfterFlag: Int32 = 2
  static let activityAfterFlag: Int32 = 4

  /// Adds one event. `stage` is the spec index of its stage (−1 if none or
  /// not in the spec), `channel` −1 when missing, amount/sentiment NaN when missing.
  @inline(__always)
  mutating func add(
    customer k: Int, time t: Int64, type e: Int, channel: Int, stage: Int, amount: Double,
    sentiment: Double, role: EventRole
  ) {
    let L = layout
    let n = k * L.narrowStride
    if t > cutoff {
      if t <= horizonEnd {
        if role.isChurnEvent { narrow[n + L.flags] |= CutoffState.churnAfterFlag }
        if role.isActivity { narrow[n + L.flags] |= CutoffState.activityAfterFlag }
      }
      return
    }
    let w0 = k * L.wideStride
    if role.isChurnEvent { narrow[n + L.flags] |= CutoffState.churnBeforeFlag }
    if role.isActivity && t > wide[w0 + L.lastActivity] { wide[w0 + L.lastActivity] = t }
    if t < wide[w0 + L.first] { wide[w0 + L.first] = t }
    if t > wide[w0 + L.last] { wide[w0 + L.last] = t }
    let age = cutoff - t  // ≥ 0
    let w = L.windows
    narrow[n + L.typeTotal + e] += 1
    if t > wide[w0 + L.typeLast + e] { wide[w0 + L.typeLast + e] = t }
    let hasAmount = !amount.isNaN
    for j in 0..<w where age < windows[j] {
      narrow[n + L.countAll + j] += 1
      narrow[n + L.typeCount + e * w + j] += 1
      if hasAmount {
        CutoffState.addDouble(&wide[w0 + L.amountSum + j], amount)
        narrow[n + L.amountCount + j] += 1
      }
    }
    if age < 2 * trendWindow {
      let half = age < trendWindow ? 0 : 1
      narrow[n + L.trendCount + half] += 1
      if hasAmount { CutoffState.addDouble(&wide[w0 + L.trendAmount + half], amount) }
    }
    if channel >= 0 { narrow[n + L.channelCount + channel] += 1 }
    if stage >= 0 {
      if t > wide[w0 + L.stageLatest + stage] { wide[w0 + L.stageLatest + stage] = t }
      if t < wide[w0 + L.stageEarliest + stage] { wide[w0 + L.stageEarliest + stage] = t }
    }
    if !sentiment.isNaN {
      for j in 0..<sentimentWindows.count where age < sentimentWindows[j] {
        CutoffState.addDouble(&wide[w0 + L.sentimentSum + j], sentiment)
        narrow[n + L.sentimentCount + j] += 1
        if sentiment < Double(bitPattern: UInt64(bitPattern: wide[w0 + L.sentimentMin + j])) {
          wide[w0 + L.sentimentMin + j] = Int64(bitPattern: sentiment.bitPattern)
        }
        if sentiment < 0 { narrow[n + L.sentimentNegative + j] += 1 }
      }
      // Latest sentiment; at equal times the lowest, so order never matters.
      let lastTime = wide[w0 + L.sentimentLastTime]
      let lastValue = Double(bitPattern: UInt64(bitPattern: wide[w0 + L.sentimentLast]))
      if t > lastTime || (t == lastTime && sentiment < lastValue) {
        wide[w0 + L.sentimentLastTime] = t
        wide[w0 + L.sentimentLast] = Int64(bitPattern: sentiment.bitPattern)
      }
    }
    let day = age / microsPerDay
    if day < 365 { wide[w0 + L.activeDays + Int(day >> 6)] |= Int64(bitPattern: 1 << UInt64(day & 63)) }
  }

  /// Loads the first words of a customer's records and returns them.
  /// Called for a block of events before adding them, so that the records'
  /// cache misses overlap instead of coming one at a time.
  @inline(__always)
  func touch(customer k: Int) -> Int64 {
    wide[k * layout.wideStride] &+ Int64(narrow[k * layout.narrowStride])
  }

  @inline(__always)
  private static func addDouble(_ word: inout Int64, _ x: Double) {
    word = Int64(bitPattern: (Double(bitPattern: UInt64(bitPattern: word)) + x).bitPattern)
  }

  // MARK: - Reading (for FeatureSet)

  /// Adds, per event-type slot and per channel slot, the customers with an
  /// event in it at or before the cutoff.
  func countCustomers(perType types: inout [Int], perChannel channels: inout [Int]) {
    let L = layout
    for k in 0..<customers {
      let n = k * L.narrowStride
      for e in 0..<min(types.count, L.types) where narrow[n + L.typeTotal + e] > 0 { types[e] += 1 }
      for c in 0..<min(channels.count, L.channels) where narrow[n + L.channelCount + c] > 0 { channels[c] += 1 }
    }
  }

  @inline(__always) func time(_ k: Int, _ offset: Int) -> Int64 { wide[k * layout.wideStride + offset] }
  @inline(__always) func double(_ k: Int, _ offset: Int) -> Double {
    Double(bitPattern: UInt64(bitPattern: wide[k * layout.wideStride + offset]))
  }
  @inline(__always) func bits(_ k: Int, _ offset: Int) -> UInt64 {
    UInt64(bitPattern: wide[k * layout.wideStride + offset])
  }
  @inline(__always) func count(_ k: Int, _ offset: Int) -> Int32 { narrow[k * layout.narrowStride + offset] }
  @inline(__always) func flag(_ k: Int, _ flag: Int32) -> Bool {
    narrow[k * layout.narrowStride + layout.flags] & flag != 0
  }
}

/// Where each accumulator sits in a customer's two records.
struct CutoffLayout: Sendable {
  let windows: Int
  let sentimentWindows: Int
  let stages: Int
  let types: Int
  let channels: Int

  // 64-bit record.
  let first = 0, last = 1, lastActivity = 2, sentimentLastTime = 3, sentimentLast = 4
  var amountSum: Int { 5 }
  var trendAmount: Int { amountSum + windows }
  var activeDays: Int { trendAmount + 2 }
  var stageLatest: Int { activeDays + CutoffState.activeDayWords }
  var stageEarliest: Int { stageLatest + stages }
  var sentimentSum: Int { stageEarliest + stages }
  var sentimentMin: Int { sentimentSum + sentimentWindows }
  var typeLast: Int { sentimentMin + sentimentWindows }
  var wideStride: Int { typeLast + types }

  // 32-bit record.
  let flags = 0
  var countAll: Int { 1 }
  var amountCount: Int { countAll + windows }
  var trendCount: Int { amountCount + windows }
  var sentimentCount: Int { trendCount + 2 }
  var sentimentNegative: Int { sentimentCount + sentimentWindows }
  var channelCount: Int { sentimentNegative + sentimentWindows }
  var typeTotal: Int { channelCount + channels }
  var typeCount: Int { typeTotal + types }
  var narrowStride: Int { typeCount + types * windows }

  init(windows: Int, sentimentWindows: Int, stages: Int, types: Int, channels: Int) {
    self.windows = windows
    self.sentimentWindows = sentimentWindows
    self.stages = max(stages, 1)
    self.types = types
    self.channels = channels
  }

  /// A new customer's 64-bit record: no events yet.
  var wideTemplate: [Int64] {
    var r = [Int64](repeating: 0, count: wideStride)
    r[first] = .max
    r[last] = .min
    r[lastActivity] = .min
    r[sentimentLastTime] = .min
    r[sentimentLast] = Int64(bitPattern: Double.nan.bitPattern)
    for s in 0..<stages {
      r[stageLatest + s] = .min
      r[stageEarliest + s] = .max
    }
    for j in 0..<sentimentWindows { r[sentimentMin + j] = Int64(bitPattern: Double.infinity.bitPattern) }
    for e in 0..<types { r[typeLast + e] = .min }
    return r
  }

  var narrowTemplate: [Int32] { [Int32](repeating: 0, count: narrowStride) }
}
