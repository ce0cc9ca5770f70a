import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// Writes scores as CSV or JSON Lines, formatted in parallel blocks and
/// written in order, and summarises the run.
public enum ScoreFormat: String, Sendable, CaseIterable {
  case csv
  case jsonl

  /// The CSV header line (JSON Lines has none); with next-best-action
  /// columns when the model has an uplift part.
  func header(actions: Bool, extra: [String] = []) -> String? {
    guard self == .csv else { return nil }
    var header = ["customer_id", "as_of", "churn_probability", "risk_band", "stage"]
    for k in 1...3 { header += ["reason_\(k)", "reason_\(k)_value", "reason_\(k)_contribution", "reason_\(k)_text"] }
    if actions {
      header += [
        "next_best_action", "expected_uplift", "expected_net_value", "expected_net_value_se", "customer_value",
        "customer_value_se", "reachable", "runner_up_action", "action_reason",
      ]
    }
    header += extra.map { CSVFormatting.escape($0) }
    return header.joined(separator: ",") + "\n"
  }
}

extension ChurnScorer.Run {
  /// Hands the scores' bytes to `write`, in order, formatted on all cores
  /// a block of rows at a time; returns their tally (for the summary).
  /// CSV text fields a spreadsheet would run as a formula get a leading `'`
  /// unless `neutralisingFormulas` is false.
  @discardableResult
  public func write<E: Error>(
    format: ScoreFormat, neutralisingFormulas: Bool = true, extra: ExtraScoreColumns? = nil,
    _ write: ([UInt8]) throws(E) -> Void
  ) throws(E) -> ScoreTally {
    if let header = format.header(actions: model.uplift != nil, extra: extra?.names ?? []) {
      try write(Array(header.utf8))
    }
    var writer = ScoreWriter(scorer, format: format, neutralisingFormulas: neutralisingFormulas)
    writer.extra = extra
    let asOf = self.asOf.description
    let rows = features.rows.count
    let blockSize = 2048
    let blocks = (rows + blockSize - 1) / blockSize
    var tally = ScoreTally(model: model)
    for first in stride(from: 0, to: blocks, by: 8) {
      let scored = concurrentMap(min(8, blocks - first)) { b in
        let start = (first + b) * blockSize
        var source = FeatureSetRows(features, rows: start..<min(start + blockSize, rows), asOf: asOf)
        return scorePiece(&source, scorer: scorer, writer: writer)
      }
      for piece in scored {
        try write(piece.bytes)
        tally.merge(piece.tally)
      }
    }
    return tally
  }

  /// Scores, bands and drift of the whole run.
  public func summary() -> ScoreSummary { ScoreSummary(self) }
}

