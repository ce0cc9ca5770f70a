import ChurnData
import Foundation

/// The `repeat_purchase` features in SQL: each customer's purchase summary
/// at the cutoff (lifetimes' frequency, recency, T and monetary value, in
/// days), then P(alive), expected purchases and discounted CLV under the
/// fitted BG/NBD and Gamma-Gamma parameters the model stores.
///
/// BG/NBD's expected purchases need the Gauss hypergeometric function
/// ₂F₁(r + x, b + x; a + b + x − 1; z), z = t / (α + T + t). SQL has no such
/// function, so the query sums its Euler transform
/// (1 − z)^(a − 1 − r − x) ₂F₁(a + b − 1 − r, a − 1; a + b + x − 1; z), whose
/// terms shrink with the frequency instead of growing, one row per term:
/// as many terms as `termCount` says the series needs to reach double
/// precision (a rule checked against the series summed to its end, and the
/// query against `churnkit features` in four engines). Beyond two million
/// terms (z within about 10⁻⁵ of 1: a new customer and a horizon hundreds
/// of times the typical gap between purchases) the value is NULL rather
/// than a truncated sum.
extension FeatureQuery {
  static let maximumSeriesTerms = 2_000_000

  func number(_ v: Double) -> String { ModelExport.doubleLiteral(v) }

  /// The purchase condition: the resolved purchase event, else every event
  /// but the interventions and the churn event (as the features count them).
  private func purchaseCondition(_ feature: RepeatPurchaseFeature) -> String {
    if let name = feature.purchaseEvent { return "event = \(lit(name))" }
    var excluded = spec.interventions
    if case .event(let name) = churn { excluded.append(name) }
    return excluded.isEmpty ? "1 = 1" : "event NOT IN (\(excluded.map(lit).joined(separator: ", ")))"
  }

  /// The horizons evaluated: 0 is `expected_purchases_{h}d`; 1…M the
  /// months of CLV (30 days each), with the weight each month's cumulative
  /// expectation carries in the discounted sum.
  private func horizons(_ feature: RepeatPurchaseFeature) -> [(t: Double, weight: Double)] {
    var rows = [(Double(feature.horizonDays ?? 0), 0.0)]
    guard feature.parameters?.hasSpend == true else { return rows }
    let months = feature.clvMonths ?? RepeatPurchaseFeature.defaultClvMonths
    let d = feature.discountRate ?? RepeatPurchaseFeature.defaultDiscountRate
    // Σₘ (Eₘ − Eₘ₋₁)/(1 + d)ᵐ = Σₘ Eₘ [(1 + d)⁻ᵐ − (1 + d)⁻⁽ᵐ⁺¹⁾], the last month's without the second term.
    for m in 1...months {
      let weight = 1 / pow(1 + d, Double(m)) - (m < months ? 1 / pow(1 + d, Double(m + 1)) : 0)
      rows.append((Double(30 * m), weight))
    }
    return rows
  }

  /// The CTEs ending in `rp(customer_id, p_alive, e_0, clv)`, to follow the
  /// history's (`hist`).
  func repeatPurchaseCTEs(_ feature: RepeatPurchaseFeature) -> [String] {
    let k = feature.parameters!
    let n = number
    let asOfDay = cutoff.micros >= 0 ? cutoff.micros / 86_400_000_000 : (cutoff.micros + 1) / 86_400_000_000 - 1
    let (r, alpha) = (n(k.r), n(k.alpha))
    let deadOdds =
      if let a = k.a, let b = k.b { "\(n(a)) / (\(n(b)) + s.x - 1.0)" } else {
        n(k.commonDropout! / (1 - k.commonDropout!))
      }
    let odds =
      "CASE WHEN s.x > 0 THEN \(deadOdds) * \(boundedExp("(\(r) + s.x) * (LN(\(alpha) + s.age) - LN(\(alpha) + s.tx))")) ELSE 0.0 END"
    let horizonRows = horizons(feature).enumerated().map { j, h in
      "SELECT \(j) AS j, \(n(h.t)) AS t, \(n(h.weight)) AS weight"
    }
    var ctes = [
      """
      rp_days AS (
        SELECT customer_id, \(wholeDays("t")) AS d, SUM(COALESCE(\(dbl("amount")), 0.0)) AS spend
        FROM hist WHERE \(purchaseCondition(feature)) GROUP BY customer_id, \(wholeDays("t"))
      )
      """,
      "rp_first AS (SELECT customer_id, MIN(d) AS d0 FROM rp_days GROUP BY customer_id)",
      """
      rp_summary AS (
        SELECT rp_days.customer_id, \(dbl("COUNT(*) - 1")) AS x, \(dbl("MAX(d) - MIN(d)")) AS tx,
          \(dbl("\(asOfDay) - MIN(d)")) AS age, SUM(CASE WHEN d > d0 THEN spend ELSE 0.0 END) AS repeat_spend
        FROM rp_days JOIN rp_first ON rp_first.customer_id = rp_days.customer_id GROUP BY rp_days.customer_id
      )
      """,
      "rp_odds AS (SELECT s.*, \(odds) AS odds FROM rp_summary AS s)",
      "rp_h AS (\(horizonRows.joined(separator: " UNION ALL ")))",
    ]
    ctes += k.a == nil ? commonDropoutExpectations(k) : seriesExpectations(k)
    let spend =
      if let p = k.p, let q = k.q, let v = k.v {
        "\(n(p)) * (\(n(v)) + s.repeat_spend) / (\(n(p)) * s.x + \(n(q)) - 1.0)"
      } else { "0.0" }
    ctes.append(
      """
      rp AS (
        SELECT s.customer_id, 1.0 / (1.0 + s.odds) AS p_alive, e.e_0,
          \(spend) * e.discounted AS clv
        FROM rp_odds AS s JOIN (
          SELECT customer_id, SUM(CASE WHEN j = 0 THEN e END) AS e_0,
            CASE WHEN COUNT(e) = COUNT(*) THEN SUM(CASE WHEN j > 0 THEN e * weight END) END AS discounted
          FROM rp_e GROUP BY customer_id
        ) AS e ON e.customer_id = s.customer_id
      )
      """)
    return ctes
  }

