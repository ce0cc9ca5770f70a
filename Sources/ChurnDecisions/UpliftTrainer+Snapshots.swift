import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// The snapshot rows the uplift models learn from, built a few snapshot
/// dates at a time so that every customer is used while memory stays
/// bounded: each block of dates is one pass over the log, and of its rows
/// only what the fits need is kept — treated rows, candidate controls and
/// customer-periods below their sampling rates, and the reachability tally.
///
/// The sampling rates depend on totals known only after the last block
/// (`maxControlRows` over all snapshot rows; the plain periods' room over
/// all candidates). A row's draw is fixed by its customer, date and seed,
/// and the running rates can only fall, so a candidate is kept while its
/// draw is below the running rate and the final rate decides at the end:
/// the rows are the same whatever the block size. The customer-periods
/// with a churn or a treatment still working are all kept up to twice
/// `maxControlRows`, the plain ones up to what is left of three times it
/// (at least `maxControlRows`); past those, seeded samples weighted by the
/// inverse of their rate.
extension UpliftTrainer {
  /// What the fits need of every snapshot row.
  struct SnapshotRows {
    var featureNames: [String]
    /// Treated and control rows, in snapshot order.
    var rows: [Row]
    /// The hazard learner's customer-periods (empty for the other learners).
    var periods: [PeriodRow]
    var reachability: Reachability?
  }

  /// Snapshot dates per block: as many as keep a block's rows (customers ×
  /// dates, every row holding its whole feature state) within `maxSnapshotRows`.
  func datesPerBlock(customers: Int) -> Int {
    max(1, maxSnapshotRows / max(customers, 1))
  }

  /// Reads the features at every date of `grid`, block by block, and keeps
  /// what the fits need.
  func snapshotRows(
    events path: String, schema: EventSchema, customers table: CustomerTable?, baseline: ChurnBaseline,
    history: TreatmentHistory, grid: [Cutoff], learnsFromPeriods: Bool
  ) throws -> SnapshotRows {
    let spec = baseline.spec
    let names = baseline.features
    let stageColumns = spec.stages.map { names.firstIndex(of: "stage_\($0)") }
    func stage(_ x: [Double]) -> Int? {
      for (s, j) in stageColumns.enumerated() { if let j, x[j] == 1 { return s } }
      return nil
    }
    var keeper = SnapshotKeeper(
      trainer: self, history: history, names: names, horizonDays: baseline.horizonDays,
      learnsFromPeriods: learnsFromPeriods,
      reachability: reachabilityTally(
        names: names, churn: baseline.churnDefinition, stages: spec.stages.count,
        horizon: baseline.horizonDays),
      stage: stage,
      admitted: { x in
        let s = stage(x)
        return catalog.actions.indices.contains { UpliftFitting.eligible($0, s, catalog: catalog, stages: spec.stages) }
      })
    let step = datesPerBlock(customers: history.customers.count)
    for start in stride(from: 0, to: grid.count, by: step) {
      let block = Array(grid[start..<min(start + step, grid.count)])
      let dates = block.count == 1 ? "date \(start + 1)" : "dates \(start + 1)–\(start + block.count)"
      progress?("uplift: snapshot features at \(dates) of \(grid.count)")
      var extractor = FeatureExtractor(
        spec: spec, cutoffs: block, horizon: Duration(days: baseline.horizonDays),
        churnDefinition: baseline.churnDefinition)
      extractor.useFeatureModels()
      extractor.requiresKnownNames = false
      extractor.expectedLog = (history.customers.count, history.eventTypeCount, history.channelCount)
      var issues = IssueLog(limit: 0)
      var reader = try EventLogReader(path: path, schema: schema)
      let set = try extractor.extract(from: &reader, customers: table, issues: &issues)
      guard set.featureNames == names else { throw UpliftError.featuresDiffer }
      for row in set.rows { keeper.add(row, values: { set.values(of: row) }) }
      keeper.prune()
    }
    return SnapshotRows(
      featureNames: names, rows: keeper.finishedRows(), periods: keeper.finishedPeriods(),
      reachability: keeper.reachability)
  }

  /// An empty reachability tally (nil with churn by inactivity, where a
  /// silence is the churn the models already predict, or without silence
  /// features).
  private func reachabilityTally(names: [String], churn: ChurnDefinition, stages: Int, horizon: Int) -> Reachability? {
    guard churn != .inactivity,
      let silence = Reachability.silenceFeatures(in: names, actions: catalog.actions.map(\.id))
    else { return nil }
    return Reachability(stages: stages, horizonDays: horizon, silenceFeatures: silence, observations: [])
  }
}

