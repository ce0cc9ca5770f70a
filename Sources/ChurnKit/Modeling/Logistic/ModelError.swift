/// Why a model could not be fitted. Each case says what to change.
public enum ModelError: Error, Equatable, CustomStringConvertible {
  case noRows
  case singleClass(label: Double)
  case invalidLabel(row: Int, value: Double)
  case rankDeficient(column: Int)
  case constantColumn(name: String)
  case collinearColumn(name: String)
  case numericalFailure(String)
  case invalidOption(String)

  public var description: String {
    switch self {
    case .noRows: return "no rows to fit"
    case .singleClass(let label):
      return "every label is \(label): a churn model needs both churned (1) and retained (0) customers"
    case .invalidLabel(let row, let value): return "row \(row): label \(value) is not 0 or 1"
    case .rankDeficient(let column): return "the design matrix is rank deficient at column \(column)"
    case .constantColumn(let name):
      return "feature '\(name)' is constant: drop it, or add an L2 penalty (--l2)"
    case .collinearColumn(let name):
      return "feature '\(name)' is a linear combination of the features before it: drop it, or add an L2 penalty (--l2)"
    case .numericalFailure(let what): return "numerical failure: \(what)"
    case .invalidOption(let what): return what
    }
  }
}

/// Something the user should know about a fit that still produced a model.
public enum FitWarning: Equatable, Sendable, CustomStringConvertible, Codable {
  case notConverged(iterations: Int)
  case separation(features: [String])
  case penalisedInference

  public var description: String {
    switch self {
    case .notConverged(let n):
      return "Newton did not converge in \(n) iterations; the coefficients may be inaccurate"
    case .separation(let names):
      return "perfect or quasi-perfect separation: coefficients of \(names.joined(separator: ", ")) run away; add an L2 penalty (--l2) or drop them"
    case .penalisedInference:
      return "with a penalty the standard errors, p-values and intervals are not classical (they come from the penalised Hessian)"
    }
  }
}
