import ChurnData
import ChurnIO
import Foundation

/// The `repeat_purchase` features' models: BG/NBD and Gamma-Gamma fitted
/// on the purchases up to the earliest cutoff (never later ones), then
/// evaluated on each customer's purchases up to every cutoff: P(alive),
/// expected purchases over the horizon and discounted CLV, as `churnkit
/// clv` computes them.
public struct RepeatPurchaseFeatureFitter: RepeatPurchaseFitting {
  public init() {}

  public func resolveAndEvaluate(
    _ feature: RepeatPurchaseFeature, through: Cutoff, cutoffs: [Cutoff], excluding: Set<String>,
    events reader: inout EventLogReader
  ) throws -> (feature: RepeatPurchaseFeature, values: [RepeatPurchaseValues]) {
    var ignored = IssueLog(limit: 0)  // the features' own pass reported them
    let history = try PurchaseHistory(
      reader: &reader, issues: &ignored, through: cutoffs.max()!, purchaseEvent: feature.purchaseEvent,
      excluding: excluding)
    var resolved = feature
    resolved.purchaseEvent = history.purchaseEvent
    if resolved.parameters == nil {
      resolved.parameters = try fit(history.summary(asOf: through))
      resolved.fittedThrough = through.description
    }
    let models = RepeatPurchaseModels(resolved)
    let values = try cutoffs.map { try models.values(history.summary(asOf: $0)) }
    return (resolved, values)
  }

  /// BG/NBD, and Gamma-Gamma when there are amounts and its mean spend has
  /// a finite expectation.
  private func fit(_ summary: RepeatPurchaseSummary) throws -> RepeatPurchaseParameters {
    let purchases = try BGNBDModel().fit(summary)
    var spend: FittedGammaGamma? = nil
    if summary.hasAmounts, summary.monetaryValue.contains(where: { $0 > 0 }) {
      spend = try GammaGammaModel().fit(summary)
      if spend!.q <= 1 { spend = nil }
    }
    var parameters = RepeatPurchaseParameters(
      r: purchases.r, alpha: purchases.alpha, a: purchases.a, b: purchases.b, commonDropout: purchases.commonDropout,
      p: spend?.p, q: spend?.q, v: spend?.v)
    parameters.logCovariance = purchases.logCovariance
    parameters.spendLogCovariance = spend?.logCovariance
    return parameters
  }
}

/// The fitted models of a resolved `repeat_purchase` feature, evaluated on
/// a summary.
struct RepeatPurchaseModels {
  let purchases: FittedBGNBD
  let spend: FittedGammaGamma?
  let horizonDays: Double
  let months: Int
  let discountRate: Double
  let width: Int

  init(_ feature: RepeatPurchaseFeature) {
    let k = feature.parameters!
    purchases = FittedBGNBD(
      r: k.r, alpha: k.alpha, a: k.a, b: k.b, commonDropout: k.commonDropout, logLikelihood: .nan, customers: 0,
      iterations: 0, logCovariance: k.logCovariance)
    spend =
      k.hasSpend
      ? FittedGammaGamma(
        p: k.p!, q: k.q!, v: k.v!, logLikelihood: .nan, customers: 0, iterations: 0,
        logCovariance: k.spendLogCovariance) : nil
    horizonDays = Double(feature.horizonDays!)
    months = feature.clvMonths ?? RepeatPurchaseFeature.defaultClvMonths
    discountRate = feature.discountRate ?? RepeatPurchaseFeature.defaultDiscountRate
    width = spend == nil ? 2 : 4
  }

  /// P(alive), expected purchases and (with the spend model) CLV and its
  /// standard error per customer of the summary.
  func values(_ s: RepeatPurchaseSummary) throws -> RepeatPurchaseValues {
    var values = [Double]()
    values.reserveCapacity(s.customerIDs.count * width)
    var errors = clvStandardErrors()
    for i in s.customerIDs.indices {
      let (x, tx, T) = (s.frequency[i], s.recency[i], s.age[i])
      values.append(purchases.probabilityAlive(frequency: x, recency: tx, age: T))
      values.append(try expectedPurchases(days: horizonDays, x, tx, T, customer: s.customerIDs[i]))
      if let spend {
        let average = spend.expectedAverageSpend(frequency: x, monetaryValue: s.monetaryValue[i])!
        var total = 0.0
        var previous = 0.0
        for month in 1...months {
          let cumulative = try expectedPurchases(days: Double(30 * month), x, tx, T, customer: s.customerIDs[i])
          total += average * (cumulative - previous) / pow(1 + discountRate, Double(month))
          previous = cumulative
        }
        values.append(total)
        values.append(
          errors?.standardError(frequency: x, recency: tx, age: T, monetaryValue: s.monetaryValue[i]) ?? .nan)
      }
    }
    return RepeatPurchaseValues(customerIDs: s.customerIDs, values: values, width: width)
  }

  /// CLV's standard errors from both fits' covariances (delta method).
  private func clvStandardErrors() -> ClvStandardErrors<FittedBGNBD>? {
    guard let spend else { return nil }
    let (months, rate) = (months, discountRate)
    return ClvStandardErrors(purchases: purchases, spend: spend) { model, x, tx, T in
      discountedExpectedPurchases(months: months, monthlyDiscountRate: rate) {
        model.expectedPurchases(days: $0, frequency: x, recency: tx, age: T, radius: 0.999_999)
      }
    }
  }

  /// Expected purchases, the hypergeometric series summed to its end
  /// however close to its radius (its terms are all positive when
  /// a + b > 1, so the sum stays accurate, only slower).
  private func expectedPurchases(
    days t: Double, _ x: Double, _ tx: Double, _ T: Double, customer: String
  ) throws -> Double {
    if let n = purchases.expectedPurchases(days: t, frequency: x, recency: tx, age: T, radius: 0.999_999) { return n }
    throw BuyTillYouDieError.expectationNotComputable(customer: customer, days: Int(t))
  }
}
