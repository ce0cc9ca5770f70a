/// A fitted model of repeat purchases in a non-contractual business
/// (BG/NBD, Pareto/NBD): what it implies for a customer with `frequency`
/// repeat purchase days, `recency` and `age` in days.
public protocol FittedRepeatPurchaseModel: Sendable {
  /// The probability that the customer is still alive at the as-of day.
  func probabilityAlive(frequency x: Double, recency tx: Double, age T: Double) -> Double
  /// Expected purchases in the next `days` (nil where the model cannot
  /// compute it at these parameters).
  func expectedPurchases(days t: Double, frequency x: Double, recency tx: Double, age T: Double) -> Double?
}

extension FittedBGNBD: FittedRepeatPurchaseModel {
  public func expectedPurchases(days t: Double, frequency x: Double, recency tx: Double, age T: Double) -> Double? {
    expectedPurchases(days: t, frequency: x, recency: tx, age: T, radius: 0.95)
  }
}

extension FittedParetoNBD: FittedRepeatPurchaseModel {}
