import ChurnIO
import Foundation

/// The lifetime-value page of `churnkit clv --report`: how P(alive) (or,
/// for subscriptions, the renewal probability) and the discounted CLV spread
/// over the customers, with sentences in plain words (how concentrated the
/// value is, how many customers are probably gone or at risk).
public struct ClvReport: Sendable, ReportPage {
  /// Which business and models the figures come from.
  public enum Models: Sendable {
    /// Non-contractual: a repeat-purchase model ("BG/NBD", "Pareto/NBD")
    /// and Gamma-Gamma, CLV over `months` months; `probabilities` are
    /// P(alive).
    case repeatPurchase(model: String, months: Int)
    /// Subscriptions: the shifted-beta-geometric model, CLV over the
    /// expected remaining lifetime; `probabilities` are the renewal
    /// probabilities of those still subscribed, of `customers` in all.
    case subscription(periodDays: Int, churnEvent: String, customers: Int)
  }

  public let title: String
  public let asOf: String
  public let models: Models
  public let probabilities: [Double]
  /// Per customer; nil where the models give none (no amounts, or a spend
  /// with no finite expectation).
  public let clv: [Double?]
  /// Per month (repeat purchases) or per period (subscriptions).
  public let discountRate: Double

  public init(
    asOf: String, models: Models, probabilities: [Double], clv: [Double?], discountRate: Double,
    title: String = "Customer lifetime value"
  ) {
    (self.asOf, self.models, self.probabilities, self.clv) = (asOf, models, probabilities, clv)
    self.discountRate = discountRate
    self.title = title
  }

  public var chartIDs: [String] {
    [probabilityChartID] + (values.isEmpty ? [] : ["clv", "value-concentration"])
  }

  var probabilityChartID: String {
    if case .subscription = models { return "renewal" }
    return "p-alive"
  }

  /// The CLVs the models give, largest first.
  var values: [Double] { clv.compactMap { $0 }.filter(\.isFinite).sorted(by: >) }

  /// The share of the total expected value held by the top `share` of the
  /// customers with a value (largest first).
  public func valueShare(ofTop share: Double) -> Double? {
    let v = values
    let total = v.reduce(0, +)
    guard !v.isEmpty, total > 0 else { return nil }
    let k = max(1, Int((share * Double(v.count)).rounded()))
    return v.prefix(k).reduce(0, +) / total
  }

  // MARK: - Sentences

  public var sentences: [String] {
    var out: [String] = []
    let n = probabilities.count
    switch models {
    case .repeatPurchase:
      let gone = probabilities.filter { $0 < 0.5 }.count
      out.append(
        "\(gone) of \(n) customers (\(HTML.percent(Double(gone) / Double(max(1, n))))) are more likely gone than still buying (P(alive) below 50%) as of \(asOf)."
      )
    case .subscription(_, let churnEvent, let customers):
      let sorted = probabilities.sorted()
      let median = sorted.isEmpty ? .nan : (sorted[(n - 1) / 2] + sorted[n / 2]) / 2
      out.append(
        "\(customers - n) of \(customers) customers had left ('\(churnEvent)') by \(asOf); the \(n) still subscribed renew with a median probability of \(HTML.percent(median)) a period (\(HTML.percent(sorted.first ?? .nan)) to \(HTML.percent(sorted.last ?? .nan)))."
      )
    }
    if let top = valueShare(ofTop: 0.2) {
      let total = values.reduce(0, +)
      let over: String
      switch models {
      case .repeatPurchase(_, let months):
        over =
          "over the next \(months) months (\(HTML.number(total, 0)) in all, discounted at \(HTML.percent(discountRate, 1)) a month)"
      case .subscription(let days, _, _):
        over =
          "over their expected remaining lifetime (\(HTML.number(total, 0)) in all, discounted at \(HTML.percent(discountRate, 2)) per period of \(days) days)"
      }
      let who = { if case .subscription = models { return "subscribers" } else { return "customers" } }()
      out.append("The top 20% of \(who) hold \(HTML.percent(top)) of the expected value \(over).")
    } else {
      out.append("No lifetime value could be computed (no amounts, or a spend with no finite expectation).")
    }
    return out
  }

  // MARK: - The page

