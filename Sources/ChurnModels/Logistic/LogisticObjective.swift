import LinearAlgebra

/// What Newton's method needs of the penalised logistic loss, wherever its
/// rows are: in memory (`LogisticLoss`, whose state at a point is the
/// linear predictor η of every row) or in a database, which returns the
/// loss, its gradient and Hessian at a point in one aggregate query.
///
/// Coordinates are the standardised γ of `LogisticLoss` (the intercept first).
package protocol LogisticObjective {
  /// What the objective knows at one point γ.
  associatedtype State

  var rows: Int { get }
  /// The intercept and one per fitted feature.
  var parameters: Int { get }
  func state(at gamma: [Double]) throws(ModelError) -> State
  /// The penalised loss L(γ).
  func value(_ gamma: [Double], at state: State) -> Double
  /// ∇L(γ).
  func gradient(_ gamma: [Double], at state: State) -> [Double]
  /// ∇²L(γ), both triangles filled, the penalty on the diagonal.
  func hessian(at state: State) -> Matrix
  /// The unpenalised log-likelihood.
  func logLikelihood(at state: State) -> Double
  /// Rows whose fitted probability is 0 or 1 to machine precision (|η| > 23).
  func saturatedRows(at state: State) -> Int
}

extension LogisticLoss: LogisticObjective {
  func state(at gamma: [Double]) -> [Double] { linearPredictor(gamma) }
  func value(_ gamma: [Double], at eta: [Double]) -> Double { value(gamma, eta: eta) }
  func gradient(_ gamma: [Double], at eta: [Double]) -> [Double] { gradient(gamma, eta: eta) }
  func hessian(at eta: [Double]) -> Matrix { hessian(eta: eta) }
  func logLikelihood(at eta: [Double]) -> Double { logLikelihood(eta: eta) }
  func saturatedRows(at eta: [Double]) -> Int { eta.count { abs($0) > 23 } }
}
