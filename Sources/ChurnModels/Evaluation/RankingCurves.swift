import Foundation

/// The curves of a binary score on labelled data, walked once from the
/// highest score down (ties taken together): ROC, precision–recall and
/// cumulative gains, with the AUC's DeLong interval, the expected
/// calibration error and the threshold that pays best for given costs.
public struct RankingCurves: Sendable, Codable, Equatable {
  /// One threshold: everyone scoring at least `threshold` is flagged.
  public struct Point: Sendable, Codable, Equatable {
    public let threshold: Double
    public let flagged: Int
    public let truePositives: Int
    public let falsePositives: Int
  }

  public let count: Int
  public let positives: Int
  /// From the highest threshold (few flagged) to the lowest (all flagged).
  public let points: [Point]
  public let rocAUC: Double
  /// DeLong's standard error of the AUC (DeLong, DeLong & Clarke-Pearson 1988).
  public let aucStandardError: Double
  /// Σ over deciles of |mean predicted − observed| weighted by their size.
  public let expectedCalibrationError: Double

  public init(probabilities p: [Double], labels y: [Double], calibration: [BinaryMetrics.CalibrationBin]) {
    precondition(p.count == y.count && !p.isEmpty, "curves: need as many labels as predictions")
    count = p.count
    positives = y.reduce(0) { $0 + Int($1) }
    let order = p.indices.sorted { (p[$0], $0) > (p[$1], $1) }
    var points: [Point] = []
    var tp = 0, fp = 0, i = 0
    while i < order.count {
      var j = i
      while j < order.count && p[order[j]] == p[order[i]] {
        if y[order[j]] == 1 { tp += 1 } else { fp += 1 }
        j += 1
      }
      points.append(Point(threshold: p[order[i]], flagged: j, truePositives: tp, falsePositives: fp))
      i = j
    }
    self.points = points
    (rocAUC, aucStandardError) = Self.delong(p, y)
    expectedCalibrationError =
      calibration.reduce(0) { $0 + Double($1.count) * abs($1.meanPredicted - $1.observedRate) } / Double(p.count)
  }

  public var negatives: Int { count - positives }

  /// The AUC's 95% interval, AUC ± 1.96 SE, within [0, 1].
  public var aucInterval: (lower: Double, upper: Double) {
    (max(0, rocAUC - 1.96 * aucStandardError), min(1, rocAUC + 1.96 * aucStandardError))
  }

  /// The share of churners among the `share` of customers scored highest
  /// (ties at the boundary shared out in proportion).
  public func gain(atShare share: Double) -> Double {
    guard positives > 0 else { return .nan }
    let target = share * Double(count)
    var previous = (flagged: 0, tp: 0)
    for point in points {
      if Double(point.flagged) >= target {
        let width = Double(point.flagged - previous.flagged)
        let fraction = width > 0 ? (target - Double(previous.flagged)) / width : 0
        let tp = Double(previous.tp) + fraction * Double(point.truePositives - previous.tp)
        return tp / Double(positives)
      }
      previous = (point.flagged, point.truePositives)
    }
    return 1
  }

  /// The threshold maximising `savedValue` × churners flagged −
  /// `contactCost` × customers flagged, and that return; nil when flagging
  /// nobody pays best.
  public func bestThreshold(contactCost: Double, savedValue: Double) -> (point: Point, value: Double)? {
    var best: (Point, Double)? = nil
    for point in points {
      let value = savedValue * Double(point.truePositives) - contactCost * Double(point.flagged)
      if value > (best?.1 ?? 0) { best = (point, value) }
    }
    return best
  }

  /// The AUC by midranks and its DeLong standard error: the variance of the
  /// structural components V₁₀ (per churner: the share of non-churners it
  /// outranks) and V₀₁ (per non-churner: the share of churners above it).
  static func delong(_ p: [Double], _ y: [Double]) -> (auc: Double, standardError: Double) {
    let positive = p.indices.filter { y[$0] == 1 }.map { p[$0] }
    let negative = p.indices.filter { y[$0] != 1 }.map { p[$0] }
    let m = Double(positive.count), n = Double(negative.count)
    guard m > 0, n > 0 else { return (.nan, .nan) }
    let all = midranks(positive + negative)
    let withinPositive = midranks(positive), withinNegative = midranks(negative)
    // V₁₀ᵢ = (rank of churner i among all − its rank among churners) / n.
    let v10 = positive.indices.map { (all[$0] - withinPositive[$0]) / n }
    // V₀₁ⱼ = 1 − (rank of non-churner j among all − among non-churners) / m.
    let v01 = negative.indices.map { 1 - (all[positive.count + $0] - withinNegative[$0]) / m }
    let auc = v10.reduce(0, +) / m
    return (auc, (SampleMoments.variance(v10) / m + SampleMoments.variance(v01) / n).squareRoot())
  }

  /// 1-based ranks, ties sharing their average.
  static func midranks(_ x: [Double]) -> [Double] {
    let order = x.indices.sorted { x[$0] < x[$1] }
    var ranks = [Double](repeating: 0, count: x.count)
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
      for k in i...j { ranks[order[k]] = Double(i + j + 2) / 2 }
      i = j + 1
    }
    return ranks
  }
}
