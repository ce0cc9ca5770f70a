import ChurnData

extension FeatureQuery {
  /// Per customer with an event, the label at the cutoff as
  /// `FeatureSet.label` gives it: 1 churned, 0 retained, NULL censored
  /// (nobody saw the whole horizon: `observed` false). Churned means the
  /// churn event in (T, T + H], or, by inactivity, no activity there.
  func labels(horizon: Int64, observed: Bool) -> String {
    let window = "t > \(T) AND t <= \(cutoff.micros + horizon)"
    let label: String
    switch churn {
    case .event(let name):
      label =
        "CASE WHEN MAX(CASE WHEN \(window) AND event = \(lit(name)) THEN 1 ELSE 0 END) = 1 THEN 1\(observed ? " ELSE 0" : "") END"
    case .inactivity:
      label =
        "CASE WHEN MAX(CASE WHEN \(window) AND \(activityCondition) THEN 1 ELSE 0 END) = 1 THEN 0\(observed ? " ELSE 1" : "") END"
    }
    return """
      SELECT customer_id, \(label) AS y FROM (
        SELECT \(q("customer_id")) AS customer_id, \(eventMicros(q("timestamp"))) AS t, \(q("event")) AS event
        FROM \(table(events))
      ) AS ev GROUP BY customer_id
      """
  }
}
