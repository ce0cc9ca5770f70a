import ChurnIO
import LinearAlgebra

/// The features and labels of every eligible customer at every cutoff,
/// computed on demand from compact per-customer state.
public struct FeatureSet: Sendable {
  /// The label of a row.
  public enum Label: Sendable, Equatable {
    case churned, retained
    /// The data ends before the horizon is over and nothing decided it.
    case censored
  }

  /// One output row: a customer at a cutoff.
  public struct Row: Sendable {
    public let customerID: String
    public let cutoff: Cutoff
    public let label: Label
    let customer: Int
    let state: Int
  }

  /// The resolved spec: vocabularies and encodings fixed.
  public let spec: FeatureSpec
  public let featureNames: [String]
  /// Rows in order: by cutoff, then by customer id.
  public let rows: [Row]
  public let horizon: Duration
  /// With churn by inactivity, the look-back that decides "already churned".
  public let activeWithin: Duration
  public let churnDefinition: ChurnDefinition
  /// A fingerprint of the events read (times, customers, types, amounts, in
  /// file order), to tell later whether a model saw the same data.
  public let eventsFingerprint: String
  /// Until when the data is taken to be complete (labels need the horizon
  /// to end by then), and the last event's time.
  public let observedUntil: Cutoff
  public let lastEvent: Cutoff

  /// The latest end-of-day cutoff whose horizon ends by `observedUntil`:
  /// the last one that can have labels.
  public var latestLabelledCutoff: Cutoff {
    let t = observedUntil.micros - horizon.micros
    let day = (t + 1 - ((t + 1) % microsPerDay + microsPerDay) % microsPerDay) / microsPerDay
    return Cutoff(micros: day * microsPerDay - 1)
  }

  /// "the data ends 1998-06-30 (end of day); labels for 273d exist up to cutoff 1997-09-30".
  public var observationText: String {
    let ends =
      (observedUntil.micros + 1) % microsPerDay == 0
      ? "\(observedUntil) (end of day)" : formatISO8601(observedUntil.micros)
    return "the data ends \(ends); labels for \(horizon.days)d exist up to cutoff \(latestLabelledCutoff)"
  }

  /// With churn by inactivity on a log with an event type that reads like
  /// leaving ("cancel", "unsubscribe", …): a sentence saying it could be the
  /// churn definition, since labels by inactivity ignore it.
  public var churnEventHint: String? {
    guard churnDefinition == .inactivity else { return nil }
    let words = ["cancel", "churn", "unsubscribe", "terminat", "deactivat", "close_account", "account_closed"]
    let leaving = (spec.eventTypes ?? []).filter { name in words.contains { name.lowercased().contains($0) } }
    guard let first = leaving.first else { return nil }
    let names = leaving.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
    return
      "the log has \(leaving.count == 1 ? "an event" : "events") \(names): if \(leaving.count == 1 ? "it means" : "one means") the customer left, --churn-definition event:\(first) labels churn by it (now: no event for \(horizon.days)d)"
  }

  /// Sentences on event types and channels pooled or left without columns
  /// (`ResolvedCategories.note`), for the run's summary.
  public let vocabularyNotes: [String]

  /// `states[partition][cutoff]`; customer k lives in partition k mod P at index k / P.
  private let states: [[CutoffState]]
  private let slots: Slots
  private let staticFeatures: StaticFeatures
  /// The `repeat_purchase` values per cutoff, `width` per customer index
  /// (NaN: no purchase by that cutoff).
  private let repeatPurchase: RepeatPurchaseColumns?
  /// Where the `cox_risk` model's covariates are among the features.
  private let coxColumns: [Int]?

  /// Where the state holds each per-type, per-intervention and per-channel
  /// column (`CategorySlots`).
  struct Slots: Sendable {
    var types: CategoryColumns
    var interventions: [Int?]
    var channels: CategoryColumns
    var typeCount: Int
    var channelCount: Int
  }

