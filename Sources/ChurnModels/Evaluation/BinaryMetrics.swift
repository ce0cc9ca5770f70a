import ChurnIO

#if canImport(Glibc)
  import Glibc
#endif

/// How well predicted churn probabilities match 0/1 outcomes: ranking (ROC
/// AUC, average precision), probabilities (log loss, Brier score),
/// calibration by decile, lift and gain in the top decile, and the confusion
/// counts at a threshold. Definitions follow scikit-learn's, and a test
/// compares every number with it.
public struct BinaryMetrics: Sendable, Codable, Equatable {
  /// One decile of the predictions, sorted by predicted probability.
  public struct CalibrationBin: Sendable, Codable, Equatable {
    public let count: Int
    public let meanPredicted: Double
    public let observedRate: Double
  }

  public let count: Int
  public let positives: Int
  /// Area under the ROC curve; tied scores count half (Mann–Whitney U).
  public let rocAUC: Double
  /// Area under the precision–recall curve as average precision:
  /// Σₙ (Rₙ − Rₙ₋₁) Pₙ over the distinct thresholds, highest first.
  public let averagePrecision: Double
  /// Mean of −[y log p + (1 − y) log(1 − p)], p clipped to [ε, 1 − ε].
  public let logLoss: Double
  /// Mean of (p − y)².
  public let brierScore: Double
  /// Ten groups by predicted probability, lowest first, the first n mod 10
  /// one row larger than the others.
  public let calibration: [CalibrationBin]
  /// Churn rate among the top 10% by score over the overall churn rate.
  public let liftTopDecile: Double
  /// Share of all churners found in the top 10% by score.
  public let gainTopDecile: Double
  /// Confusion counts with "churn" predicted when p ≥ `threshold`.
  public let threshold: Double
  public let truePositives: Int
  public let falsePositives: Int
  public let trueNegatives: Int
  public let falseNegatives: Int

  /// Computes every metric. Labels must be 0 or 1 and both present.
  public init(probabilities p: [Double], labels y: [Double], threshold: Double = 0.5) {
    precondition(p.count == y.count && !p.isEmpty, "metrics: need as many labels as predictions")
    let n = p.count
    count = n
    positives = y.reduce(0) { $0 + Int($1) }
    // Ascending by score; ties in input order.
    let order = p.indices.sorted { (p[$0], $0) < (p[$1], $1) }
    rocAUC = Self.rocAUC(p, y, order: order, positives: positives)
    averagePrecision = Self.averagePrecision(p, y, order: order, positives: positives)
    (logLoss, brierScore) = Self.probabilityLosses(p, y)
    calibration = Self.calibration(p, y, order: order)
    (liftTopDecile, gainTopDecile) = Self.topDecile(y, order: order, positives: positives)
    self.threshold = threshold
    var counts = (tp: 0, fp: 0, tn: 0, fn: 0)
    for (q, t) in zip(p, y) {
      switch (q >= threshold, t == 1) {
      case (true, true): counts.tp += 1
      case (true, false): counts.fp += 1
      case (false, false): counts.tn += 1
      case (false, true): counts.fn += 1
      }
    }
    (truePositives, falsePositives, trueNegatives, falseNegatives) = counts
  }

  /// Mann–Whitney U over the ranks, tied scores sharing their average rank.
  private static func rocAUC(_ p: [Double], _ y: [Double], order: [Int], positives: Int) -> Double {
    let n = p.count
    var rankSumPositives = 0.0
    var i = 0
    while i < n {
      var j = i
      while j + 1 < n && p[order[j + 1]] == p[order[i]] { j += 1 }
      let averageRank = Double(i + j + 2) / 2  // 1-based ranks i+1 … j+1
      for k in i...j where y[order[k]] == 1 { rankSumPositives += averageRank }
      i = j + 1
    }
    let pos = Double(positives), neg = Double(n - positives)
    return positives > 0 && positives < n ? (rankSumPositives - pos * (pos + 1) / 2) / (pos * neg) : .nan
  }

