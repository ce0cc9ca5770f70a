import ChurnIO

/// How likely a customer who has gone quiet is still there to be reached:
/// the share of customers in the same stage, silent as long, who showed any
/// activity of their own (any event but an action received) within the
/// horizon after a past snapshot. A prospect who has been silent for half a
/// year has almost certainly left without a churn event; an action cannot
/// keep them, so their expected gain is scaled by this chance.
///
/// Silence is the days since the customer's last event of their own: the
/// smallest `days_since_last_<type>` over the log's event types that are
/// not actions (`days_since_last_event` when there are no per-type
/// columns). Shares are per stage and silence bin, from the uplift
/// training's snapshot rows. A cell with fewer than `minimumRows` rows takes
/// the share of the stage's nearest shorter silence that has enough (a
/// longer silence is no likelier to end: paying customers who are never
/// silent long are not judged by prospects who are); a customer without a
/// stage takes the bin's share over every row; where nothing has enough
/// rows the chance is 1 (no evidence of leaving).
///
/// ```swift
/// let reach = model.reachability?.probability(silenceDays: 120, stage: 0) ?? 1
/// ```
public struct Reachability: Sendable, Codable, Equatable {
  /// Upper ends (exclusive, days) of the silence bins; the last bin is open.
  public static let binEnds: [Double] = [7, 14, 30, 60, 90, 180, 365]
  public static let minimumRows = 20

  /// The window activity is looked for in after each snapshot (the horizon).
  public var horizonDays: Int
  /// The feature columns whose smallest value is the silence.
  public var silenceFeatures: [String]
  /// Per stage of the spec, per bin: snapshot rows, and of them with activity.
  public var rows: [[Int]]
  public var active: [[Int]]
  /// Per bin, over every row (staged or not).
  public var pooledRows: [Int]
  public var pooledActive: [Int]

  /// The bin of a silence of `days`.
  public static func bin(silenceDays days: Double) -> Int {
    binEnds.firstIndex { days < $0 } ?? binEnds.count
  }

  /// "0–7", "7–14", …, "365+" (days).
  public static func binLabel(_ b: Int) -> String {
    b == binEnds.count
      ? "\(Int(binEnds[b - 1]))+" : "\(b == 0 ? 0 : Int(binEnds[b - 1]))–\(Int(binEnds[b]))"
  }

  /// Tallies snapshot rows: each with its stage (nil: none), silence and
  /// whether the customer showed activity within the horizon after it.
  public init(
    stages: Int, horizonDays: Int, silenceFeatures: [String],
    observations: some Sequence<(stage: Int?, silenceDays: Double, active: Bool)>
  ) {
    let bins = Self.binEnds.count + 1
    self.horizonDays = horizonDays
    self.silenceFeatures = silenceFeatures
    rows = Array(repeating: Array(repeating: 0, count: bins), count: stages)
    active = rows
    pooledRows = Array(repeating: 0, count: bins)
    pooledActive = pooledRows
    for o in observations { add(stage: o.stage, silenceDays: o.silenceDays, active: o.active) }
  }

  /// Tallies one more snapshot row.
  public mutating func add(stage: Int?, silenceDays: Double, active isActive: Bool) {
    let b = Self.bin(silenceDays: silenceDays)
    let hit = isActive ? 1 : 0
    pooledRows[b] += 1
    pooledActive[b] += hit
    if let s = stage {
      rows[s][b] += 1
      active[s][b] += hit
    }
  }

  /// The share for a stage and bin (nil: too few rows, so the pooled one).
  public func share(stage s: Int, bin b: Int) -> Double? {
    rows[s][b] >= Self.minimumRows ? Double(active[s][b]) / Double(rows[s][b]) : nil
  }

  /// The share over every stage for a bin (nil: too few rows).
  public func pooledShare(bin b: Int) -> Double? {
    pooledRows[b] >= Self.minimumRows ? Double(pooledActive[b]) / Double(pooledRows[b]) : nil
  }