  init(
    spec: FeatureSpec, cutoffs: [Cutoff], horizon: Duration, activeWithin: Duration, churnDefinition: ChurnDefinition,
    partitions states: [[CutoffState]], slots vocabulary: VocabularySlots, reader: EventLogReader,
    table: CustomerTable?, dataEnd: Int64, repeatPurchaseValues: [RepeatPurchaseValues] = [],
    eventsFingerprint: String, lastEvent: Int64, vocabularyNotes: [String] = []
  ) throws(FeatureError) {
    self.vocabularyNotes = vocabularyNotes
    self.eventsFingerprint = eventsFingerprint
    observedUntil = Cutoff(micros: dataEnd)
    self.lastEvent = Cutoff(micros: lastEvent)
    var spec = spec
    self.horizon = horizon
    self.activeWithin = activeWithin
    self.churnDefinition = churnDefinition
    self.states = states
    var apart = Set(spec.interventions)
    if case .event(let name) = churnDefinition { apart.insert(name) }
    slots = Slots(
      types: vocabulary.types.columns(
        for: spec.eventTypes ?? [], hasPool: spec.pooledEventTypes != nil, apart: apart, in: reader.eventTypes),
      interventions: spec.interventions.map { vocabulary.types.slot(of: $0, in: reader.eventTypes) },
      channels: vocabulary.channels.columns(
        for: spec.channels ?? [], hasPool: spec.pooledChannels != nil, apart: [], in: reader.channels),
      typeCount: vocabulary.types.count, channelCount: vocabulary.channels.count)
    staticFeatures = try StaticFeatures(encodings: spec.staticEncodings ?? [], table: table)
    let ids = reader.customers.strings
    let order = ids.indices.sorted { ids[$0].utf8.lexicographicallyPrecedes(ids[$1].utf8) }
    var rows: [Row] = []
    let p = states.count
    for (s, cutoff) in cutoffs.enumerated() {
      for k in order where FeatureSet.isEligible(states[k % p][s], k / p, churnDefinition, activeWithin) {
        rows.append(
          Row(
            customerID: ids[k], cutoff: cutoff,
            label: FeatureSet.label(states[k % p][s], k / p, churnDefinition, dataEnd: dataEnd), customer: k, state: s))
      }
    }
    self.rows = rows
    if let feature = spec.repeatPurchase {
      let columns = RepeatPurchaseColumns(repeatPurchaseValues, customers: reader.customers)
      if feature.hasMissingIndicator == nil {
        spec.repeatPurchase!.hasMissingIndicator = rows.contains {
          !columns.hasPurchase(customer: $0.customer, at: $0.state)
        }
      }
      repeatPurchase = columns
    } else {
      repeatPurchase = nil
    }
    self.spec = spec
    var names = FeatureWriter(.names, log1p: spec.log1p == true)
    if let first = rows.first {
      FeatureSet.write(first, states, slots, staticFeatures, repeatPurchase, nil, spec, &names)
    } else {
      FeatureSet.writeNames(spec, slots, staticFeatures, &names)
    }
    featureNames = names.names
    coxColumns = try spec.coxRisk.map { feature throws(FeatureError) in
      try (feature.covariates ?? []).map { name throws(FeatureError) in
        guard let j = names.names.firstIndex(of: name), name != feature.featureName else {
          throw .invalidSpec("'cox_risk' covariate '\(name)' is not among the features")
        }
        return j
      }
    }
  }

  /// The feature values of a row, in `featureNames` order.
  public func values(of row: Row) -> [Double] {
    var out = FeatureWriter(.values, log1p: spec.log1p == true)
    out.values.reserveCapacity(featureNames.count)
    FeatureSet.write(row, states, slots, staticFeatures, repeatPurchase, coxColumns, spec, &out)
    return out.values
  }

  /// The standard error of a row's `clv` feature from the repeat-purchase
  /// fits' uncertainty (nil without the family's spend model and
  /// covariances, or before the customer's first purchase): the value's
  /// uncertainty when the next best action takes `clv` as the value.
  public func clvStandardError(of row: Row) -> Double? {
    repeatPurchase?.clvStandardError(customer: row.customer, at: row.state)
  }