  /// Σₙ (Rₙ − Rₙ₋₁) Pₙ, walking the thresholds from the highest score down.
  private static func averagePrecision(_ p: [Double], _ y: [Double], order: [Int], positives: Int) -> Double {
    let pos = Double(positives)
    var ap = 0.0, tp = 0.0, fp = 0.0
    var previousRecall = 0.0
    var k = p.count - 1
    while k >= 0 {
      var j = k
      while j - 1 >= 0 && p[order[j - 1]] == p[order[k]] { j -= 1 }
      for m in j...k { if y[order[m]] == 1 { tp += 1 } else { fp += 1 } }
      let recall = pos > 0 ? tp / pos : 0
      ap += (recall - previousRecall) * (tp / (tp + fp))
      previousRecall = recall
      k = j - 1
    }
    return positives > 0 ? ap : .nan
  }

  /// Mean log loss (p clipped to [ε, 1 − ε]) and mean squared error.
  private static func probabilityLosses(_ p: [Double], _ y: [Double]) -> (log: Double, brier: Double) {
    let eps = Double.ulpOfOne
    var loss = 0.0
    var brier = 0.0
    for (q, t) in zip(p, y) {
      let c = min(max(q, eps), 1 - eps)
      loss -= t * log(c) + (1 - t) * log(1 - c)
      brier += (q - t) * (q - t)
    }
    return (loss / Double(p.count), brier / Double(p.count))
  }

  /// Deciles: n split into 10 consecutive groups by score, the first
  /// n mod 10 one larger (numpy's array_split).
  private static func calibration(_ p: [Double], _ y: [Double], order: [Int]) -> [CalibrationBin] {
    let n = p.count
    var bins: [CalibrationBin] = []
    var lo = 0
    for d in 0..<10 {
      let hi = lo + n / 10 + (d < n % 10 ? 1 : 0)
      defer { lo = hi }
      guard hi > lo else { continue }
      let members = order[lo..<hi]
      bins.append(
        CalibrationBin(
          count: hi - lo, meanPredicted: members.reduce(0) { $0 + p[$1] } / Double(hi - lo),
          observedRate: members.reduce(0) { $0 + y[$1] } / Double(hi - lo)))
    }
    return bins
  }

  /// Lift and gain among the top 10% by score.
  private static func topDecile(_ y: [Double], order: [Int], positives: Int) -> (lift: Double, gain: Double) {
    let n = y.count
    let pos = Double(positives)
    let top = max(1, n / 10)
    let topPositives = order.suffix(top).reduce(0) { $0 + y[$1] }
    let baseRate = pos / Double(n)
    return (baseRate > 0 ? (topPositives / Double(top)) / baseRate : .nan, pos > 0 ? topPositives / pos : .nan)
  }

  /// The metrics as aligned text.
  public func renderText(title: String) -> String {
    func f(_ v: Double) -> String { v.isNaN ? "n/a" : String(format: "%.4f", v) }
    var out = "\(title): \(count) rows, \(positives) churned (rate \(f(Double(positives) / Double(count))))\n"
    out += "  ROC AUC \(f(rocAUC))   PR AUC (average precision) \(f(averagePrecision))\n"
    out += "  log loss \(f(logLoss))   Brier \(f(brierScore))\n"
    out += "  top decile: lift \(f(liftTopDecile)), gain \(f(gainTopDecile))\n"
    out +=
      "  at p ≥ \(threshold): TP \(truePositives)  FP \(falsePositives)  TN \(trueNegatives)  FN \(falseNegatives)\n"
    out += "  calibration by decile (mean predicted → observed):"
    for b in calibration {
      out += " \(String(format: "%.3f", b.meanPredicted))→\(String(format: "%.3f", b.observedRate))"
    }
    return out + "\n"
  }
}

#if canImport(Foundation)
  import Foundation
#endif
