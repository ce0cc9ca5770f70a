import ChurnData
import ChurnIO
import Foundation

extension LogisticRegressionFit {
  /// A statsmodels-style summary: fit statistics, then one line per term.
  public func summaryTable() -> String {
    var out =
      "Logistic regression (Newton–Cholesky), \(rows) rows, \(terms.count - 1) features\((dropped?.count ?? 0) > 0 ? " (\(dropped!.count) more not fitted, listed below)" : "")\n"
    out += String(
      format: "  log-likelihood %.6f   null %.6f   pseudo R² %.4f   AIC %.3f\n", logLikelihood, nullLogLikelihood,
      pseudoRSquared, aic)
    out +=
      "  L2 penalty \(l2), L1 penalty \(l1), \(iterations) iterations, \(converged ? "converged" : "NOT converged")\n\n"
    let width = max(12, terms.map(\.name.count).max() ?? 0)
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    out += pad("term", width) + "        coef     std err          z      P>|z|      [0.025      0.975]   odds ratio\n"
    for t in terms {
      out += pad(t.name, width)
      out += String(
        format: " %11.5g %11.5g %10.3f %10.4g %11.5g %11.5g %12.5g\n",
        t.coefficient, t.standardError, t.z, t.pValue, t.lower95, t.upper95, t.oddsRatio)
    }
    if let dropped, !dropped.isEmpty {
      out +=
        "\n\(dropped.count) not fitted (constant; aliased, a combination of features above, which R's glm calls \"not defined because of singularities\"; or separating the labels alone):\n"
      for d in dropped { out += "  " + pad(d.name, width) + " " + d.description + "\n" }
    }
    if l2 > 0 || l1 > 0 { out += "\nWith a penalty the intervals and p-values are not classical.\n" }
    return out
  }
}