  /// The chance a customer of `stage`, silent for `silenceDays`, is reachable.
  public func probability(silenceDays: Double, stage: Int?) -> Double {
    let b = Self.bin(silenceDays: silenceDays)
    guard let s = stage, s < rows.count else { return pooledShare(bin: b) ?? 1 }
    return (0...b).reversed().lazy.compactMap { share(stage: s, bin: $0) }.first ?? 1
  }

  /// Why the tally cannot be used with `stages` stages (nil: it can): a
  /// model file edited or truncated by hand.
  public func shapeProblem(stages: Int) -> String? {
    let bins = Self.binEnds.count + 1
    guard rows.count == stages, active.count == stages else {
      return "reachability: \(rows.count) stages of counts for \(stages) stages"
    }
    guard (rows + active + [pooledRows, pooledActive]).allSatisfy({ $0.count == bins }) else {
      return "reachability: every stage needs \(bins) silence bins"
    }
    guard zip(rows.joined(), active.joined()).allSatisfy({ 0 <= $1 && $1 <= $0 }),
      zip(pooledRows, pooledActive).allSatisfy({ 0 <= $1 && $1 <= $0 })
    else { return "reachability: active counts must lie between 0 and the rows" }
    return nil
  }

  /// The silence of a feature vector: the smallest of the silence columns.
  public static func silenceDays(_ x: [Double], columns: [Int]) -> Double {
    columns.reduce(Double.infinity) { min($0, x[$1]) }
  }

  /// Positions of `silenceFeatures` among `names`.
  public func columns(in names: [String]) throws(UpliftError) -> [Int] {
    try silenceFeatures.map { f throws(UpliftError) in
      guard let j = names.firstIndex(of: f) else { throw .missingFeature(f, use: .reachability) }
      return j
    }
  }

  /// The columns a feature set's silence is read from: every
  /// `days_since_last_<type>` of a type that is not an action, else
  /// `days_since_last_event`; nil when neither is there.
  public static func silenceFeatures(in names: [String], actions: [String]) -> [String]? {
    let own = names.filter { name in
      name.hasPrefix("days_since_last_") && name != "days_since_last_event"
        && !actions.contains(String(name.dropFirst("days_since_last_".count)))
    }
    if !own.isEmpty { return own }
    return actions.isEmpty && names.contains("days_since_last_event") ? ["days_since_last_event"] : nil
  }

  /// Per stage, one line of its shares by silence, e.g. "awareness: 0–7 d
  /// 92%, 7–14 d 61%, … (n = 4812)"; cells with too few rows say so.
  public func lines(stageNames: [String]) -> [String] {
    let staged = stageLines(stageNames)
    guard staged.isEmpty else { return staged }
    let cells = pooledRows.indices.compactMap { b -> String? in
      guard pooledRows[b] > 0 else { return nil }
      let figure =
        pooledShare(bin: b).map { NumberText.percent($0, 0) } ?? "too few rows (\(pooledRows[b])): taken as 100%"
      return "\(Self.binLabel(b)) d \(figure)"
    }
    return ["every customer (no stages): " + cells.joined(separator: ", ") + " (n = \(pooledRows.reduce(0, +)))"]
  }

  private func stageLines(_ stageNames: [String]) -> [String] {
    stageNames.indices.compactMap { s in
      let n = rows[s].reduce(0, +)
      guard n > 0 else { return nil }
      let cells = rows[s].indices.compactMap { b -> String? in
        guard rows[s][b] > 0 else { return nil }
        let figure =
          share(stage: s, bin: b).map { NumberText.percent($0, 0) } ?? "too few rows (\(rows[s][b])), as shorter"
        return "\(Self.binLabel(b)) d \(figure)"
      }
      return "\(stageNames[s]): " + cells.joined(separator: ", ") + " (n = \(n))"
    }
  }
}
