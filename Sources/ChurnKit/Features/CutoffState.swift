/// Everything `FeatureExtractor` keeps about each customer for one cutoff T:
/// constant-size accumulators, updated by each event in any order, so
/// memory grows with customers, never with events.
///
/// Events at or before T update the feature state; events in (T, T + H]
/// update only the label state. Nothing after T can reach a feature.
struct CutoffState: Sendable {
  let cutoff: Int64
  let horizonEnd: Int64
  /// Window lengths in microseconds.
  private let windows: [Int64]
  private let trendWindow: Int64
  private let sentimentWindows: [Int64]

  // Feature state.
  var first: [Int64] = []
  var last: [Int64] = []
  var countAll: PerCustomerArray<Int32>
  var amountSum: PerCustomerArray<Double>
  var amountCount: PerCustomerArray<Int32>
  /// Per event type: count in each window (type × window), total, last time.
  var typeCount: PerCustomerArray<Int32>
  var typeTotal: PerCustomerArray<Int32>
  var typeLast: PerCustomerArray<Int64>
  /// Trend: [recent, previous] counts and amounts.
  var trendCount: PerCustomerArray<Int32>
  var trendAmount: PerCustomerArray<Double>
  var channelCount: PerCustomerArray<Int32>
  /// Per stage (spec order): latest and earliest time seen in it.
  var stageLatest: PerCustomerArray<Int64>
  var stageEarliest: PerCustomerArray<Int64>
  /// Per sentiment window: sum, count, minimum, negatives.
  var sentimentSum: PerCustomerArray<Double>
  var sentimentCount: PerCustomerArray<Int32>
  var sentimentMin: PerCustomerArray<Double>
  var sentimentNegative: PerCustomerArray<Int32>
  var sentimentLastTime: [Int64] = []
  var sentimentLast: [Double] = []
  /// Days with any event in the last 365, as bits (bit d: the day d days before T).
  var activeDays: PerCustomerArray<UInt64>

  // Label state.
  var churnEventBefore: [Bool] = []
  var churnEventAfter: [Bool] = []
  var lastActivityBefore: [Int64] = []
  var activityAfter: [Bool] = []

  static let activeDayWords = 6  // 384 bits ≥ 365 days

  init(cutoff: Int64, horizon: Duration, spec: FeatureSpec, stageCount: Int) {
    self.cutoff = cutoff
    horizonEnd = cutoff + horizon.micros
    windows = spec.windows.map { Int64($0) * microsPerDay }
    trendWindow = Int64(spec.trendWindow) * microsPerDay
    sentimentWindows = spec.sentimentWindows.map { Int64($0) * microsPerDay }
    let w = spec.windows.count
    let sw = spec.sentimentWindows.count
    countAll = PerCustomerArray(columns: w, initial: 0)
    amountSum = PerCustomerArray(columns: w, initial: 0)
    amountCount = PerCustomerArray(columns: w, initial: 0)
    typeCount = PerCustomerArray(columns: 8 * w, initial: 0)
    typeTotal = PerCustomerArray(columns: 8, initial: 0)
    typeLast = PerCustomerArray(columns: 8, initial: .min)
    trendCount = PerCustomerArray(columns: 2, initial: 0)
    trendAmount = PerCustomerArray(columns: 2, initial: 0)
    channelCount = PerCustomerArray(columns: 4, initial: 0)
    stageLatest = PerCustomerArray(columns: max(stageCount, 1), initial: .min)
    stageEarliest = PerCustomerArray(columns: max(stageCount, 1), initial: .max)
    sentimentSum = PerCustomerArray(columns: sw, initial: 0)
    sentimentCount = PerCustomerArray(columns: sw, initial: 0)
    sentimentMin = PerCustomerArray(columns: sw, initial: .infinity)
    sentimentNegative = PerCustomerArray(columns: sw, initial: 0)
    activeDays = PerCustomerArray(columns: CutoffState.activeDayWords, initial: 0)
  }

