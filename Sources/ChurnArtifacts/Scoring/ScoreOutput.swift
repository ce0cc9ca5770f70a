import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels
import Dispatch
import Foundation

/// Writes scores as CSV or JSON Lines, formatted in parallel blocks and
/// written in order, and summarises the run.
public enum ScoreFormat: String, Sendable, CaseIterable {
  case csv
  case jsonl

  /// The CSV header line (JSON Lines has none); with next-best-action
  /// columns when the model has an uplift part.
  func header(actions: Bool) -> String? {
    guard self == .csv else { return nil }
    var header = ["customer_id", "as_of", "churn_probability", "risk_band", "stage"]
    for k in 1...3 { header += ["reason_\(k)", "reason_\(k)_value", "reason_\(k)_contribution", "reason_\(k)_text"] }
    if actions {
      header += ["next_best_action", "expected_uplift", "expected_net_value", "runner_up_action", "action_reason"]
    }
    return header.joined(separator: ",") + "\n"
  }

  /// The columns of a scored row after `customer_id,as_of,` as CSV
  /// bytes, newline included (the caller writes the two key fields, as they
  /// came, so no `String` is made per row).
  static func appendCSVColumns<Sink: ByteSink & ~Copyable>(
    _ e: ChurnScorer.Evaluation, values: [Double], action: ChurnScorer.ActionChoice?, scorer: ChurnScorer,
    to out: inout Sink
  ) {
    let comma = UInt8(ascii: ",")
    CSVFormatting.appendShortest(e.probability, to: &out)
    out.append(comma)
    CSVFormatting.appendInteger(Int64(e.riskBand), to: &out)
    out.append(comma)
    if e.stage >= 0 { scorer.csvStageNames.append(e.stage, to: &out) }
    for k in 0..<3 {
      out.append(comma)
      guard k < e.reasonCount else {
        out.append(comma)
        out.append(comma)
        out.append(comma)
        continue
      }
      let j = e.reason(k)
      scorer.csvFeatureNames.append(j, to: &out)
      out.append(comma)
      CSVFormatting.appendNumber(values[j], to: &out)
      out.append(comma)
      CSVFormatting.appendShortest(e.contributions[j], to: &out)
      out.append(comma)
      // The sentence always holds a comma: quoted; only the value varies.
      scorer.csvSentenceOpenings.append(j, to: &out)
      FeaturePhrases.appendFormatted(values[j], never: scorer.neverValues[j], to: &out)
      scorer.csvSentenceClosings.append(j, to: &out)
    }
    if let a = action {
      out.append(comma)
      out.append(contentsOf: Array(CSVFormatting.escape(a.best).utf8))
      out.append(comma)
      CSVFormatting.appendShortest(a.uplift, to: &out)
      out.append(comma)
      CSVFormatting.appendShortest(a.netValue, to: &out)
      out.append(comma)
      if let r = a.runnerUp { out.append(contentsOf: Array(CSVFormatting.escape(r).utf8)) }
      out.append(comma)
      out.append(contentsOf: Array(CSVFormatting.escape(a.reason).utf8))
    }
    out.append(UInt8(ascii: "\n"))
  }

  /// One score as a JSON line.
  static func appendJSONLine<Sink: ByteSink & ~Copyable>(_ s: ChurnScorer.Score, asOf: String, to out: inout Sink) {
    var line = "{\"customer_id\":\(JSONText.string(s.customerID)),\"as_of\":\(JSONText.string(asOf))"
    line += ",\"churn_probability\":\(s.probability),\"risk_band\":\(s.riskBand)"
    line += ",\"stage\":\(s.stage.map(JSONText.string) ?? "null"),\"reasons\":["
    line += s.reasons.map { r in
      "{\"feature\":\(JSONText.string(r.feature)),\"value\":\(JSONText.number(r.value)),\"typical\":\(JSONText.number(r.typical)),\"contribution\":\(JSONText.number(r.contribution)),\"text\":\(JSONText.string(r.text))}"
    }.joined(separator: ",")
    line += "]"
    if let a = s.action {
      line += ",\"next_best_action\":\(JSONText.string(a.best)),\"expected_uplift\":\(JSONText.number(a.uplift))"
      line +=
        ",\"expected_net_value\":\(JSONText.number(a.netValue)),\"runner_up_action\":\(a.runnerUp.map(JSONText.string) ?? "null")"
      line += ",\"action_reason\":\(JSONText.string(a.reason))"
    }
    line += "}\n"
    out.append(contentsOf: Array(line.utf8))
  }
}

extension ChurnScorer.Run {
  /// Hands the scores' bytes to `write`, in order.
  public func write<E: Error>(format: ScoreFormat, _ write: ([UInt8]) throws(E) -> Void) throws(E) {
    if let header = format.header(actions: model.uplift != nil) { try write(Array(header.utf8)) }
    let rows = features.rows.count
    let blockSize = 2048
    let blocks = (rows + blockSize - 1) / blockSize
    for first in stride(from: 0, to: blocks, by: 8) {
      let count = min(8, blocks - first)
      let slots = (0..<count).map { _ in ByteSlot() }
      DispatchQueue.concurrentPerform(iterations: count) { b in
        let start = (first + b) * blockSize
        slots[b].bytes = self.bytes(rows: start..<min(start + blockSize, rows), format: format)
      }
      for slot in slots { try write(slot.bytes) }
    }
  }

  private func bytes(rows range: Range<Int>, format: ScoreFormat) -> [UInt8] {
    var out: [UInt8] = []
    let asOfText = asOf.description
    let asOfField = Array(("," + CSVFormatting.escape(asOfText) + ",").utf8)
    var evaluation = scorer.makeEvaluation()
    for i in range {
      let row = features.rows[i]
      let values = features.values(of: row)
      switch format {
      case .csv:
        scorer.evaluate(values, into: &evaluation)
        out.append(contentsOf: CSVFormatting.escape(row.customerID).utf8)
        out.append(contentsOf: asOfField)
        ScoreFormat.appendCSVColumns(
          evaluation, values: values, action: scorer.action(values), scorer: scorer, to: &out)
      case .jsonl:
        ScoreFormat.appendJSONLine(score(i), asOf: asOfText, to: &out)
      }
    }
    return out
  }

  /// Scores, bands and drift of the whole run.
  public func summary() -> ScoreSummary { ScoreSummary(self) }
}

private final class ByteSlot: @unchecked Sendable {
  var bytes: [UInt8] = []
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
    final class Outcome: @unchecked Sendable {
      var summary: ScoreSummary?
      var error: (any Error)?
    }
    struct Work: @unchecked Sendable { let run: () throws -> Void }
    let outcome = Outcome()
    withoutActuallyEscaping(work) { work in
      let job = Work(run: work)
      DispatchQueue.concurrentPerform(iterations: 2) { i in
        if i == 0 {
          outcome.summary = ScoreSummary(tally, asOf: asOf)
        } else {
          do { try job.run() } catch { outcome.error = error }
        }
      }
    }
    if let error = outcome.error { throw error }
    self = outcome.summary!
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