/// JSON text for strings and numbers written by hand.
enum JSONText {
  /// A JSON string literal: quotes, backslashes and control characters escaped.
  static func string(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 || scalar == "\u{2028}" || scalar == "\u{2029}" {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// A JSON number (non-finite values, which JSON lacks, as null).
  static func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
}

/// Running totals of a scoring run in constant memory per feature: the
/// probabilities (for percentiles), the risk bands, and every feature's
/// count per reference bin (for drift).
public struct ScoreTally: Sendable {
  public let model: ChurnModel
  public private(set) var probabilities: [Double] = []
  public private(set) var bands = [Int](repeating: 0, count: 10)
  /// Rows per bin of the training score's deciles (for the score's drift),
  /// counted as rows are scored, on every core.
  public private(set) var scoreBinCounts: [Int]
  /// Per feature, rows per bin of its training deciles.
  public var binCounts: [[Double]] {
    (0..<offsets.count - 1).map { j in
      var bins = counts[offsets[j]..<offsets[j + 1]].map(Double.init)
      if masks.isFast {
        // Zeros were not counted one by one: every row not counted otherwise.
        let counted = counts[offsets[j]..<offsets[j + 1]].reduce(0, +) + nanCounts[j]
        bins[masks.zeroBin[j]] += Double(probabilities.count - counted)
      }
      return bins
    }
  }
  /// Every feature's cut points back to back (feature j's from
  /// `cutStart[j]` to `cutStart[j + 1]`), and its counts likewise at
  /// `offsets[j]`: flat, so the per-row tally touches no nested array.
  private let cuts: [Double]
  private let cutStart: [Int]
  private let offsets: [Int]
  private var counts: [Int]
  /// Values that were NaN, per feature (not in any bin).
  private var nanCounts: [Int]
  private let masks: Masks

  /// Most feature values are 0, and a 0's bin is fixed per feature: a row
  /// counts only its non-zero values, found as a bit mask, and the zeros
  /// are what is left at the end. Features are grouped by how many cuts they
  /// have — 1 (flags), up to 4, up to 9 — and padded with +∞ to the group's
  /// width, so a value's bin is a loop of fixed length without branches.
  /// Only for models whose features have at most nine cuts each (decile cuts
  /// are at most nine). Masks are per word of 64 features.
  private struct Masks {
    var isFast = false
    var flags: [UInt64] = []
    var fours: [UInt64] = []
    var nines: [UInt64] = []
    /// Feature j's cuts at `9j…`, padded with +∞.
    var paddedCuts: [Double] = []
    /// The bin a 0 falls in, per feature.
    var zeroBin: [Int] = []
  }

  public init(model: ChurnModel) {
    self.model = model
    scoreBinCounts = [Int](repeating: 0, count: model.reference.score.shares.count)
    let references = model.reference.features
    cuts = references.flatMap(\.cuts)
    var start = [0], offset = [0]
    for r in references {
      start.append(start.last! + r.cuts.count)
      offset.append(offset.last! + r.shares.count)
    }
    cutStart = start
    offsets = offset
    counts = [Int](repeating: 0, count: offset.last!)
    nanCounts = [Int](repeating: 0, count: references.count)
    var m = Masks()
    if references.allSatisfy({ $0.cuts.count <= 9 }) {
      m.isFast = true
      let words = (references.count + 63) / 64
      (m.flags, m.fours, m.nines) = (
        [UInt64](repeating: 0, count: words), [UInt64](repeating: 0, count: words), [UInt64](repeating: 0, count: words)
      )
      for (j, r) in references.enumerated() {
        let bit: UInt64 = 1 << UInt64(j % 64)
        if r.cuts.count <= 1 {
          m.flags[j / 64] |= bit
        } else if r.cuts.count <= 4 {
          m.fours[j / 64] |= bit
        } else {
          m.nines[j / 64] |= bit
        }
        m.paddedCuts += r.cuts + [Double](repeating: .infinity, count: 9 - r.cuts.count)
        m.zeroBin.append(r.bin(0))
      }
    }
    masks = m
  }

  public mutating func add(values: [Double], score: ChurnScorer.Score) {
    add(values: values, probability: score.probability, riskBand: score.riskBand)
  }

  mutating func add(values: [Double], probability: Double, riskBand: Int) {
    probabilities.append(probability)
    bands[riskBand - 1] += 1
    if !probability.isNaN { scoreBinCounts[model.reference.score.bin(probability)] += 1 }
    var counts = self.counts
    self.counts = []
    defer { self.counts = counts }
    if masks.isFast {
      for word in masks.flags.indices {
        let base = 64 * word
        var nonzero: UInt64 = 0
        // NaN ≠ 0
        for j in base..<min(base + 64, values.count) { nonzero |= (values[j] != 0 ? 1 : 0) << UInt64(j - base) }
        var nonFinite: UInt64 = 0
        do {
          let cuts = masks.paddedCuts.span
          nonFinite |= count(nonzero & masks.flags[word], base: base, width: 1, values, cuts, &counts)
          nonFinite |= count(nonzero & masks.fours[word], base: base, width: 4, values, cuts, &counts)
          nonFinite |= count(nonzero & masks.nines[word], base: base, width: 9, values, cuts, &counts)
        }
        while nonFinite != 0 {
          let j = base + nonFinite.trailingZeroBitCount
          nonFinite &= nonFinite &- 1
          let v = values[j]
          if v.isNaN { nanCounts[j] += 1 } else { counts[offsets[j] + model.reference.features[j].bin(v)] += 1 }
        }
      }
      return
    }
    for j in values.indices {
      let v = values[j]
      if v.isNaN {
        nanCounts[j] += 1
        continue
      }
      // The bin: the number of cuts below v (cuts[k−1] < v ≤ cuts[k]).
      var bin = 0
      for k in cutStart[j]..<cutStart[j + 1] { bin &+= v > cuts[k] ? 1 : 0 }
      counts[offsets[j] + bin] += 1
    }
  }

  /// Counts the bin of the value of each feature in `features` (a bit
  /// mask of features `base…base + 63`); returns the features whose value
  /// is not finite, uncounted.
  @inline(__always)
  private func count(
    _ features: UInt64, base: Int, width: Int, _ values: [Double], _ cuts: Span<Double>, _ counts: inout [Int]
  ) -> UInt64 {
    var nonFinite: UInt64 = 0
    var rest = features
    while rest != 0 {
      let bit = rest.trailingZeroBitCount
      rest &= rest &- 1
      let j = base + bit
      let v = values[j]
      guard v.isFinite else {
        nonFinite |= 1 << UInt64(bit)
        continue
      }
      // cut < v exactly when cut − v is negative (both finite, or the cut
      // +∞): its sign bit, added up, counts the cuts below v.
      var bin: UInt64 = 0
      for k in 0..<width { bin &+= (cuts[9 * j + k] - v).bitPattern >> 63 }
      counts[offsets[j] + Int(bin)] += 1
    }
    return nonFinite
  }

  /// Adds another tally's rows (after this one's).
  public mutating func merge(_ other: ScoreTally) {
    probabilities += other.probabilities
    for k in 0..<10 { bands[k] += other.bands[k] }
    for k in scoreBinCounts.indices { scoreBinCounts[k] += other.scoreBinCounts[k] }
    for i in counts.indices { counts[i] += other.counts[i] }
    for j in nanCounts.indices { nanCounts[j] += other.nanCounts[j] }
  }
}

/// What `churnkit score --json` reports.
public struct ScoreSummary: Sendable, Codable {
  public struct Drift: Sendable, Codable, Equatable {
    public let name: String
    public let stabilityIndex: Double
    public let shifted: Bool
    /// A feature that grows with the calendar by construction (tenure, days
    /// since a customers-table date): a later batch moves it without any
    /// change in behaviour, so it is never counted as shifted; nil: false.
    public var movesWithCalendar: Bool?
  }

  /// Features that grow with the calendar by construction: the tenure and
  /// the customers table's dates, measured in days to the cutoff.
  static func movesWithCalendar(_ name: String, spec: FeatureSpec?) -> Bool {
    name == "days_since_first_event"
      || (spec?.staticEncodings ?? []).contains { $0.kind == .date && $0.column + "_days" == name }
  }

  public let asOf: String
  public let rows: Int
  public let meanProbability: Double
  /// 10th, 50th and 90th percentiles of the probabilities.
  public let percentiles: [Double]
  /// Customers per risk band, band 1 (lowest) first.
  public let bandCounts: [Int]
  /// Population stability index of the score and of every feature against
  /// training; shifted when above 0.2.
  public let scoreDrift: Drift
  public let featureDrift: [Drift]
  /// Static-attribute values the model had not seen (mapped to `_other`),
  /// and values missing and imputed, over the scored customers.
  public let unseenCategories: Int
  public let imputedValues: Int
  public let customersWithoutAttributes: Int

  init(_ run: ChurnScorer.Run) {
    var tally = ScoreTally(model: run.model)
    let scorer = ChurnScorer(model: run.model)
    for row in run.features.rows {
      let values = run.features.values(of: row)
      tally.add(values: values, score: scorer.score(row: row, values: values))
    }
    self.init(tally, asOf: run.asOf.description, staticCounts: run.features.staticInputCounts())
  }

  /// The summary of a tally, worked out on a second core while `work` runs
  /// — committing the score file, whose fsync and rename wait on the disk —
  /// so the two do not add up.
  ///
  /// ```swift
  /// let summary = try ScoreSummary(tally, asOf: "2025-06-30", beside: { try writer.commit() })
  /// ```
  public init(_ tally: ScoreTally, asOf: String, beside work: () throws -> Void) throws {
    self = try concurrently({ ScoreSummary(tally, asOf: asOf) }, work).0
  }

  /// The summary of a tally of scored rows.
  public init(_ tally: ScoreTally, asOf: String, staticCounts: (Int, Int, Int) = (0, 0, 0)) {
    let model = tally.model
    self.asOf = asOf
    rows = tally.probabilities.count
    meanProbability = rows == 0 ? .nan : tally.probabilities.reduce(0, +) / Double(rows)
    // The 10th, 50th and 90th: the values at those ranks of the sorted
    // scores, found by selection rather than by sorting them all.
    var scores = tally.probabilities
    let n = scores.count
    percentiles =
      n == 0
      ? [.nan, .nan, .nan]
      : Quantiles.orderStatistics(&scores, ranks: [0.1, 0.5, 0.9].map { min(n - 1, Int($0 * Double(n))) })
    bandCounts = tally.bands
    let scorePSI = model.reference.score.stabilityIndex(counts: tally.scoreBinCounts.map(Double.init))
    scoreDrift = Drift(name: "churn_probability", stabilityIndex: scorePSI, shifted: scorePSI > 0.2)
    featureDrift = model.features.indices.map { j in
      let psi = model.reference.features[j].stabilityIndex(counts: tally.binCounts[j])
      guard ScoreSummary.movesWithCalendar(model.features[j], spec: model.featureSpec) else {
        return Drift(name: model.features[j], stabilityIndex: psi, shifted: psi > 0.2)
      }
      return Drift(name: model.features[j], stabilityIndex: psi, shifted: false, movesWithCalendar: true)
    }
    (unseenCategories, imputedValues, customersWithoutAttributes) = staticCounts
  }

  /// The summary as text for a terminal.
  public func renderText() -> String {
    func f(_ v: Double) -> String { String(format: "%.4f", v) }
    var out = "Scored \(rows) customers as of \(asOf): mean churn probability \(f(meanProbability))"
    out += " (p10 \(f(percentiles[0])), median \(f(percentiles[1])), p90 \(f(percentiles[2])))\n"
    out +=
      "  customers per risk band (1 = lowest … 10 = highest): \(bandCounts.map(String.init).joined(separator: " "))\n"
    out +=
      "  score drift against training: PSI \(f(scoreDrift.stabilityIndex))\(scoreDrift.shifted ? " — SHIFTED" : "")\n"
    let shifted = featureDrift.filter(\.shifted)
    if shifted.isEmpty {
      out += "  no feature's distribution has shifted (PSI ≤ 0.2)\n"
    } else {
      out += "  features whose distribution has shifted (PSI > 0.2): "
      out +=
        shifted.sorted { $0.stabilityIndex > $1.stabilityIndex }.prefix(10)
        .map { "\($0.name) \(f($0.stabilityIndex))" }.joined(separator: ", ") + "\n"
    }
    let calendar = featureDrift.filter { $0.movesWithCalendar == true && $0.stabilityIndex > 0.2 }
    if !calendar.isEmpty {
      out += "  moved with the calendar, as expected for a later batch (not counted as shifts): "
      out += calendar.map { "\($0.name) \(f($0.stabilityIndex))" }.joined(separator: ", ") + "\n"
    }
    if unseenCategories + imputedValues + customersWithoutAttributes > 0 {
      out += "  static attributes: \(unseenCategories) unseen categories, \(imputedValues) imputed values, "
      out += "\(customersWithoutAttributes) customers not in the customers table\n"
    }
    return out
  }
}