  /// Makes room for customers `0..<customers`, event types `0..<types` and
  /// channels `0..<channels`.
  mutating func ensure(customers: Int, types: Int, channels: Int) {
    if customers > first.count {
      let n = max(customers, first.count * 2, 1024)
      let extra = n - first.count
      first.append(contentsOf: repeatElement(.max, count: extra))
      last.append(contentsOf: repeatElement(.min, count: extra))
      sentimentLastTime.append(contentsOf: repeatElement(.min, count: extra))
      sentimentLast.append(contentsOf: repeatElement(.nan, count: extra))
      churnEventBefore.append(contentsOf: repeatElement(false, count: extra))
      churnEventAfter.append(contentsOf: repeatElement(false, count: extra))
      lastActivityBefore.append(contentsOf: repeatElement(.min, count: extra))
      activityAfter.append(contentsOf: repeatElement(false, count: extra))
      countAll.ensure(rows: n)
      amountSum.ensure(rows: n)
      amountCount.ensure(rows: n)
      typeCount.ensure(rows: n)
      typeTotal.ensure(rows: n)
      typeLast.ensure(rows: n)
      trendCount.ensure(rows: n)
      trendAmount.ensure(rows: n)
      channelCount.ensure(rows: n)
      stageLatest.ensure(rows: n)
      stageEarliest.ensure(rows: n)
      sentimentSum.ensure(rows: n)
      sentimentCount.ensure(rows: n)
      sentimentMin.ensure(rows: n)
      sentimentNegative.ensure(rows: n)
      activeDays.ensure(rows: n)
    }
    if types > typeTotal.columns {
      typeTotal.ensure(columns: types)
      typeLast.ensure(columns: typeTotal.columns)
      typeCount.ensure(columns: typeTotal.columns * windows.count)
    }
    if channels > channelCount.columns { channelCount.ensure(columns: channels) }
  }

  /// What an event means to the labels.
  struct EventRole {
    var isChurnEvent: Bool
    var isActivity: Bool
  }

  /// Adds one event. `stage` is the spec index of its stage (−1 if none or
  /// not in the spec), `channel` −1 when missing, amount/sentiment NaN when missing.
  @inline(__always)
  mutating func add(
    customer k: Int, time t: Int64, type e: Int, channel: Int, stage: Int, amount: Double,
    sentiment: Double, role: EventRole
  ) {
    if t > cutoff {
      if t <= horizonEnd {
        if role.isChurnEvent { churnEventAfter[k] = true }
        if role.isActivity { activityAfter[k] = true }
      }
      return
    }
    if role.isChurnEvent { churnEventBefore[k] = true }
    if role.isActivity && t > lastActivityBefore[k] { lastActivityBefore[k] = t }
    if t < first[k] { first[k] = t }
    if t > last[k] { last[k] = t }
    let age = cutoff - t  // ≥ 0
    let w = windows.count
    typeTotal[k, e] += 1
    if t > typeLast[k, e] { typeLast[k, e] = t }
    let hasAmount = !amount.isNaN
    for j in 0..<w where age < windows[j] {
      countAll[k, j] += 1
      typeCount[k, e * w + j] += 1
      if hasAmount {
        amountSum[k, j] += amount
        amountCount[k, j] += 1
      }
    }
    if age < 2 * trendWindow {
      let half = age < trendWindow ? 0 : 1
      trendCount[k, half] += 1
      if hasAmount { trendAmount[k, half] += amount }
    }
    if channel >= 0 { channelCount[k, channel] += 1 }
    if stage >= 0 {
      if t > stageLatest[k, stage] { stageLatest[k, stage] = t }
      if t < stageEarliest[k, stage] { stageEarliest[k, stage] = t }
    }
    if !sentiment.isNaN {
      for j in 0..<sentimentWindows.count where age < sentimentWindows[j] {
        sentimentSum[k, j] += sentiment
        sentimentCount[k, j] += 1
        if sentiment < sentimentMin[k, j] { sentimentMin[k, j] = sentiment }
        if sentiment < 0 { sentimentNegative[k, j] += 1 }
      }
      // Latest sentiment; at equal times the lowest, so order never matters.
      if t > sentimentLastTime[k] || (t == sentimentLastTime[k] && sentiment < sentimentLast[k]) {
        sentimentLastTime[k] = t
        sentimentLast[k] = sentiment
      }
    }
    let day = age / microsPerDay
    if day < 365 { activeDays[k, Int(day >> 6)] |= 1 << UInt64(day & 63) }
  }
}
