import Foundation
import LinearAlgebra

/// Maximises a smooth log-likelihood of positive parameters: Newton's method
/// on θ = ln(parameter), with the analytic gradient and a Hessian by central
/// differences of it, a backtracking line search, and a gradient step when
/// the Hessian is not negative definite. The buy-till-you-die models are
/// fitted with it (a few parameters, thousands of customers).
struct LogParameterNewton {
  /// Log-likelihood and its gradient in the parameters (not their logs).
  typealias Objective = ([Double]) -> (value: Double, gradient: [Double])

  var maxIterations = 200
  /// Converged when the Newton step's predicted gain (half the Newton
  /// decrement, gᵀH⁻¹g / 2) is this small relative to the log-likelihood:
  /// a sum over customers, whose rounding grows with it.
  var tolerance = 1e-13
  /// |ln parameter| at most this: parameters within 10^±10.
  static let logBound = 10 * log(10.0)

  struct Outcome {
    var parameters: [Double]
    var logLikelihood: Double
    var iterations: Int
    var converged: Bool
    /// The covariance of the log-parameters at the maximum: the inverse of
    /// the observed information −∂²ℓ/∂θ² (nil when not converged, or when
    /// the information is not positive definite there).
    var logCovariance: [[Double]]? = nil
  }

  func maximise(_ objective: @escaping Objective, from start: [Double]) -> Outcome {
    var theta = start.map { log($0) }
    let inTheta = { (t: [Double]) -> (Double, [Double]) in
      let p = t.map { exp($0) }
      // A step past 10^±10 is refused: there the log-likelihoods' ln Γ
      // differences cancel to noise (even to exactly 0, a "maximum").
      guard t.allSatisfy({ abs($0) <= LogParameterNewton.logBound }) else { return (-.infinity, t.map { _ in 0 }) }
      let (value, gradient) = objective(p)
      return (value, zip(gradient, p).map { $0 * $1 })
    }
    var (value, gradient) = inTheta(theta)
    for iteration in 1...maxIterations {
      let (newton, exact) = newtonDirection(theta, gradient, inTheta)
      if let newton, exact,
        zip(gradient, newton).reduce(0, { $0 + $1.0 * $1.1 }) / 2 <= tolerance * max(1, abs(value))
      {
        return Outcome(
          parameters: theta.map { exp($0) }, logLikelihood: value, iterations: iteration - 1, converged: true,
          logCovariance: covariance(theta, inTheta))
      }
      // Without a Newton step, climb the gradient by at most a factor e in
      // any parameter: a raw gradient (thousands per customer sum) would
      // throw the parameters onto a far, flat ridge.
      var direction = newton ?? gradient.map { $0 / max(1, gradient.map(abs).max()!) }
      // At most a factor e³ in any parameter per step: far from the maximum
      // a (damped) Newton step can point to absurd values.
      let longest = direction.map(abs).max() ?? 0
      if longest > 3 { direction = direction.map { $0 * 3 / longest } }
      var step = 1.0
      var accepted = false
      while step > 1e-12 {
        let trial = zip(theta, direction).map { $0 + step * $1 }
        let (trialValue, trialGradient) = inTheta(trial)
        if trialValue.isFinite && trialValue >= value {
          theta = trial
          (value, gradient) = (trialValue, trialGradient)
          accepted = true
          break
        }
        step /= 2
      }
      if !accepted {
        // No step uphill: at the optimum to working precision, or stuck.
        let small = gradient.allSatisfy { abs($0) <= 1e-8 * max(1, abs(value)) }
        return Outcome(
          parameters: theta.map { exp($0) }, logLikelihood: value, iterations: iteration, converged: small,
          logCovariance: small ? covariance(theta, inTheta) : nil)
      }
    }
    return Outcome(parameters: theta.map { exp($0) }, logLikelihood: value, iterations: maxIterations, converged: false)
  }

  /// −H⁻¹g with H from central differences of the gradient, damped when it
  /// is not negative definite; nil when even damping fails (then the caller
  /// climbs the gradient).
  private func newtonDirection(
    _ theta: [Double], _ gradient: [Double], _ inTheta: ([Double]) -> (Double, [Double])
  ) -> (direction: [Double]?, exact: Bool) {
    let negativeHessian = observedInformation(theta, inTheta)
    if let factor = try? Cholesky(negativeHessian) { return (try? factor.solve(gradient), true) }
    // Not negative definite here (these likelihoods are not concave far
    // from their maximum): damp it, Levenberg–Marquardt style, until it is.
    // The step then bends towards the gradient and shrinks, instead of
    // crawling along it on a ridge.
    let k = theta.count
    let scale = (0..<k).map { abs(negativeHessian[$0, $0]) }.max() ?? 1
    var damping = 1e-6 * max(scale, 1e-12)
    for _ in 0..<40 {
      var damped = negativeHessian
      for i in 0..<k { damped[i, i] += damping }
      if let factor = try? Cholesky(damped) { return (try? factor.solve(gradient), false) }
      damping *= 10
    }
    return (nil, false)
  }

  /// The inverse of the observed information at θ, as rows.
  private func covariance(_ theta: [Double], _ inTheta: ([Double]) -> (Double, [Double])) -> [[Double]]? {
    guard let inverse = try? Cholesky(observedInformation(theta, inTheta)).inverse() else { return nil }
    return (0..<theta.count).map { inverse.row($0) }
  }

  /// −∂²ℓ/∂θ² by central differences of the analytic gradient, symmetrised.
  private func observedInformation(_ theta: [Double], _ inTheta: ([Double]) -> (Double, [Double])) -> Matrix {
    let k = theta.count
    var negativeHessian = Matrix(rows: k, columns: k)
    for j in 0..<k {
      let h = 1e-5 * max(1, abs(theta[j]))
      var up = theta
      var down = theta
      up[j] += h
      down[j] -= h
      let (_, gUp) = inTheta(up)
      let (_, gDown) = inTheta(down)
      for i in 0..<k { negativeHessian[i, j] = -(gUp[i] - gDown[i]) / (2 * h) }
    }
    for i in 0..<k {
      for j in 0..<i {
        let mean = (negativeHessian[i, j] + negativeHessian[j, i]) / 2
        negativeHessian[i, j] = mean
        negativeHessian[j, i] = mean
      }
    }
    return negativeHessian
  }
}
