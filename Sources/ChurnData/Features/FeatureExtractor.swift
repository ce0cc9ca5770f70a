import ChurnIO
import Foundation

/// Builds point-in-time feature vectors and churn labels from an event log,
/// in one streaming pass, for one or several cutoffs.
///
/// ```swift
/// var reader = try EventLogReader(path: "events.csv", schema: EventSchema())
/// let extractor = FeatureExtractor(
///   cutoffs: [try Cutoff(parsing: "2025-06-30")], horizon: try Duration(parsing: "90d"),
///   churnDefinition: .event("cancel"))
/// let features = try extractor.extract(from: &reader, customers: nil)
/// for row in features.rows { let x = features.values(of: row) }
/// ```
public struct FeatureExtractor: Sendable {
  public var spec: FeatureSpec
  public var cutoffs: [Cutoff]
  public var horizon: Duration
  public var churnDefinition: ChurnDefinition
  /// Whether names in the spec must occur in the data (true for the
  /// `features` and `train` commands; false when scoring with a model's
  /// spec, where a type absent from new data simply counts zero).
  public var requiresKnownNames = true
  /// Whether a cutoff after the day of the last event is allowed (scoring
  /// "as of today" on data that ends yesterday); labels are then censored.
  public var allowsCutoffAfterData = false
  /// Until when the data is complete: a label is known once the horizon
  /// ends by then. Nil: the end of the last event's day when every
  /// timestamp is a date (all at midnight), else the last timestamp.
  public var observedUntil: Cutoff?
  /// With churn by inactivity: a customer is in the sample at a cutoff when
  /// active within this long before it (nil: the horizon), i.e. not already
  /// churned by the look-back.
  public var activeWithin: Duration?
  /// Called after each batch with the number of rows read so far (for a
  /// progress display; the library itself never prints).
  public var progress: (@Sendable (Int) -> Void)?
  /// The log's size when an earlier pass over it knows it: the per-customer
  /// state is then allocated once at that size rather than grown by
  /// doubling (up to half of it unused, and copied at each step), which is
  /// what a pass repeated at many cutoffs needs to stay small.
  public var expectedLog: (customers: Int, eventTypes: Int, channels: Int)?
  /// Fits the stage chain behind a `stage_churn` feature whose
  /// probabilities the spec does not fix yet (the chain is a model, above
  /// the features: `StageChainChurnFitter` in practice).
  public var stageChurnFitter: (any StageChurnFitting)?
  /// Fits (when the spec has no parameters yet) and evaluates the
  /// buy-till-you-die models behind a `repeat_purchase` feature
  /// (`RepeatPurchaseFeatureFitter` in practice).
  public var repeatPurchaseFitter: (any RepeatPurchaseFitting)?
  /// Fits Cox's model behind a `cox_risk` feature whose fit the spec does
  /// not store yet (`CoxRiskFeatureFitter` in practice).
  public var coxRiskFitter: (any CoxRiskFitting)?

  public init(spec: FeatureSpec = FeatureSpec(), cutoffs: [Cutoff], horizon: Duration, churnDefinition: ChurnDefinition)
  {
    self.spec = spec
    self.cutoffs = cutoffs.sorted()
    self.horizon = horizon
    self.churnDefinition = churnDefinition
  }