/// Goes through the snapshot rows block by block and keeps what the uplift
/// fits need (see `UpliftTrainer.snapshotRows`).
struct SnapshotKeeper {
  /// A snapshot row that may become a treated or control row.
  private struct Candidate {
    let customer: String
    let c: Int
    let T: Int64
    let treatment: (time: Int64, action: Int)?
    /// The control's sampling draw (unused for a treated row).
    let draw: Double
    let x: [Double]
    let stage: Int?
  }

  /// A snapshot row that is a customer-period at risk.
  private struct PeriodCandidate {
    let customer: String
    let c: Int
    let T: Int64
    let plain: Bool
    let draw: Double
    let x: [Double]
  }

  let trainer: UpliftTrainer
  let history: TreatmentHistory
  let horizon: Int64
  let window: Int64
  let lookBack: Int64
  let learnsFromPeriods: Bool
  var reachability: Reachability?
  let silenceColumns: [Int]
  let stage: ([Double]) -> Int?
  let admitted: ([Double]) -> Bool
  private(set) var snapshotRows = 0
  private var candidates: [Candidate] = []
  private var periodCandidates: [PeriodCandidate] = []
  private var plainPeriods = 0
  private var otherPeriods = 0

  init(
    trainer: UpliftTrainer, history: TreatmentHistory, names: [String], horizonDays: Int, learnsFromPeriods: Bool,
    reachability: Reachability?, stage: @escaping ([Double]) -> Int?, admitted: @escaping ([Double]) -> Bool
  ) {
    self.trainer = trainer
    self.history = history
    horizon = Int64(horizonDays) * microsPerDay
    window = Int64(trainer.windowDays) * microsPerDay
    lookBack =
      Int64(max(horizonDays, trainer.catalog.actions.compactMap(\.effectDays).max() ?? 0)) * microsPerDay
    self.learnsFromPeriods = learnsFromPeriods
    self.reachability = reachability
    self.stage = stage
    self.admitted = admitted
    silenceColumns = reachability?.silenceFeatures.compactMap { names.firstIndex(of: $0) } ?? []
  }

  private var maxControls: Int { trainer.maxControlRows }

  /// The controls' sampling rate over `rows` snapshot rows.
  private func controlRate(_ rows: Int) -> Double { min(1, Double(maxControls) / Double(max(rows, 1))) }

  /// A sampling rate that keeps `room` of `count` periods.
  private static func rate(room: Int, count: Int) -> Double {
    count == 0 ? 1 : min(1, Double(room) / Double(count))
  }

  /// The most the plain periods' final rate can be now: their room is at
  /// most three times `maxControlRows`, and their count can only grow.
  private var plainRateBound: Double { Self.rate(room: 3 * maxControls, count: plainPeriods) }

  /// The other periods' rate (those with a churn or a treatment still
  /// working, the ones that carry the effects): every one while they are
  /// at most twice `maxControlRows`, else a sample of that many (weights
  /// 1 / rate), so that the hazard fits stay a bounded size on any log.
  private var otherRate: Double { Self.rate(room: 2 * maxControls, count: otherPeriods) }

  mutating func add(_ row: FeatureSet.Row, values: () -> [Double]) {
    snapshotRows += 1
    guard let c32 = history.customers.lookup(row.customerID) else { return }
    let c = Int(c32), T = row.cutoff.micros
    var x: [Double]?
    func features() -> [Double] {
      if let x { return x }
      let v = values()
      x = v
      return v
    }
    addCandidate(row.customerID, c, T, features)
    if reachability != nil { tallyReach(c, T, features) }
    if learnsFromPeriods { addPeriod(row.customerID, c, T, features) }
  }

  /// Treated when a treatment falls in the window after the snapshot, else
  /// a control candidate kept while its draw is below the running rate.
  private mutating func addCandidate(_ id: String, _ c: Int, _ T: Int64, _ features: () -> [Double]) {
    let treatment = history.treatments[c].first { $0.time > T && $0.time <= T + window }
    var key = SplitMix64(seed: UpliftTrainer.hash(id) ^ UInt64(bitPattern: T) ^ trainer.seed)
    let draw = key.nextUniform()
    if treatment == nil {
      let rate = controlRate(snapshotRows)
      guard rate >= 1 || draw < rate else { return }
    }
    let x = features()
    candidates.append(Candidate(customer: id, c: c, T: T, treatment: treatment, draw: draw, x: x, stage: stage(x)))
  }

