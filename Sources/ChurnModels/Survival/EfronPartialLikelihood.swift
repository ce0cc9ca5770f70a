import Foundation
import LinearAlgebra

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
    let w = eta.map { exp($0 - shift) }
    let deathWeights = w.indices.map { churned[$0] ? w[$0] : 0 }
    var s0 = 0.0
    var s1 = [Double](repeating: 0, count: p)
    // S₂ and T₂ in column-major lower triangles: entry (b, a), b ≥ a, at a·p + b.
    var s2 = Matrix(rows: p, columns: p)
    var t1 = [Double](repeating: 0, count: p)
    var t2 = Matrix(rows: p, columns: p)
    for tie in ties.reversed() {
      var deaths = 0
      var t0 = 0.0
      for j in 0..<p { t1[j] = 0 }
      for r in tie {
        let row = r * p
        s0 += w[r]
        for a in 0..<p { s1[a] += w[r] * x[row + a] }
        guard churned[r] else { continue }
        deaths += 1
        t0 += w[r]
        value += eta[r] - shift
        for a in 0..<p {
          gradient[a] += x[row + a]
          t1[a] += w[r] * x[row + a]
        }
      }
      Matrix.accumulateWeightedOuterProducts(rowMajor: x, rows: tie, columns: p, weights: w, into: &s2)
      guard deaths > 0 else { continue }
      t2 = Matrix(rows: p, columns: p)
      Matrix.accumulateWeightedOuterProducts(rowMajor: x, rows: tie, columns: p, weights: deathWeights, into: &t2)
      // Efron's d terms at once: with f = l/d and φ₀ = S₀ − f·T₀, the sums
      // over l of 1/φ₀, f/φ₀, 1/φ₀², f/φ₀² and f²/φ₀² weigh S₁, T₁, S₂, T₂.
      var (c0, c1, q0, q1, q2) = (0.0, 0.0, 0.0, 0.0, 0.0)
      for l in 0..<deaths {
        let f = Double(l) / Double(deaths)
        let phi0 = s0 - f * t0
        value -= log(phi0)
        let inverse = 1 / phi0
        c0 += inverse
        c1 += f * inverse
        q0 += inverse * inverse
        q1 += f * inverse * inverse
        q2 += f * f * inverse * inverse
      }
      for a in 0..<p {
        gradient[a] -= s1[a] * c0 - t1[a] * c1
        for b in a..<p {
          let second = s2.storage[a * p + b] * c0 - t2.storage[a * p + b] * c1
          let outer = s1[a] * s1[b] * q0 - (s1[a] * t1[b] + t1[a] * s1[b]) * q1 + t1[a] * t1[b] * q2
          information[a * p + b] += second - outer
        }
      }
    }
    for a in 0..<p {
      for b in 0..<a { information[a * p + b] = information[b * p + a] }
    }
    return Evaluation(value: value, gradient: gradient, information: information)
  }
}
