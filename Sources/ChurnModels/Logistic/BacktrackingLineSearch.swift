/// Armijo backtracking: from a point with objective `value`, along a
/// direction whose predicted decrease is `slope` (< 0), halve the step t
/// until f(point + t·direction) ≤ value + σ·t·slope (σ = 1e-4), at most 40
/// times. Both Newton solvers take their steps through it.
struct BacktrackingLineSearch {
  var sufficientDecrease = 1e-4
  var maxHalvings = 40

  struct Step<State> {
    var point: [Double]
    var state: State
    var value: Double
  }

  /// The accepted step, or nil when no step decreases the objective enough
  /// (at machine precision: the optimum). `acceptsAnyDecrease` also takes a
  /// step that merely does not increase it (when the decrement is tiny).
  func search<Loss: LogisticObjective>(
    from point: [Double], along direction: [Double], value: Double, slope: Double, loss: Loss,
    acceptsAnyDecrease: Bool = false, objective: ([Double], Loss.State) -> Double
  ) throws(ModelError) -> Step<Loss.State>? {
    var t = 1.0
    for _ in 0..<maxHalvings {
      let trial = zip(point, direction).map { $0 + t * $1 }
      let trialState = try loss.state(at: trial)
      let trialValue = objective(trial, trialState)
      if trialValue <= value + sufficientDecrease * t * slope || (acceptsAnyDecrease && trialValue <= value) {
        return Step(point: trial, state: trialState, value: trialValue)
      }
      t *= 0.5
    }
    return nil
  }
}
