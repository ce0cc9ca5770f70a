import Foundation

extension FittedCox {
  /// A lifelines-style summary: the fit's figures, then one line per term.
  public func summaryTable() -> String {
    var out = "Cox proportional hazards (Efron ties, Newton–Cholesky), \(rows) customers, \(churns) churned"
    out += ", \(terms.count) features"
    out += dropped.isEmpty ? "\n" : " (\(dropped.count) more not fitted, listed below)\n"
    let test = likelihoodRatio
    out += String(
      format: "  partial log-likelihood %.6f   null %.6f   AIC %.3f   concordance %.4f\n", logLikelihood,
      nullLogLikelihood, aic, concordance)
    out += String(
      format: "  likelihood-ratio test %.3f on %d df, p = %.4g   %d iterations, %@\n", test.statistic,
      test.degreesOfFreedom, test.pValue, iterations, converged ? "converged" : "NOT converged")
    if l2 > 0 {
      out += "  ridge penalty \(l2) on the standardised coefficients: intervals and p-values are not classical\n"
    }
    out += robustInference ? "  z, p and intervals from the robust standard errors\n\n" : "\n"
    let width = max(12, terms.map(\.name.count).max() ?? 0)
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    out +=
      pad("term", width)
      + "        coef   exp(coef)    se(coef)   robust se          z          p      [0.025      0.975]\n"
    for t in terms {
      out += pad(t.name, width)
      out += String(
        format: " %11.5g %11.5g %11.5g %11.5g %10.3f %10.4g %11.5g %11.5g\n", t.coefficient, t.hazardRatio,
        t.standardError, t.robustStandardError, t.z, t.pValue, t.lower95, t.upper95)
    }
    if !dropped.isEmpty {
      out += "\n\(dropped.count) not fitted (constant, or a combination of features above):\n"
      for d in dropped { out += "  " + pad(d.name, width) + " " + d.description + "\n" }
    }
    return out
  }
}