  /// The feature matrix (n × p) and 0/1 labels of some rows, none censored.
  public func matrix(rows indexes: [Int]) -> (x: Matrix, y: [Double]) {
    var x = Matrix(rows: indexes.count, columns: featureNames.count)
    var y = [Double](repeating: 0, count: indexes.count)
    for (r, i) in indexes.enumerated() {
      precondition(rows[i].label != .censored, "matrix: row \(i) is censored")
      for (j, v) in values(of: rows[i]).enumerated() { x.storage[j * indexes.count + r] = v }
      y[r] = rows[i].label == .churned ? 1 : 0
    }
    return (x, y)
  }

  /// Over the rows: static values not among the model's categories, values
  /// missing and imputed, and customers absent from the customers table.
  public func staticInputCounts() -> (unseen: Int, imputed: Int, withoutAttributes: Int) {
    staticFeatures.inputCounts(customerIDs: rows.map(\.customerID))
  }

  /// Rows whose label is censored.
  public var censoredCount: Int { rows.filter { $0.label == .censored }.count }

  // MARK: - Eligibility and labels

  static func isEligible(_ s: CutoffState, _ k: Int, _ definition: ChurnDefinition, _ activeWithin: Duration) -> Bool {
    guard k < s.customers, s.time(k, s.layout.last) != .min else { return false }
    switch definition {
    case .event: return !s.flag(k, CutoffState.churnBeforeFlag)
    case .inactivity:
      let lastActivity = s.time(k, s.layout.lastActivity)
      return lastActivity != .min && lastActivity > s.cutoff - activeWithin.micros
    }
  }

  static func label(_ s: CutoffState, _ k: Int, _ definition: ChurnDefinition, dataEnd: Int64) -> Label {
    let observed = dataEnd >= s.horizonEnd
    switch definition {
    case .event:
      if s.flag(k, CutoffState.churnAfterFlag) { return .churned }
      return observed ? .retained : .censored
    case .inactivity:
      if s.flag(k, CutoffState.activityAfterFlag) { return .retained }
      return observed ? .churned : .censored
    }
  }

  // MARK: - The features, in order (docs/features.md)

  /// The feature names of a spec whose vocabularies are fixed (event
  /// types, channels and their pools listed): what a query computing the
  /// features in a database names its columns. No static attributes and no
  /// feature that needs a fitted model (stage chain, repeat purchase, Cox).
  package static func featureNames(ofResolved spec: FeatureSpec) -> [String] {
    precondition(
      spec.staticEncodings?.isEmpty ?? true && spec.stageChurn == nil && spec.repeatPurchase == nil
        && spec.coxRisk == nil, "featureNames(ofResolved:): a spec without static or fitted features")
    let types = spec.eventTypes ?? []
    let channels = spec.channels ?? []
    let slots = Slots(
      types: CategoryColumns(own: types.map { _ in nil }, pooled: []),
      interventions: spec.interventions.map { _ in nil },
      channels: CategoryColumns(own: channels.map { _ in nil }, pooled: []), typeCount: 1, channelCount: 1)
    var names = FeatureWriter(.names, log1p: spec.log1p == true)
    writeNames(spec, slots, StaticFeatures.none, &names)
    return names.names
  }

  private static func writeNames(
    _ spec: FeatureSpec, _ slots: Slots, _ staticFeatures: StaticFeatures, _ out: inout FeatureWriter
  ) {
    // No row to walk: use an empty state, which writes the same names.
    var state = CutoffState(cutoff: 0, horizon: Duration(days: 1), spec: spec, stageCount: spec.stages.count)
    state.ensure(customers: 1, types: slots.typeCount, channels: slots.channelCount)
    let row = Row(customerID: "", cutoff: Cutoff(micros: 0), label: .censored, customer: 0, state: 0)
    write(row, [[state]], slots, staticFeatures, nil, nil, spec, &out)
  }