  /// EXP that never underflows into an error (PostgreSQL raises one).
  private func boundedExp(_ x: String) -> String {
    "EXP(\(dialect == .sqlite ? "MAX" : "GREATEST")(\(x), -700.0))"
  }

  /// With a common dropout π, ₂F₁ reduces to a power and the expectation
  /// is closed: (1 − ((α + T)/(α + T + πt))^(r + x)) / π / (1 + odds).
  private func commonDropoutExpectations(_ k: RepeatPurchaseParameters) -> [String] {
    let (r, alpha, pi) = (number(k.r), number(k.alpha), number(k.commonDropout!))
    return [
      """
      rp_e AS (
        SELECT s.customer_id, h.j, h.weight,
          (1.0 - \(boundedExp("(\(r) + s.x) * (LN(\(alpha) + s.age) - LN(\(alpha) + s.age + \(pi) * h.t))"))) / \(pi) / (1.0 + s.odds) AS e
        FROM rp_odds AS s CROSS JOIN rp_h AS h
      )
      """
    ]
  }

  /// BG/NBD's expectation, C/(a − 1) · (1 − (1 − z)^(a − 1) · G) / (1 + odds)
  /// with C = a + b + x − 1 and G the Euler-transformed series summed term
  /// by term: term k = Π_{i<k} ρᵢ, ρᵢ = z (u + i)(v + i) / ((C + i)(i + 1)),
  /// as a running sum of log |ρᵢ| with its sign and zeros counted apart.
  private func seriesExpectations(_ k: RepeatPurchaseParameters) -> [String] {
    let n = number
    let (a, b, r, alpha) = (k.a!, k.b!, k.r, k.alpha)
    let (u, v) = (a + b - 1 - r, a - 1)
    let window = "OVER (PARTITION BY customer_id, j ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    let ratio = "z * (\(n(u)) + k) * (\(n(v)) + k) / ((w + k) * (k + 1.0))"
    return [
      """
      rp_z AS (
        SELECT s.customer_id, h.j, h.t, h.weight, s.odds, s.age, h.t / (\(n(alpha)) + s.age + h.t) AS z,
          \(n(a + b - 1)) + s.x AS w
        FROM rp_odds AS s CROSS JOIN rp_h AS h
      )
      """,
      """
      rp_series AS (
        SELECT z_.*, \(termCount()) AS kmax FROM rp_z AS z_
      )
      """,
    ] + termRows()
      + [
        """
        rp_ratio AS (
          SELECT customer_id, j, k, \(ratio) AS rho FROM rp_terms
        )
        """,
        """
        rp_term AS (
          SELECT customer_id, j, k,
            SUM(CASE WHEN rho = 0.0 THEN 0.0 ELSE LN(ABS(rho)) END) \(window) AS log_size,
            SUM(CASE WHEN rho < 0.0 THEN 1 ELSE 0 END) \(window) AS negatives,
            SUM(CASE WHEN rho = 0.0 THEN 1 ELSE 0 END) \(window) AS zeros
          FROM rp_ratio
        )
        """,
        """
        rp_g AS (
          SELECT customer_id, j, SUM(CASE WHEN COALESCE(zeros, 0) > 0 THEN 0.0
            WHEN COALESCE(negatives, 0) % 2 = 1 THEN -\(boundedExp("COALESCE(log_size, 0.0)"))
            ELSE \(boundedExp("COALESCE(log_size, 0.0)")) END) AS g
          FROM rp_term GROUP BY customer_id, j
        )
        """,
        """
        rp_e AS (
          SELECT s.customer_id, s.j, s.weight,
            CASE WHEN s.kmax > \(FeatureQuery.maximumSeriesTerms) THEN NULL ELSE
              s.w / \(n(v)) * (1.0 - \(boundedExp("\(n(v)) * (LN(\(n(alpha)) + s.age) - LN(\(n(alpha)) + s.age + s.t))")) * g.g)
                / (1.0 + s.odds) END AS e
          FROM rp_series AS s LEFT JOIN rp_g AS g ON g.customer_id = s.customer_id AND g.j = s.j
        )
        """,
      ]
  }