  private mutating func tallyReach(_ c: Int, _ T: Int64, _ features: () -> [Double]) {
    guard T + horizon <= history.dataEnd, history.churnTime[c] > T else { return }
    let x = features()
    reachability!.add(
      stage: stage(x), silenceDays: Reachability.silenceDays(x, columns: silenceColumns),
      active: history.showsActivity(c, after: T, within: horizon))
  }

  /// A customer-period at risk in a stage where some action is eligible;
  /// plain ones (neither churn nor a treatment still working) kept while
  /// their draw is below the running bound of their rate.
  private mutating func addPeriod(_ id: String, _ c: Int, _ T: Int64, _ features: () -> [Double]) {
    guard history.churnTime[c] > T, T + window <= history.dataEnd, admitted(features()) else { return }
    // A period in which a treatment starts is left out: the customer was
    // sure to be alive until the treatment, which would flatter it.
    guard !history.treatments[c].contains(where: { $0.time > T && $0.time <= T + window }) else { return }
    let treated = history.treatments[c].contains { $0.time > T - lookBack && $0.time <= T }
    let plain = !treated && history.churnTime[c] > T + window
    var key = SplitMix64(seed: UpliftTrainer.hash(id) ^ UInt64(bitPattern: T) ^ trainer.seed ^ 0x5EED)
    let draw = key.nextUniform()
    if plain { plainPeriods += 1 } else { otherPeriods += 1 }
    let bound = plain ? plainRateBound : otherRate
    guard bound >= 1 || draw < bound else { return }
    periodCandidates.append(PeriodCandidate(customer: id, c: c, T: T, plain: plain, draw: draw, x: features()))
  }

  /// Drops the candidates whose draws are past the rates as they stand:
  /// the final rates can only be lower.
  mutating func prune() {
    let rate = controlRate(snapshotRows)
    if rate < 1 { candidates.removeAll { $0.treatment == nil && $0.draw >= rate } }
    let plainBound = plainRateBound, other = otherRate
    if plainBound < 1 || other < 1 {
      periodCandidates.removeAll { $0.draw >= ($0.plain ? plainBound : other) }
    }
  }

  /// The treated and control rows at the final control rate; a control's
  /// outcome starts at a time drawn uniformly in the window; rows whose
  /// horizon the log does not cover are left out.
  func finishedRows() -> [UpliftTrainer.Row] {
    let rate = controlRate(snapshotRows)
    return candidates.compactMap { candidate in
      let start: Int64
      if let treatment = candidate.treatment {
        start = treatment.time
      } else {
        var key = SplitMix64(
          seed: UpliftTrainer.hash(candidate.customer) ^ UInt64(bitPattern: candidate.T) ^ trainer.seed)
        if rate < 1 {
          guard key.nextUniform() < rate else { return nil }
        }
        start = candidate.T + Int64(key.nextUniform() * Double(window))
      }
      guard start + horizon <= history.dataEnd,
        let churned = history.churned(candidate.c, from: start, horizon: horizon)
      else { return nil }
      return UpliftTrainer.Row(
        customer: candidate.customer, action: candidate.treatment?.action ?? -1, churned: churned,
        stage: candidate.stage, x: candidate.x,
        holdout: CustomerHoldout.contains(candidate.customer, fraction: trainer.holdoutFraction, seed: trainer.seed))
    }
  }

  /// The customer-periods at the final rates (weighted 1 / rate), with the
  /// treatments before each that may still work.
  func finishedPeriods() -> [UpliftTrainer.PeriodRow] {
    let other = otherRate
    let kept = Int((Double(otherPeriods) * other).rounded())
    let plainRate = Self.rate(room: max(maxControls * 3 - kept, maxControls), count: plainPeriods)
    return periodCandidates.compactMap { candidate in
      let rate = candidate.plain ? plainRate : other
      guard rate >= 1 || candidate.draw < rate else { return nil }
      let T = candidate.T
      let treatments = history.treatments[candidate.c]
        .filter { $0.time > T - lookBack && $0.time <= T }
        .map { (action: $0.action, day: Double($0.time - T) / Double(microsPerDay)) }
      return UpliftTrainer.PeriodRow(
        x: candidate.x, customer: candidate.customer, churned: history.churnTime[candidate.c] <= T + window,
        treatments: treatments,
        holdout: CustomerHoldout.contains(candidate.customer, fraction: trainer.holdoutFraction, seed: trainer.seed),
        weight: 1 / rate)
    }
  }
}
