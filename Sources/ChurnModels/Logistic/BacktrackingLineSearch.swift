/// Armijo backtracking: from a point with objective `value`, along a
/// direction whose predicted decrease is `slope` (< 0), halve the step t
/// until f(point + t·direction) ≤ value + σ·t·slope (σ = 1e-4), at most 40
/// times. Both Newton solvers take their steps through it.
struct BacktrackingLineSearch {
  var sufficientDecrease = 1e-4
  var maxHalvings = 40

  struct Step {
    var point: [Double]
    var eta: [Double]
    var value: Double
  }

  /// The accepted step, or nil when no step decreases the objective enough
  /// (at machine precision: the optimum). `acceptsAnyDecrease` also takes a
  /// step that merely does not increase it (when the decrement is tiny).
  func search(
    from point: [Double], along direction: [Double], value: Double, slope: Double, loss: LogisticLoss,
    acceptsAnyDecrease: Bool = false, objective: ([Double], [Double]) -> Double
  ) -> Step? {
    var t = 1.0
    for _ in 0..<maxHalvings {
      let trial = zip(point, direction).map { $0 + t * $1 }
      let trialEta = loss.linearPredictor(trial)
      let trialValue = objective(trial, trialEta)
      if trialValue <= value + sufficientDecrease * t * slope || (acceptsAnyDecrease && trialValue <= value) {
        return Step(point: trial, eta: trialEta, value: trialValue)
      }
      t *= 0.5
    }
    return nil
  }
}
