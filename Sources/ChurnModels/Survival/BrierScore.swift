/// Graf's integrated Brier score of survival predictions on held-out
/// customers: at each time t, the mean squared gap between the predicted
/// survival and what happened, each customer weighted by the inverse
/// probability of still being followed (the censoring's Kaplan–Meier,
/// estimated on the training customers), then averaged over the times by
/// the trapezoid rule. 0 is perfect; as scikit-survival's
/// `integrated_brier_score` computes it.
///
/// At time t a customer who churned by t counts S(t)² / G(their time), one
/// still followed after t counts (1 − S(t))² / G(t), one censored by t
/// counts nothing; a weight with G = 0 counts nothing (scikit-survival's
/// convention).
public struct IntegratedBrierScore: Sendable, Equatable, Codable {
  /// The times, increasing, and the Brier score at each.
  public let times: [Double]
  public let scores: [Double]
  /// The trapezoid average of `scores` over `times`.
  public let integrated: Double

  /// nil with fewer than two times.
  public init?(
    training: (durations: [Double], churned: [Bool]), durations: [Double], churned: [Bool], times: [Double],
    survival: (_ customer: Int, _ time: Double) -> Double
  ) {
    guard times.count >= 2 else { return nil }
    let censoring = CensoringCurve(durations: training.durations, churned: training.churned)
    let weightAtOwnTime = durations.map { censoring.inverse(at: $0) }
    var scores: [Double] = []
    for t in times {
      let weightAtT = censoring.inverse(at: t)
      var sum = 0.0
      for i in durations.indices {
        let s = survival(i, t)
        if durations[i] <= t && churned[i] {
          sum += s * s * weightAtOwnTime[i]
        } else if durations[i] > t {
          sum += (1 - s) * (1 - s) * weightAtT
        }
      }
      scores.append(sum / Double(durations.count))
    }
    var area = 0.0
    for k in 1..<times.count { area += (scores[k] + scores[k - 1]) / 2 * (times[k] - times[k - 1]) }
    self.times = times
    self.scores = scores
    integrated = area / (times.last! - times[0])
  }
}

/// The Kaplan–Meier estimate of still being followed (not yet censored),
/// churns at a tied time taken to come before the censorings.
private struct CensoringCurve {
  var times: [Double] = []
  var values: [Double] = []

  init(durations: [Double], churned: [Bool]) {
    var censored: [Double: Int] = [:]
    for (d, c) in zip(durations, churned) where !c { censored[d, default: 0] += 1 }
    var g = 1.0
    for (day, atRisk, churns) in riskSetSteps(durations, churned) {
      let c = censored[day] ?? 0
      guard c > 0 else { continue }
      let remaining = atRisk - churns
      g *= remaining > 0 ? 1 - Double(c) / Double(remaining) : 0
      times.append(day)
      values.append(g)
    }
  }

  /// 1 / G(t), the value at the last time at or before t (1 before the
  /// first); 0 where G is 0.
  func inverse(at t: Double) -> Double {
    var lo = 0, hi = times.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if times[mid] <= t { lo = mid + 1 } else { hi = mid }
    }
    let g = lo == 0 ? 1 : values[lo - 1]
    return g > 0 ? 1 / g : 0
  }
}