  /// Reads every batch of `reader` and returns the feature set.
  ///
  /// - Throws: `FeatureError` for a cutoff outside the data, names in the
  ///   spec that the data lacks, or a churn event that never occurs;
  ///   `IngestError` when the log cannot be read.
  public func extract(
    from reader: inout EventLogReader, customers table: CustomerTable?, issues: inout IssueLog
  ) throws -> FeatureSet {
    try spec.validate()
    guard !cutoffs.isEmpty else { throw FeatureError.invalidSpec("no cutoff given") }
    try checkInputs(reader.columns, table: table, path: reader.path)
    let stageIndex = spec.stages
    // Customers are split into partitions (customer id mod P), each with
    // its own state, so that events are added on all cores at once.
    let partitionCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let reserve = expectedLog.map {
      (
        customers: ($0.customers + partitionCount - 1) / partitionCount, types: $0.eventTypes + 1,
        channels: $0.channels + 1
      )
    }
    let partitions = StatePartitions(
      count: partitionCount,
      make: {
        cutoffs.map {
          CutoffState(cutoff: $0.micros, horizon: horizon, spec: spec, stageCount: stageIndex.count, reserve: reserve)
        }
      })
    var roles: [CutoffState.EventRole] = []
    var stageOfID: [Int] = []
    var seenBeforeLastCutoff: [Bool] = []  // per event type
    var channelSeen: [Bool] = []
    var slots = vocabularySlots()
    var fingerprint: UInt64 = 0xCBF2_9CE4_8422_2325
    var extent = DataExtent()
    let lastCutoff = cutoffs.last!.micros
    var batch = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      // New vocabulary entries: their roles, slots, stage positions and room.
      let types = reader.eventTypes
      while roles.count < types.count {
        roles.append(role(of: types.string(Int32(roles.count))))
        seenBeforeLastCutoff.append(false)
      }
      slots.types.extend(with: types)
      slots.channels.extend(with: reader.channels)
      while stageOfID.count < reader.stages.count {
        stageOfID.append(stageIndex.firstIndex(of: reader.stages.string(Int32(stageOfID.count))) ?? -1)
      }
      while channelSeen.count < reader.channels.count { channelSeen.append(false) }
      for i in 0..<batch.count {
        let t = batch.time[i]
        fingerprint =
          (fingerprint ^ UInt64(bitPattern: t) ^ UInt64(UInt32(bitPattern: batch.customer[i])) << 40
            ^ UInt64(UInt32(bitPattern: batch.event[i])) << 20 ^ batch.amount[i].bitPattern) &* 0x100_0000_01B3
        extent.add(t)
        if t <= lastCutoff {
          seenBeforeLastCutoff[Int(batch.event[i])] = true
          if batch.channel[i] >= 0 { channelSeen[Int(batch.channel[i])] = true }
        }
      }
      partitions.add(batch, customers: reader.customerCount, slots: slots, roles: roles, stageOfID: stageOfID)
      progress?(reader.rowsRead)
    }
    guard !extent.isEmpty else { throw FeatureError.noEvents(path: reader.path) }
    // A cutoff on the day of the last event (its end, say) is inside the data.
    for c in cutoffs where c.micros < extent.first || (c.micros > extent.lastDayEnd && !allowsCutoffAfterData) {
      throw FeatureError.cutoffOutsideData(
        cutoff: c.description, firstEvent: formatISO8601(extent.first), lastEvent: formatISO8601(extent.last))
    }
    guard let observedEnd = extent.observedEnd(given: observedUntil?.micros) else {
      throw FeatureError.observedBeforeLastEvent(
        observedUntil: observedUntil!.description, lastEvent: formatISO8601(extent.last))
    }
    let allTypes = reader.eventTypes.strings
    if case .event(let name) = churnDefinition, !allTypes.contains(name) {
      throw FeatureError.churnEventNeverSeen(name: name, available: allTypes.sorted())
    }
    var (resolved, notes) = try resolve(
      reader: reader, typesSeen: seenBeforeLastCutoff, channelsSeen: channelSeen, table: table, slots: slots,
      customersPerSlot: customersPerSlot(partitions.states.map { $0.last! }, slots))
    if let feature = resolved.stageChurn, feature.probabilities == nil {
      resolved.stageChurn = try fitStageChurn(feature, usesStage: resolved.usesStage == true, reader: reader)
    }
    var repeatValues: [RepeatPurchaseValues] = []
    if let feature = resolved.repeatPurchase {
      (resolved.repeatPurchase, repeatValues) = try evaluateRepeatPurchase(feature, reader: reader)
    }
    if let feature = resolved.coxRisk, !feature.isFitted {
      resolved.coxRisk = try fitCoxRisk(feature, spec: resolved.withoutModelFeatures, reader: reader, table: table)
    }
    return try FeatureSet(
      spec: resolved, cutoffs: cutoffs, horizon: horizon, activeWithin: activeWithin ?? horizon,
      churnDefinition: churnDefinition, partitions: partitions.states, slots: slots, reader: reader, table: table,
      dataEnd: observedEnd, repeatPurchaseValues: repeatValues,
      eventsFingerprint: String(fingerprint, radix: 16), lastEvent: extent.last, vocabularyNotes: notes)
  }

  /// Fits the stage chain on the events up to the earliest cutoff (a second
  /// pass over the file) and fills in each stage's probability of churning
  /// within the horizon.
  private func fitStageChurn(
    _ feature: StageChurnFeature, usesStage: Bool, reader: EventLogReader
  ) throws -> StageChurnFeature {
    guard usesStage else {
      throw FeatureError.missingInput("'stage_churn' needs the event log's stage column (\(reader.path) has none)")
    }
    guard reader.path != "-" else {
      throw FeatureError.missingInput("'stage_churn' reads the event log twice: give it as a file, not standard input")
    }
    guard let fitter = stageChurnFitter else {
      throw FeatureError.missingInput("'stage_churn' needs a stage-chain fitter (FeatureExtractor.stageChurnFitter)")
    }
    let h = feature.horizonDays ?? horizon.days
    let through = cutoffs[0]
    var second = try EventLogReader(path: reader.path, schema: reader.schema)
    let churnWithin = try fitter.churnWithin(
      days: h, stages: spec.stages, churnDefinition: churnDefinition, horizon: horizon, through: through,
      events: &second)
    var fitted = feature
    fitted.horizonDays = h
    fitted.probabilities = churnWithin + [1]
    fitted.fittedThrough = through.description
    return fitted
  }

  /// Fits the buy-till-you-die models on the purchases up to the earliest
  /// cutoff (a second pass over the file) unless the spec fixes them, and
  /// evaluates them on each customer's purchases up to every cutoff.
  private func evaluateRepeatPurchase(
    _ feature: RepeatPurchaseFeature, reader: EventLogReader
  ) throws -> (RepeatPurchaseFeature, [RepeatPurchaseValues]) {
    guard reader.path != "-" else {
      throw FeatureError.missingInput(
        "'repeat_purchase' reads the event log twice: give it as a file, not standard input")
    }
    guard let fitter = repeatPurchaseFitter else {
      throw FeatureError.missingInput(
        "'repeat_purchase' needs the buy-till-you-die models (FeatureExtractor.repeatPurchaseFitter)")
    }
    var excluded = Set(spec.interventions)
    if let name = churnEventName { excluded.insert(name) }
    var second = try EventLogReader(path: reader.path, schema: reader.schema)
    var resolved = feature
    resolved.horizonDays = feature.horizonDays ?? horizon.days
    return try fitter.resolveAndEvaluate(
      resolved, through: cutoffs[0], cutoffs: cutoffs, excluding: excluded,
      events: &second)
  }

  /// Fits Cox's model on the features h days before the earliest cutoff
  /// and the follow-up to it (a second pass over the file, twice).
  private func fitCoxRisk(
    _ feature: CoxRiskFeature, spec base: FeatureSpec, reader: EventLogReader, table: CustomerTable?
  ) throws -> CoxRiskFeature {
    guard reader.path != "-" else {
      throw FeatureError.missingInput("'cox_risk' reads the event log again: give it as a file, not standard input")
    }
    guard let fitter = coxRiskFitter else {
      throw FeatureError.missingInput("'cox_risk' needs Cox's model (FeatureExtractor.coxRiskFitter)")
    }
    var resolved = feature
    resolved.horizonDays = feature.horizonDays ?? horizon.days
    let through = cutoffs[0]
    let fitCutoff = Cutoff(micros: through.micros - Int64(resolved.horizonDays!) * microsPerDay)
    var second = try EventLogReader(path: reader.path, schema: reader.schema)
    return try fitter.fit(
      resolved, spec: base, fitCutoff: fitCutoff, through: through, churnDefinition: churnDefinition,
      horizon: horizon, events: &second, customers: table)
  }

  /// A spec fixed by a model needs the columns and the customers table it
  /// was built from: say which one is missing before reading anything.
  private func checkInputs(_ columns: EventColumns, table: CustomerTable?, path: String) throws(FeatureError) {
    let needs: [(Bool?, Int?, String)] = [
      (spec.usesAmount, columns.amount, "amount"), (spec.usesChannel, columns.channel, "channel"),
      (spec.usesSentiment, columns.sentiment, "sentiment"), (spec.usesStage, columns.stage, "stage"),
    ]
    for (uses, column, name) in needs where uses == true && column == nil {
      throw .missingInput(
        "\(path): the model's features use the \(name) column, which these events do not have (columns: \(columns.header.joined(separator: ", ")))"
      )
    }
    if let encodings = spec.staticEncodings, !encodings.isEmpty, table == nil {
      throw .missingInput(
        "the model's features use customers-table columns (\(encodings.map(\.column).joined(separator: ", "))): pass the customers table"
      )
    }
  }

  /// The churn event's name, when churn is an event.
  private var churnEventName: String? {
    if case .event(let name) = churnDefinition { return name }
    return nil
  }

  /// Empty slot tables for this spec: the names it lists get slots; when it
  /// lists none, the first `maxCategories` names found do.
  private func vocabularySlots() -> VocabularySlots {
    let limit = spec.maxCategories ?? FeatureSpec.defaultMaxCategories
    return VocabularySlots(
      types: CategorySlots(
        named: (spec.eventTypes ?? []) + spec.interventions, neverOwn: Set(churnEventName.map { [$0] } ?? []),
        discovers: spec.eventTypes == nil, limit: limit),
      channels: CategorySlots(named: spec.channels ?? [], discovers: spec.channels == nil, limit: limit))
  }

  /// Per slot of each family, the customers with an event in it by the
  /// latest cutoff (the rare ones are pooled).
  private func customersPerSlot(_ states: [CutoffState], _ slots: VocabularySlots) -> (types: [Int], channels: [Int]) {
    var types = [Int](repeating: 0, count: slots.types.count)
    var channels = [Int](repeating: 0, count: slots.channels.count)
    for state in states {
      state.countCustomers(perType: &types, perChannel: &channels)
    }
    return (types, channels)
  }

  /// What an event type means to the labels.
  private func role(of name: String) -> CutoffState.EventRole {
    var isChurn = false
    if case .event(let churnName) = churnDefinition { isChurn = name == churnName }
    return CutoffState.EventRole(isChurnEvent: isChurn, isActivity: spec.countsAsActivity(name))
  }

  /// Fixes every vocabulary of the spec from the data.
  private func resolve(
    reader: EventLogReader, typesSeen: [Bool], channelsSeen: [Bool], table: CustomerTable?, slots: VocabularySlots,
    customersPerSlot: (types: [Int], channels: [Int])
  ) throws(FeatureError) -> (FeatureSpec, [String]) {
    var resolved = spec
    var notes: [String] = []
    let limit = spec.maxCategories ?? FeatureSpec.defaultMaxCategories
    let allTypes = reader.eventTypes.strings
    func check(_ names: [String], kind: String, among known: [String]) throws(FeatureError) {
      guard requiresKnownNames else { return }
      for name in names where !known.contains(name) {
        throw .unknownName(kind: kind, name: name, suggestion: closestMatch(to: name, in: known))
      }
    }
    try check(spec.eventTypes ?? [], kind: "event type", among: allTypes)
    try check(spec.interventions, kind: "intervention event type", among: allTypes)
    try check(spec.activityEvents ?? [], kind: "activity event type", among: allTypes)
    let allChannels = reader.channels.strings
    try check(spec.channels ?? [], kind: "channel", among: allChannels)
    if spec.eventTypes == nil {
      // By default every type seen, except the churn event (constant among
      // eligible customers) and interventions (they have their own
      // features); a lone type (and no interventions) would only repeat
      // the overall features.
      var excluded = Set(spec.interventions)
      if let name = churnEventName { excluded.insert(name) }
      let seen = allTypes.indices.filter { typesSeen[$0] && !excluded.contains(allTypes[$0]) }.map { allTypes[$0] }
      let categories = ResolvedCategories.resolve(
        seen: seen, ownSlot: { slots.types.slot(of: $0, in: reader.eventTypes) },
        customers: { customersPerSlot.types[$0] }, minCustomers: spec.rareCategoryMinCustomers,
        pooledName: spec.pooledEventTypes ?? "other", reserved: allTypes,
        keepLone: !spec.interventions.isEmpty)
      resolved.eventTypes = categories.names
      resolved.pooledEventTypes = categories.pooledName
      notes += [categories.note(family: "event types", limit: limit, minCustomers: spec.rareCategoryMinCustomers)]
        .compactMap { $0 }
    }
    if spec.channels == nil {
      let seen = allChannels.indices.filter { channelsSeen[$0] }.map { allChannels[$0] }
      let categories = ResolvedCategories.resolve(
        seen: seen, ownSlot: { slots.channels.slot(of: $0, in: reader.channels) },
        customers: { customersPerSlot.channels[$0] }, minCustomers: spec.rareCategoryMinCustomers,
        pooledName: spec.pooledChannels ?? "other", reserved: allChannels, keepLone: false)
      resolved.channels = categories.names
      resolved.pooledChannels = categories.pooledName
      notes += [categories.note(family: "channels", limit: limit, minCustomers: spec.rareCategoryMinCustomers)]
        .compactMap { $0 }
    }
    let columns = reader.columns
    resolved.usesAmount = spec.usesAmount ?? (columns.amount != nil)
    resolved.usesChannel = spec.usesChannel ?? (columns.channel != nil)
    resolved.usesSentiment = spec.usesSentiment ?? (columns.sentiment != nil)
    resolved.usesStage = spec.usesStage ?? (columns.stage != nil)
    if resolved.staticEncodings == nil, let table {
      resolved.staticEncodings = try StaticFeatures.learn(table: table, spec: spec)
    }
    return (resolved, notes)
  }
}