  /// Terms the series needs: past the peak of its terms (the larger root
  /// of ρ(k) = 1, plus |u| + |v| for terms that change sign), then enough
  /// for the terms to fall by e⁻⁴⁰ at the rate z, with the slack a
  /// polynomial growth k^(u + v − C − 1) asks for.
  private func termCount() -> String {
    let k = spec.repeatPurchase!.parameters!
    let n = number
    let (u, v) = (k.a! + k.b! - 1 - k.r, k.a! - 1)
    let (sum, product, spread) = (n(u + v), n(u * v), n(abs(u) + abs(v)))
    let quadratic = "(w + 1.0 - z * \(sum))"
    let discriminant = "(\(quadratic) * \(quadratic) - 4.0 * (1.0 - z) * (w - z * \(product)))"
    let root = "(SQRT(\(discriminant)) - \(quadratic)) / (2.0 * (1.0 - z))"
    let peak =
      "(CASE WHEN \(discriminant) >= 0.0 THEN \(dialect == .sqlite ? "MAX" : "GREATEST")(0.0, \(root)) ELSE 0.0 END + \(spread))"
    let rate = "(-LN(z))"
    let growth = "\(dialect == .sqlite ? "MAX" : "GREATEST")(0.0, \(n(u + v - 1)) - w)"
    let count =
      "\(peak) + (40.0 + \(growth) * LN(1.0 + \(peak) + 40.0 / \(rate))) / \(rate) + 5.0"
    let capped =
      "CASE WHEN z > 0.999999 THEN \(FeatureQuery.maximumSeriesTerms + 1) ELSE \(dialect == .sqlite ? "MIN" : "LEAST")(\(FeatureQuery.maximumSeriesTerms + 1).0, CEIL(\(count))) END"
    return "CAST(\(capped) AS \(dialect == .spark ? "INT" : "BIGINT"))"
  }

  /// One row per term k = 0…kmax of each series row (none when capped).
  private func termRows() -> [String] {
    let kept = "customer_id, j, z, w"
    let limit = "kmax <= \(FeatureQuery.maximumSeriesTerms)"
    switch dialect {
    case .postgres:
      return [
        "rp_terms AS (SELECT \(kept), CAST(generate_series(0, kmax) AS DOUBLE PRECISION) AS k FROM rp_series WHERE \(limit))"
      ]
    case .duckdb:
      return [
        "rp_terms AS (SELECT \(kept), CAST(unnest(generate_series(0, kmax)) AS DOUBLE) AS k FROM rp_series WHERE \(limit))"
      ]
    case .spark:
      return [
        """
        rp_terms AS (
          SELECT \(kept), CAST(k0 AS DOUBLE) AS k FROM (
            SELECT \(kept), explode(sequence(0, kmax)) AS k0 FROM rp_series WHERE \(limit)) AS expanded
        )
        """
      ]
    case .sqlite:
      return [
        "rp_n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM rp_n WHERE k < (SELECT MAX(kmax) FROM rp_series WHERE \(limit)))",
        "rp_terms AS (SELECT \(kept), CAST(rp_n.k AS REAL) AS k FROM rp_series JOIN rp_n ON rp_n.k <= rp_series.kmax WHERE \(limit))",
      ]
    }
  }

  /// The feature columns, in `RepeatPurchaseFeature.featureNames` order: 0
  /// before a first purchase (and `no_purchase_yet` then 1).
  func repeatPurchaseColumns(_ feature: RepeatPurchaseFeature) -> [String] {
    let bought = "rp.customer_id IS NOT NULL"
    var columns = [
      "CASE WHEN \(bought) THEN rp.p_alive ELSE 0.0 END",
      heavy("CASE WHEN \(bought) THEN rp.e_0 ELSE 0.0 END"),
    ]
    if feature.parameters?.hasSpend == true { columns.append(heavy("CASE WHEN \(bought) THEN rp.clv ELSE 0.0 END")) }
    if feature.hasMissingIndicator == true { columns.append("CASE WHEN \(bought) THEN 0.0 ELSE 1.0 END") }
    return columns
  }
}
