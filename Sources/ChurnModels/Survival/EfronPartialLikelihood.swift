import Foundation

/// Cox's partial log-likelihood with Efron's handling of tied churn times,
/// its gradient and its information matrix (minus the Hessian), for rows
/// sorted by duration. Plain loops over a row-major copy: one backward pass
/// builds the risk sets' sums as it goes.
///
/// At a time t with d tied churns D and risk set R (duration ≥ t), Efron's
/// term is Σ_D ηᵢ − Σ_{l<d} log(S₀ − (l/d)·T₀), where S₀ = Σ_R e^η and
/// T₀ = Σ_D e^η; the gradient and information follow from S₁, S₂ and T₁, T₂
/// (the same sums of e^η·x and e^η·x·xᵀ).
struct EfronPartialLikelihood {
  let columns: Int
  /// Row-major covariates, in duration order.
  let x: [Double]
  let churned: [Bool]
  /// Rows sharing a duration, in increasing order of duration.
  let ties: [Range<Int>]

  /// `order` sorts the rows by duration; `covariates(i, j)` reads the
  /// original row i.
  init(rows order: [Int], durations: [Double], churned: [Bool], columns: Int, covariates: (Int, Int) -> Double) {
    self.columns = columns
    var x = [Double](repeating: 0, count: order.count * columns)
    for (r, i) in order.enumerated() {
      for j in 0..<columns { x[r * columns + j] = covariates(i, j) }
    }
    self.x = x
    self.churned = order.map { churned[$0] }
    var ties: [Range<Int>] = []
    var start = 0
    for r in 1...order.count where r == order.count || durations[order[r]] != durations[order[start]] {
      ties.append(start..<r)
      start = r
    }
    self.ties = order.isEmpty ? [] : ties
  }

  struct Evaluation {
    var value: Double
    var gradient: [Double]
    /// columns × columns, both triangles filled.
    var information: [Double]
  }

  /// The linear predictor of each sorted row.
  func linearPredictor(_ beta: [Double]) -> [Double] {
    let p = columns
    return (0..<churned.count).map { r in
      var s = 0.0
      for j in 0..<p { s += x[r * p + j] * beta[j] }
      return s
    }
  }

  func evaluate(_ beta: [Double]) -> Evaluation {
    let p = columns
    let eta = linearPredictor(beta)
    // Shifting η by a constant changes no term; the largest is 0 then.
    let shift = eta.max() ?? 0
    var value = 0.0
    var gradient = [Double](repeating: 0, count: p)
    var information = [Double](repeating: 0, count: p * p)
    var s0 = 0.0
    var s1 = [Double](repeating: 0, count: p)
    var s2 = [Double](repeating: 0, count: p * p)
    var t1 = [Double](repeating: 0, count: p)
    var t2 = [Double](repeating: 0, count: p * p)
    var phi1 = [Double](repeating: 0, count: p)
    for tie in ties.reversed() {
      var deaths = 0
      var t0 = 0.0
      for j in 0..<p { t1[j] = 0 }
      for k in 0..<(p * p) { t2[k] = 0 }
      for r in tie {
        let w = exp(eta[r] - shift)
        let row = r * p
        s0 += w
        for a in 0..<p {
          let wa = w * x[row + a]
          s1[a] += wa
          for b in a..<p { s2[a * p + b] += wa * x[row + b] }
        }
        guard churned[r] else { continue }
        deaths += 1
        t0 += w
        value += eta[r] - shift
        for a in 0..<p {
          let wa = w * x[row + a]
          gradient[a] += x[row + a]
          t1[a] += wa
          for b in a..<p { t2[a * p + b] += wa * x[row + b] }
        }
      }
      for l in 0..<deaths {
        let f = Double(l) / Double(deaths)
        let phi0 = s0 - f * t0
        value -= log(phi0)
        for a in 0..<p {
          phi1[a] = s1[a] - f * t1[a]
          gradient[a] -= phi1[a] / phi0
        }
        for a in 0..<p {
          for b in a..<p {
            information[a * p + b] += (s2[a * p + b] - f * t2[a * p + b]) / phi0 - phi1[a] * phi1[b] / (phi0 * phi0)
          }
        }
      }
    }
    for a in 0..<p {
      for b in 0..<a { information[a * p + b] = information[b * p + a] }
    }
    return Evaluation(value: value, gradient: gradient, information: information)
  }
}