  public func html() -> String {
    var page = HTML.pageStart(title: title, css: JourneyReport.css + ModelReport.css)
    page += """
      <header><h1>\(HTML.escape(title))</h1>
      <p class="lede">\(HTML.escape(lede))</p>
      <ul class="summary" id="summary">\(sentences.map { "<li>\(HTML.escape($0))</li>" }.joined())</ul></header>

      """
    switch models {
    case .repeatPurchase(let model, _):
      let oneDay =
        model == "BG/NBD"
        ? " Those who bought on one day only count as alive: in BG/NBD a customer can only leave after a repeat purchase."
        : ""
      page += section(
        "Still buying?",
        "How many customers have each probability of still being a customer (P(alive)).\(oneDay)",
        histogram(id: "p-alive", values: probabilities, upper: 1, xTitle: "P(alive)", percent: true))
    case .subscription:
      page += section(
        "Who will renew?",
        "How many of the customers still subscribed have each probability of renewing at their next period: it rises with the periods they have already stayed, as those likely to leave leave first.",
        histogram(id: "renewal", values: probabilities, upper: 1, xTitle: "renewal probability", percent: true))
    }
    if !values.isEmpty {
      let upper = JourneyReport.niceCeiling(quantile(0.99))
      page += section(
        "Lifetime value",
        "How the discounted lifetime value spreads over the customers (the top 1% beyond \(HTML.number(upper, 0)) counted in the last bar).",
        histogram(id: "clv", values: values, upper: upper, xTitle: "discounted CLV", percent: false))
      page += section(
        "How concentrated the value is", sentences[1], concentrationChart())
    }
    return page + HTML.pageEnd(footer: "ChurnKit \(ChurnKitVersion.current)")
  }

  var lede: String {
    switch models {
    case .repeatPurchase(let model, _):
      return "\(model) and Gamma-Gamma fitted on the purchases to \(asOf), \(probabilities.count) customers."
    case .subscription(let days, let churnEvent, let customers):
      return
        "The shifted-beta-geometric retention model fitted on \(customers) subscriptions to \(asOf) (periods of \(days) days, leaving by '\(churnEvent)')."
    }
  }

  /// numpy's linear quantile of the values.
  func quantile(_ q: Double) -> Double {
    let v = values.reversed() as [Double]
    guard !v.isEmpty else { return 1 }
    let position = q * Double(v.count - 1)
    let lo = Int(position.rounded(.down)), hi = min(v.count - 1, lo + 1)
    return v[lo] + (v[hi] - v[lo]) * (position - Double(lo))
  }

  /// 20 bins from 0 to `upper`, values past it in the last.
  func histogram(id: String, values: [Double], upper: Double, xTitle: String, percent: Bool) -> String {
    let bins = 20
    var counts = [Double](repeating: 0, count: bins)
    for v in values where v.isFinite {
      counts[min(bins - 1, max(0, Int(v / upper * Double(bins))))] += 1
    }
    let top = JourneyReport.niceCeiling(counts.max() ?? 1)
    var plot = SVGPlot(id: id, title: xTitle + " distribution", x: 0...upper, y: 0...top)
    plot.axes(
      x: xTitle, y: "customers", xTicks: (0...5).map { upper * Double($0) / 5 },
      yTicks: JourneyReport.ticks(upTo: top), percent: false, xPercent: percent)
    for (b, n) in counts.enumerated() where n > 0 {
      let from = upper * Double(b) / Double(bins), to = upper * Double(b + 1) / Double(bins)
      plot.rect(
        x0: from, y0: 0, x1: to, y1: n, colour: HTML.categorical[0], opacity: 0.8,
        tooltip: "\(HTML.number(from, 2))–\(HTML.number(to, 2)): \(Int(n)) customers")
    }
    return plot.svg
  }

  /// The share of the value held by the top share of customers (a Lorenz
  /// curve read from the top).
  func concentrationChart() -> String {
    var plot = SVGPlot(id: "value-concentration", title: "Value held by the top customers")
    plot.axes(
      x: "share of customers, highest value first", y: "share of the expected value",
      xTicks: [0, 0.2, 0.4, 0.6, 0.8, 1], yTicks: [0, 0.2, 0.4, 0.6, 0.8, 1], percent: true)
    plot.polyline([(0, 0), (1, 1)], colour: "#999", width: 1.5, dashed: true)
    let v = values
    let total = v.reduce(0, +)
    guard total > 0 else { return plot.svg }
    var points: [(Double, Double)] = [(0, 0)]
    var sum = 0.0
    let step = max(1, v.count / 200)
    for (k, x) in v.enumerated() {
      sum += x
      if (k + 1) % step == 0 || k == v.count - 1 { points.append((Double(k + 1) / Double(v.count), sum / total)) }
    }
    plot.polyline(points, colour: HTML.categorical[0])
    if let top = valueShare(ofTop: 0.2) {
      plot.point(0.2, top, radius: 4, colour: HTML.churnColour, tooltip: "top 20%: \(HTML.percent(top))")
      plot.label(0.23, top - 0.04, "top 20% → \(HTML.percent(top, 0))")
    }
    return plot.svg
  }
}