/// The slot tables of the two open vocabularies.
struct VocabularySlots: Sendable {
  var types: CategorySlots
  var channels: CategorySlots
}

/// The per-cutoff states of each partition of customers (id mod count);
/// partition p is only ever touched by the iteration that adds its events.
struct StatePartitions {
  private let partitions: Partitioned<[CutoffState]>

  init(count: Int, make: () -> [CutoffState]) {
    partitions = Partitioned((0..<count).map { _ in make() })
  }

  /// `states[partition][cutoff]`.
  var states: [[CutoffState]] { partitions.all }

  /// Adds a batch's events, each partition on its own thread.
  func add(
    _ batch: EventBatch, customers: Int, slots: VocabularySlots, roles: [CutoffState.EventRole], stageOfID: [Int]
  ) {
    let count = partitions.count
    let typeSlot = slots.types.slotOfID
    let channelSlot = slots.channels.slotOfID
    let (types, channels) = (slots.types.count, slots.channels.count)
    concurrentForEach(count) { p in
      partitions.update(p) { states in
        let localCustomers = (customers + count - 1) / count
        for s in states.indices { states[s].ensure(customers: localCustomers, types: types, channels: channels) }
        for i in 0..<batch.count {
          let k = Int(batch.customer[i])
          guard k % count == p else { continue }
          let e = Int(batch.event[i])
          let c = Int(batch.channel[i])
          let stageID = Int(batch.stage[i])
          for s in states.indices {
            states[s].add(
              customer: k / count, time: batch.time[i], type: typeSlot[e], channel: c >= 0 ? channelSlot[c] : -1,
              stage: stageID >= 0 ? stageOfID[stageID] : -1, amount: batch.amount[i],
              sentiment: batch.sentiment[i], role: roles[e])
          }
        }
      }
    }
  }
}

/// What the `stage_churn` feature needs from the stage chain: each
/// transient stage's probability of churning within `days`, fitted on the
/// events of `reader` up to `through` only.
public protocol StageChurnFitting: Sendable {
  func churnWithin(
    days: Int, stages: [String], churnDefinition: ChurnDefinition, horizon: Duration, through: Cutoff,
    events reader: inout EventLogReader
  ) throws -> [Double]
}
