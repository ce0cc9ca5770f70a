import LinearAlgebra

/// Newton's method for a smooth convex loss, each step solved by Cholesky
/// (LAPACK `dpotrf`/`dpotrs`), with backtracking so the loss never rises.
///
/// The call order follows scikit-learn's `NewtonSolver`: gradient and
/// Hessian → inner solve → line search → convergence check. Converged when
/// both max |∇L| ≤ `gradientTolerance` and half the Newton decrement
/// ½ ΔᵀHΔ ≤ `decrementTolerance` (never "the coefficients stopped moving");
/// the last Newton step is then taken in full, without a line search, so
/// the coefficients land within about 10⁻¹² standard errors of the optimum
/// instead of √(2·10⁻¹²) — what statsmodels reaches with its tight tolerance.
struct NewtonCholeskySolver {
  var maxIterations = 100
  var gradientTolerance = 1e-8
  var decrementTolerance = 1e-12

  struct Outcome {
    var beta: [Double]
    var hessian: Matrix
    var iterations: Int
    var converged: Bool
    var warnings: [FitWarning]
  }

  func minimize<Loss: LogisticObjective>(_ loss: Loss, start: [Double]) throws(ModelError) -> Outcome {
    var beta = start
    var state = try loss.state(at: beta)
    var value = loss.value(beta, at: state)
    var warnings: [FitWarning] = []
    for iteration in 1...maxIterations {
      let g = loss.gradient(beta, at: state)
      var h = loss.hessian(at: state)
      // Inner solve H Δ = −g. A Hessian that is not positive definite at
      // the start means collinear columns; later, weights p(1 − p) that
      // vanished: the labels are separated and the optimum is at infinity.
      var step: [Double]
      do {
        let factor = try Cholesky(h)
        if iteration == 1, let k = Self.firstDependentColumn(h, factor) { throw ModelError.rankDeficient(column: k) }
        step = try factor.solve(g.map { -$0 })
      } catch let error as ModelError {
        throw error
      } catch {
        if case .notPositiveDefinite(let k) = error as? LinearAlgebraError {
          let saturated = loss.saturatedRows(at: state)
          if iteration > 1 && saturated > 0 {
            throw ModelError.separated(iterations: iteration - 1, saturatedRows: saturated)
          }
          throw ModelError.rankDeficient(column: k - 1)
        }
        throw ModelError.numericalFailure("\(error)")
      }
      let slope = zip(g, step).reduce(0) { $0 + $1.0 * $1.1 }  // gᵀΔ < 0
      let decrement = -0.5 * slope
      let maxGradient = g.map(abs).max() ?? 0
      if maxGradient <= gradientTolerance * Double(max(loss.rows, 1)) && decrement <= decrementTolerance {
        // Quadratic convergence: the full step is accurate here, while the
        // loss can no longer tell it apart from standing still.
        for k in beta.indices { beta[k] += step[k] }
        return Outcome(beta: beta, hessian: h, iterations: iteration, converged: true, warnings: warnings)
      }
      if let accepted = try BacktrackingLineSearch().search(
        from: beta, along: step, value: value, slope: slope, loss: loss, acceptsAnyDecrease: decrement < 1e-10,
        objective: { loss.value($0, at: $1) })
      {
        beta = accepted.point
        state = accepted.state
        value = accepted.value
      } else {
        // No decrease is possible at machine precision: we are at the optimum.
        h = loss.hessian(at: state)
        return Outcome(beta: beta, hessian: h, iterations: iteration, converged: decrement < 1e-8, warnings: warnings)
      }
    }
    warnings.append(.notConverged(iterations: maxIterations))
    return Outcome(
      beta: beta, hessian: loss.hessian(at: state), iterations: maxIterations, converged: false, warnings: warnings)
  }

  /// A column of the starting Hessian that is a combination of the columns
  /// before it: its Cholesky pivot squared, the part of it no earlier
  /// column explains (1 − R² in the Hessian's metric, times its diagonal),
  /// is rounding. `dpotrf` fails only on a pivot ≤ 0, which rounding may
  /// or may not give, depending on the BLAS kernels; this tolerance,
  /// a thousandth of `FeatureScreen.aliasTolerance`, decides the same way
  /// on every machine and never second-guesses the screen.
  static func firstDependentColumn(_ h: Matrix, _ factor: Cholesky) -> Int? {
    (0..<h.rows).first { k in
      let pivot = factor.lower[k, k]
      return pivot * pivot <= 1e-12 * h[k, k]
    }
  }
}
