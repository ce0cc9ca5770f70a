import Foundation

/// A feature left out of a fit: constant over the rows, a linear
/// combination of features before it (aliased: "not defined because of
/// singularities", as R's `glm` says), or — without a penalty — one that
/// separates the labels on its own, so that its maximum-likelihood
/// coefficient is infinite. The fit has no coefficient for it; scoring
/// gives it none.
public struct DroppedFeature: Codable, Sendable, Equatable, CustomStringConvertible {
  public enum Reason: String, Codable, Sendable {
    case constant
    case aliased
    /// Every row above `constant` has one label and every row below it the
    /// other (quasi-complete separation).
    case separating
    /// In a survival fit: the partial likelihood keeps rising as the
    /// coefficient grows (monotone likelihood; the churners rank first, or
    /// last, on it at every churn time). `constant` holds the sign of the
    /// direction it grew in.
    case monotone
    /// In a survival fit: a combination of the other features among the
    /// customers at risk when churns happen, so the partial likelihood
    /// cannot tell its effect from theirs (R's coxph: "X matrix deemed to
    /// be singular").
    case unidentified
  }

  /// One kept feature's share in an aliased one (original scale).
  public struct Share: Codable, Sendable, Equatable {
    public let feature: String
    public let coefficient: Double
  }

  public let name: String
  public let reason: Reason
  /// Constant: its value; aliased: the constant term of the combination.
  public let constant: Double
  /// Aliased: name = constant + Σ coefficient · feature over these.
  public let combination: [Share]?
  /// Separating: the label of the rows above `constant`, and how many rows
  /// lie strictly above and strictly below it.
  public let labelAbove: Int?
  public let rowsAbove: Int?
  public let rowsBelow: Int?
  /// Nearly aliased: 1 − R² of the feature on the combination (nil when
  /// the combination is exact to rounding).
  public let residualShare: Double?

  public init(
    name: String, reason: Reason, constant: Double, combination: [Share]? = nil, labelAbove: Int? = nil,
    rowsAbove: Int? = nil, rowsBelow: Int? = nil, residualShare: Double? = nil
  ) {
    self.residualShare = residualShare
    self.name = name
    self.reason = reason
    self.constant = constant
    self.combination = combination
    self.labelAbove = labelAbove
    self.rowsAbove = rowsAbove
    self.rowsBelow = rowsBelow
  }

  /// "constant (always 0)" or "= count_purchase_30d + count_support_30d".
  public var description: String {
    switch reason {
    case .constant: return "constant (always \(DroppedFeature.number(constant)))"
    case .aliased:
      guard let share = residualShare else { return "= " + equation }
      return "≈ " + equation + " (1 − R² = \(DroppedFeature.number(share)): too close to fit apart)"
    case .separating:
      let c = DroppedFeature.number(constant)
      let above = labelAbove ?? 1
      var sides: [String] = []
      func rows(_ n: Int, _ side: String, _ label: Int) -> String {
        n == 1 ? "the one row \(side) \(c) has label \(label)" : "all \(n) rows \(side) \(c) have label \(label)"
      }
      if let n = rowsBelow, n > 0 { sides.append(rows(n, "below", 1 - above)) }
      if let n = rowsAbove, n > 0 { sides.append(rows(n, "above", above)) }
      return "separates the labels: " + sides.joined(separator: " and ")
        + " (no finite coefficient without a penalty; --l2 keeps it)"
    case .monotone:
      return
        "its coefficient grows without bound (\(constant < 0 ? "lower" : "higher") values churn first at nearly every churn time): no finite hazard ratio"
    case .unidentified:
      return "a combination of other features among the customers at risk at the churn times: no effect of its own"
    }
  }

  /// The right-hand side: "count_a_30d + count_b_30d − 2·x + 1".
  var equation: String {
    var parts: [String] = []
    for share in combination ?? [] {
      let c = share.coefficient
      let size = abs(c)
      let sign = c < 0 ? "− " : "+ "
      let factor = abs(size - 1) < 1e-9 ? "" : DroppedFeature.number(size) + "·"
      parts.append(sign + factor + share.feature)
    }
    if abs(constant) > 1e-9 || parts.isEmpty {
      parts.append((constant < 0 ? "− " : "+ ") + DroppedFeature.number(abs(constant)))
    }
    var text = parts.joined(separator: " ")
    if text.hasPrefix("+ ") { text.removeFirst(2) } else if text.hasPrefix("− ") { text = "−" + text.dropFirst(2) }
    return text
  }

  /// Six significant digits, whole numbers (below 10¹⁵) without a point.
  static func number(_ v: Double) -> String {
    guard abs(v) < 1e15 else { return String(format: "%.6g", v) }
    if abs(v - v.rounded()) < 1e-9 * max(1, abs(v)) { return String(Int64(v.rounded())) }
    return String(format: "%.6g", v)
  }
}