  private static func write(
    _ row: Row, _ states: [[CutoffState]], _ slots: Slots, _ staticFeatures: StaticFeatures,
    _ repeatPurchase: RepeatPurchaseColumns?, _ coxColumns: [Int]?, _ spec: FeatureSpec, _ out: inout FeatureWriter
  ) {
    let s = states[row.customer % states.count][row.state]
    let k = row.customer / states.count
    let T = s.cutoff
    let day = Double(microsPerDay)
    func daysSince(_ t: Int64) -> Double {
      t == .min ? spec.neverDays : min(Double(T - t) / day, spec.neverDays)
    }
    let windows = spec.windows
    let w = windows.count

    let L = s.layout
    out.add("days_since_first_event", Double(T - s.time(k, L.first)) / day)
    out.add("days_since_last_event", Double(T - s.time(k, L.last)) / day)
    for j in 0..<w { out.addHeavy("count_\(windows[j])d", Double(s.count(k, L.countAll + j))) }
    for (name, slot) in zip(spec.eventTypes ?? [], slots.types.own) {
      let known = slot.flatMap { $0 < L.types ? $0 : nil }
      out.add("days_since_last_\(name)", known.map { daysSince(s.time(k, L.typeLast + $0)) } ?? spec.neverDays)
      for j in 0..<w {
        out.addHeavy("count_\(name)_\(windows[j])d", known.map { Double(s.count(k, L.typeCount + $0 * w + j)) } ?? 0)
      }
    }
    if let pool = spec.pooledEventTypes {
      let known = slots.types.pooled.filter { $0 < L.types }
      out.add("days_since_last_\(pool)", daysSince(known.reduce(Int64.min) { max($0, s.time(k, L.typeLast + $1)) }))
      for j in 0..<w {
        out.addHeavy(
          "count_\(pool)_\(windows[j])d", Double(known.reduce(0) { $0 + Int(s.count(k, L.typeCount + $1 * w + j)) }))
      }
    }
    if spec.usesAmount == true {
      for j in 0..<w {
        let n = s.count(k, L.amountCount + j)
        let sum = s.double(k, L.amountSum + j)
        out.addHeavy("amount_sum_\(windows[j])d", sum)
        out.addHeavy("amount_mean_\(windows[j])d", n > 0 ? sum / Double(n) : 0)
      }
    }
    let tw = spec.trendWindow
    out.add("trend_count_\(tw)d", trend(Double(s.count(k, L.trendCount)), Double(s.count(k, L.trendCount + 1))))
    if spec.usesAmount == true {
      out.add("trend_amount_\(tw)d", trend(s.double(k, L.trendAmount), s.double(k, L.trendAmount + 1)))
    }
    writeGaps(s, k, &out)
    if spec.usesChannel == true {
      var total = 0
      for c in 0..<L.channels { total += Int(s.count(k, L.channelCount + c)) }
      for (name, slot) in zip(spec.channels ?? [], slots.channels.own) {
        let count = slot.map { $0 < L.channels ? Int(s.count(k, L.channelCount + $0)) : 0 } ?? 0
        out.add("share_channel_\(name)", total > 0 ? Double(count) / Double(total) : 0)
      }
      if let pool = spec.pooledChannels {
        let count = slots.channels.pooled.reduce(0) {
          $0 + ($1 < L.channels ? Int(s.count(k, L.channelCount + $1)) : 0)
        }
        out.add("share_channel_\(pool)", total > 0 ? Double(count) / Double(total) : 0)
      }
    }
    if spec.usesStage == true { writeStage(s, k, spec, &out) }
    if let feature = spec.repeatPurchase {
      writeRepeatPurchase(feature, repeatPurchase, customer: row.customer, cutoff: row.state, &out)
    }
    if spec.usesSentiment == true {
      for (j, sw) in spec.sentimentWindows.enumerated() {
        let n = s.count(k, L.sentimentCount + j)
        out.add("sentiment_mean_\(sw)d", n > 0 ? s.double(k, L.sentimentSum + j) / Double(n) : 0)
        out.add("sentiment_min_\(sw)d", n > 0 ? s.double(k, L.sentimentMin + j) : 0)
        out.addHeavy("sentiment_count_\(sw)d", Double(n))
        out.addHeavy("sentiment_negative_\(sw)d", Double(s.count(k, L.sentimentNegative + j)))
      }
      let last = s.double(k, L.sentimentLast)
      out.add("sentiment_last", last.isNaN ? 0 : last)
    }
    for (name, id) in zip(spec.interventions, slots.interventions) {
      let known = id.flatMap { $0 < L.types ? $0 : nil }
      out.add("treatment_count_\(name)", known.map { Double(s.count(k, L.typeTotal + $0)) } ?? 0)
      out.add("days_since_treatment_\(name)", known.map { daysSince(s.time(k, L.typeLast + $0)) } ?? spec.neverDays)
    }
    staticFeatures.write(customerID: row.customerID, cutoff: T, into: &out)
    if let feature = spec.coxRisk {
      // Last, from the values above: in names mode there are none.
      let values = out.mode == .values ? coxColumns!.map { out.values[$0] } : []
      out.add(feature.featureName, feature.probability(values))
    }
  }

  /// (recent − previous) / (|recent| + |previous|), 0 when both are 0.
  static func trend(_ recent: Double, _ previous: Double) -> Double {
    let scale = abs(recent) + abs(previous)
    return scale > 0 ? (recent - previous) / scale : 0
  }

  /// Gaps between consecutive active days in the last 365.
  private static func writeGaps(_ s: CutoffState, _ k: Int, _ out: inout FeatureWriter) {
    var days: [Int] = []
    if out.mode == .values {
      for word in 0..<CutoffState.activeDayWords {
        var bits = s.bits(k, s.layout.activeDays + word)
        while bits != 0 {
          days.append(word * 64 + bits.trailingZeroBitCount)
          bits &= bits - 1
        }
      }
    }
    out.addHeavy("active_days_365d", Double(days.count))
    var mean = 0.0, std = 0.0, lastOverMean = 0.0
    if days.count >= 2 {
      let gaps = (1..<days.count).map { Double(days[$0] - days[$0 - 1]) }
      mean = Double(days.last! - days.first!) / Double(gaps.count)
      std = (gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count)).squareRoot()
      lastOverMean = gaps[0] / mean
    }
    out.add("gap_mean_days", mean)
    out.add("gap_std_days", std)
    out.add("gap_last_over_mean", lastOverMean)
  }

  /// P(alive), expected purchases and CLV (0 before a first purchase, when
  /// `no_purchase_yet` says so); the heavy-tailed two as counts and amounts.
  private static func writeRepeatPurchase(
    _ feature: RepeatPurchaseFeature, _ columns: RepeatPurchaseColumns?, customer: Int, cutoff: Int,
    _ out: inout FeatureWriter
  ) {
    let values = columns?.values(customer: customer, at: cutoff)
    let names = feature.featureNames
    out.add(names[0], values?[0] ?? 0)
    out.addHeavy(names[1], values?[1] ?? 0)
    if feature.parameters?.hasSpend == true { out.addHeavy("clv", values?[2] ?? 0) }
    if feature.hasMissingIndicator == true { out.add("no_purchase_yet", values == nil ? 1 : 0) }
  }

  /// Current stage (of the latest event with a stage; ties go to the later
  /// stage in the spec) and days since the customer was last seen in another.
  private static func writeStage(_ s: CutoffState, _ k: Int, _ spec: FeatureSpec, _ out: inout FeatureWriter) {
    var current = -1
    var latest = Int64.min
    let L = s.layout
    for j in 0..<spec.stages.count where s.time(k, L.stageLatest + j) != .min && s.time(k, L.stageLatest + j) >= latest
    {
      latest = s.time(k, L.stageLatest + j)
      current = j
    }
    for (j, name) in spec.stages.enumerated() { out.add("stage_\(name)", j == current ? 1 : 0) }
    var daysInStage = 0.0
    if current >= 0 {
      var other = Int64.min
      for j in 0..<spec.stages.count where j != current { other = max(other, s.time(k, L.stageLatest + j)) }
      let since = other == .min ? s.time(k, L.stageEarliest + current) : other
      daysInStage = Double(s.cutoff - since) / Double(microsPerDay)
    }
    out.add("days_in_stage", daysInStage)
    if let feature = spec.stageChurn, let p = feature.probabilities, let h = feature.horizonDays {
      out.add("markov_churn_\(h)d", current >= 0 ? p[current] : 0)
    }
  }
}
