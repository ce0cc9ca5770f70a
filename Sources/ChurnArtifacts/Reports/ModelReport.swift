import ChurnData
import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// The model report: one self-contained HTML page (inline SVG and CSS, no
/// script, no network) on how a churn model does on labelled data — ROC and
/// precision–recall, calibration, gains, the score distribution, thresholds
/// and risk bands, what drives the risk, and feature drift since training —
/// each chart with a sentence in plain words computed from the numbers.
///
/// ```swift
/// let report = ModelReport(model: model, scores: scores, data: "events.csv at 2025-09-30")
/// let html = report.html()
/// ```
public struct ModelReport: Sendable, ReportPage {
  public let model: ChurnModel
  public let title: String
  /// What the data is ("events.csv at cutoff 2025-09-30"), said at the top.
  public let dataDescription: String
  public let metrics: BinaryMetrics
  public let curves: RankingCurves
  /// The cost of contacting one customer and the value of one saved: when
  /// both are given, the threshold that returns the most.
  public var contactCost: Double?
  public var savedValue: Double?
  /// Other labelled rows drawn beside this data's ROC curve (the training
  /// rows, when the report is of the holdout).
  public var comparisons: [Comparison] = []
  /// Whether this data is the model's own training rows (then the training
  /// calibration is not drawn again beside it).
  public var isTrainingData = false

  public struct Comparison: Sendable {
    public let name: String
    public let curves: RankingCurves

    public init(name: String, scores: LabelledScores) {
      self.name = name
      let metrics = BinaryMetrics(probabilities: scores.probabilities, labels: scores.labels)
      curves = RankingCurves(
        probabilities: scores.probabilities, labels: scores.labels, calibration: metrics.calibration)
    }
  }
  let probabilities: [Double]
  let labels: [Double]
  let features: Matrix

  public init(
    model: ChurnModel, scores: LabelledScores, data: String, title: String = "Churn model report"
  )
    throws(ModelError)
  {
    guard !scores.labels.isEmpty else { throw .noRows }
    self.model = model
    self.title = title
    dataDescription = data
    probabilities = scores.probabilities
    labels = scores.labels
    features = scores.features
    metrics = BinaryMetrics(probabilities: scores.probabilities, labels: scores.labels)
    curves = RankingCurves(probabilities: scores.probabilities, labels: scores.labels, calibration: metrics.calibration)
  }

  /// Stable ids of the charts, in page order; tests check each is drawn.
  public var chartIDs: [String] {
    ["roc", "pr", "calibration", "gains", "scores", "coefficients", "drift"]
      + (hasActions ? ["qini", "uplift", "policies"] : [])
  }

  // MARK: - The sentences

  /// The plain-language readings, in page order (also in `--json`).
  public var sentences: [String] {
    [rankingSentence, gainSentence, calibrationSentence] + (costSentence.map { [$0] } ?? []) + [trainingSentence]
      + (hasActions ? [policySentence] : [])
  }

  var rankingSentence: String {
    let (lo, hi) = curves.aucInterval
    return
      "The model ranks a random churner above a random customer who stayed \(HTML.percent(curves.rocAUC)) of the time (95% interval \(HTML.percent(lo))–\(HTML.percent(hi)); 50% is chance), on \(curves.count) customers of whom \(curves.positives) churned."
  }

  var gainSentence: String {
    let g10 = curves.gain(atShare: 0.1), g30 = curves.gain(atShare: 0.3)
    return
      "The riskiest 10% of customers hold \(HTML.percent(g10)) of the churners (\(HTML.number(g10 / 0.1, 1))× their share); the riskiest 30% hold \(HTML.percent(g30))."
  }

  var calibrationSentence: String {
    let predicted = probabilities.reduce(0, +) / Double(probabilities.count)
    let observed = Double(curves.positives) / Double(curves.count)
    var sentence =
      "The model predicts \(HTML.percent(predicted)) churn on average where \(HTML.percent(observed)) churned; decile by decile its predictions are off by \(HTML.number(100 * curves.expectedCalibrationError, 1)) percentage points on average."
    if !isTrainingData {
      let training = model.training.metrics
      let trainingPredicted =
        training.calibration.reduce(0) { $0 + $1.meanPredicted * Double($1.count) } / Double(max(training.count, 1))
      let trainingObserved = Double(training.positives) / Double(max(training.count, 1))
      sentence +=
        " On its training rows it predicted \(HTML.percent(trainingPredicted)) where \(HTML.percent(trainingObserved)) churned."
    }
    return sentence
  }

  var costSentence: String? {
    guard let contactCost, let savedValue else { return nil }
    guard let (point, value) = curves.bestThreshold(contactCost: contactCost, savedValue: savedValue) else {
      return
        "At a contact cost of \(HTML.number(contactCost, 2)) and \(HTML.number(savedValue, 2)) per saved customer, no threshold pays: contacting anyone costs more than the churners it reaches are worth."
    }
    let precision = Double(point.truePositives) / Double(point.flagged)
    return
      "At a contact cost of \(HTML.number(contactCost, 2)) and \(HTML.number(savedValue, 2)) per saved customer, contacting the \(point.flagged) customers with a churn probability of at least \(HTML.number(point.threshold, 3)) returns the most: \(HTML.number(value, 2)), if every churner contacted were saved (\(HTML.percent(precision)) of them are churners)."
  }

  var trainingSentence: String {
    if isTrainingData { return "These are the model's training rows: expect it to do somewhat worse on new data." }
    let train = model.training.metrics.rocAUC
    if !comparisons.isEmpty {
      return
        "On its training rows the model had an AUC of \(HTML.number(train, 3)) against \(HTML.number(curves.rocAUC, 3)) on the holdout here: the gap is what it learned of the training rows' noise."
    }
    guard let holdout = model.training.holdoutMetrics?.rocAUC else {
      return
        "On its training rows the model had an AUC of \(HTML.number(train, 3)); here \(HTML.number(curves.rocAUC, 3))."
    }
    return
      "On its training rows the model had an AUC of \(HTML.number(train, 3)), on its holdout \(HTML.number(holdout, 3)); here \(HTML.number(curves.rocAUC, 3))."
  }

  // MARK: - The page

  public func html() -> String {
    var page = HTML.pageStart(title: title, css: JourneyReport.css + Self.css)
    page += """
      <header><h1>\(HTML.escape(title))</h1>
      <p class="lede">\(HTML.escape(dataDescription)): \(curves.count) labelled customers, \(curves.positives) churned within \(model.training.horizonDays) days (\(HTML.escape(model.training.churnDefinition))).</p>
      <ul class="summary" id="summary">\(sentences.map { "<li>\(HTML.escape($0))</li>" }.joined())</ul></header>

      """
    page += section(
      "How well it ranks", rankingSentence + " " + precisionSentence,
      "<div class=\"pair\">\(rocChart())\(precisionRecallChart())</div>")
    page += section("Calibration", calibrationSentence, calibrationChart() + calibrationTable())
    page += section("Cumulative gains", gainSentence, gainsChart())
    page += section(
      "Scores by outcome", scoreSentence, scoreChart())
    page += section("Thresholds", costSentence ?? thresholdCaption, thresholdTable())
    page += section("Risk bands", riskBandCaption, riskBandTable())
    page += section("What drives the risk", coefficientCaption, coefficientChart() + droppedList())
    page += section("Feature drift since training", driftCaption, driftChart())
    page += actionSections()
    return page
      + HTML.pageEnd(
        footer:
          "ChurnKit \(ChurnKitVersion.current) · model trained on \(model.training.events) at \(model.training.cutoffs.joined(separator: ", "))"
      )
  }

  static let css = """
    .summary{background:#f3f7fb;border-left:4px solid #0072B2;padding:.6rem 1rem .6rem 2rem;margin:.8rem 0 0}.summary li{margin:.2rem 0}
    svg.plot{max-width:520px}.pair{display:grid;grid-template-columns:1fr 1fr;gap:1rem}@media (max-width:700px){.pair{grid-template-columns:1fr}}
    """

  // MARK: - Charts

  private static let ticks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]

  func rocChart() -> String {
    var plot = SVGPlot(id: "roc", title: "ROC curve")
    plot.axes(
      x: "share of stayers flagged (false positive rate)", y: "share of churners flagged", xTicks: Self.ticks,
      yTicks: Self.ticks, percent: true)
    plot.polyline([(0, 0), (1, 1)], colour: "#999", width: 1.5, dashed: true)
    let points = Self.rocPoints(curves)
    for (k, other) in comparisons.enumerated() {
      plot.polyline(Self.rocPoints(other.curves), colour: HTML.categorical[1 + k % 4], width: 1.5)
    }
    plot.polyline(points, colour: HTML.categorical[0])
    plot.label(0.55, 0.12, "AUC \(HTML.number(curves.rocAUC, 3))", cls: "label")
    if !comparisons.isEmpty {
      plot.legend(
        [(dataName, HTML.categorical[0])]
          + comparisons.enumerated().map { k, c in
            ("\(c.name), AUC \(HTML.number(c.curves.rocAUC, 3))", HTML.categorical[1 + k % 4])
          })
    }
    return plot.svg
  }

  static func rocPoints(_ c: RankingCurves) -> [(Double, Double)] {
    let negatives = Double(max(c.negatives, 1)), positives = Double(max(c.positives, 1))
    return [(0.0, 0.0)] + c.points.map { (Double($0.falsePositives) / negatives, Double($0.truePositives) / positives) }
  }

  /// This data's name in legends.
  public var dataName = "this data"

  func precisionRecallChart() -> String {
    var plot = SVGPlot(id: "pr", title: "Precision–recall curve")
    plot.axes(
      x: "share of churners flagged (recall)", y: "churners among the flagged (precision)", xTicks: Self.ticks,
      yTicks: Self.ticks, percent: true)
    let base = Double(curves.positives) / Double(curves.count)
    plot.polyline([(0, base), (1, base)], colour: "#999", width: 1.5, dashed: true)
    let positives = Double(max(curves.positives, 1))
    plot.polyline(
      curves.points.map { (Double($0.truePositives) / positives, Double($0.truePositives) / Double($0.flagged)) },
      colour: HTML.categorical[0])
    plot.label(
      0.45, 0.9, "average precision \(HTML.number(metrics.averagePrecision, 3))", cls: "label")
    return plot.svg
  }

  func calibrationChart() -> String {
    let bins = metrics.calibration + (isTrainingData ? [] : model.training.metrics.calibration)
    let upper = JourneyReport.niceCeiling(max(bins.map { max($0.meanPredicted, $0.observedRate) }.max() ?? 1, 0.05))
    let ticks = JourneyReport.ticks(upTo: upper)
    var plot = SVGPlot(id: "calibration", title: "Calibration by decile", x: 0...upper, y: 0...upper)
    plot.axes(x: "mean predicted churn", y: "observed churn", xTicks: ticks, yTicks: ticks, percent: true)
    plot.polyline([(0, 0), (upper, upper)], colour: "#999", width: 1.5, dashed: true)
    if !isTrainingData {
      let training = model.training.metrics.calibration
      plot.polyline(training.map { ($0.meanPredicted, $0.observedRate) }, colour: "#888", width: 1.5)
      for bin in training {
        plot.point(
          bin.meanPredicted, bin.observedRate, radius: 2.5, colour: "#888",
          tooltip:
            "training, \(bin.count) customers: predicted \(HTML.percent(bin.meanPredicted)), observed \(HTML.percent(bin.observedRate))"
        )
      }
      plot.legend([(dataName, HTML.categorical[0]), ("training", "#888")])
    }
    plot.polyline(
      metrics.calibration.map { ($0.meanPredicted, $0.observedRate) }, colour: HTML.categorical[0], width: 1.5)
    let largest = Double(metrics.calibration.map(\.count).max() ?? 1)
    for bin in metrics.calibration {
      plot.point(
        bin.meanPredicted, bin.observedRate, radius: 3 + 5 * (Double(bin.count) / largest).squareRoot(),
        colour: HTML.categorical[0],
        tooltip:
          "\(bin.count) customers: predicted \(HTML.percent(bin.meanPredicted)), observed \(HTML.percent(bin.observedRate))"
      )
    }
    return plot.svg
  }

  func gainsChart() -> String {
    var plot = SVGPlot(id: "gains", title: "Cumulative gains")
    plot.axes(
      x: "share of customers contacted, riskiest first", y: "share of churners reached", xTicks: Self.ticks,
      yTicks: Self.ticks, percent: true)
    plot.polyline([(0, 0), (1, 1)], colour: "#999", width: 1.5, dashed: true)
    let positives = Double(max(curves.positives, 1)), n = Double(curves.count)
    plot.polyline(
      [(0.0, 0.0)] + curves.points.map { (Double($0.flagged) / n, Double($0.truePositives) / positives) },
      colour: HTML.categorical[0])
    for share in [0.1, 0.3] {
      let g = curves.gain(atShare: share)
      plot.point(
        share, g, radius: 4, colour: HTML.churnColour, tooltip: "\(HTML.percent(share, 0)): \(HTML.percent(g))")
      plot.label(share + 0.02, g - 0.05, "\(HTML.percent(share, 0)) → \(HTML.percent(g, 0))")
    }
    return plot.svg
  }

  func scoreChart() -> String {
    let bins = 20
    var counts = [[Double]](repeating: [Double](repeating: 0, count: bins), count: 2)
    for (p, y) in zip(probabilities, labels) { counts[y == 1 ? 1 : 0][min(bins - 1, Int(p * Double(bins)))] += 1 }
    let shares = counts.map { row in row.map { $0 / max(1, row.reduce(0, +)) } }
    let upper = JourneyReport.niceCeiling(shares.flatMap { $0 }.max() ?? 1)
    var plot = SVGPlot(id: "scores", title: "Predicted churn probability by outcome", y: 0...upper)
    plot.axes(
      x: "predicted churn probability", y: "share of the group", xTicks: Self.ticks,
      yTicks: JourneyReport.ticks(upTo: upper), percent: true)
    for (group, colour, name) in [(0, HTML.categorical[0], "stayed"), (1, HTML.churnColour, "churned")] {
      for b in 0..<bins where counts[group][b] > 0 {
        plot.rect(
          x0: Double(b) / Double(bins), y0: 0, x1: Double(b + 1) / Double(bins), y1: shares[group][b], colour: colour,
          opacity: 0.45,
          tooltip:
            "\(name), \(HTML.percent(Double(b) / Double(bins), 0))–\(HTML.percent(Double(b + 1) / Double(bins), 0)): \(Int(counts[group][b])) customers"
        )
      }
    }
    plot.legend([("stayed", HTML.categorical[0]), ("churned", HTML.churnColour)])
    return plot.svg
  }

  // MARK: - Tables

  /// The deciles behind the calibration chart, with their counts.
  func calibrationTable() -> String {
    var rows = ""
    for (k, bin) in metrics.calibration.enumerated() {
      rows +=
        "<tr><th scope=\"row\">\(k + 1)</th><td>\(bin.count)</td><td>\(HTML.percent(bin.meanPredicted, 2))</td><td>\(HTML.percent(bin.observedRate, 2))</td></tr>\n"
    }
    return
      "<table id=\"deciles\"><thead><tr><th>decile (10 = riskiest)</th><th>customers</th><th>mean predicted</th><th>observed</th></tr></thead><tbody>\n\(rows)</tbody></table>"
  }

  var thresholdCaption: String {
    let target = Int((0.1 * Double(curves.count)).rounded(.up))
    guard let point = curves.points.first(where: { $0.flagged >= target }) else { return "" }
    let recall = Double(point.truePositives) / Double(max(curves.positives, 1))
    return
      "Flagging the riskiest 10% (a churn probability of at least \(HTML.number(point.threshold, 3)), \(point.flagged) customers) finds \(HTML.percent(recall)) of the churners. Give --contact-cost and --saved-value for the cut that pays best."
  }

  /// Precision among the riskiest 10% against the base rate.
  var precisionSentence: String {
    let target = Int((0.1 * Double(curves.count)).rounded(.up))
    guard let point = curves.points.first(where: { $0.flagged >= target }) else { return "" }
    let precision = Double(point.truePositives) / Double(point.flagged)
    let base = Double(curves.positives) / Double(curves.count)
    return
      "Among the riskiest 10%, \(HTML.percent(precision)) are churners, against \(HTML.percent(base)) of all customers."
  }

  /// The median score of those who churned and of those who stayed.
  var scoreSentence: String {
    func median(_ v: [Double]) -> Double {
      guard !v.isEmpty else { return .nan }
      let s = v.sorted()
      return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    let churned = zip(probabilities, labels).filter { $0.1 == 1 }.map(\.0)
    let stayed = zip(probabilities, labels).filter { $0.1 != 1 }.map(\.0)
    return
      "The median predicted churn probability is \(HTML.percent(median(churned))) for those who churned and \(HTML.percent(median(stayed))) for those who stayed."
  }

  func thresholdTable() -> String {
    var rows = ""
    for share in [0.05, 0.1, 0.2, 0.3, 0.5] {
      let target = Int((share * Double(curves.count)).rounded(.up))
      guard let point = curves.points.first(where: { $0.flagged >= target }) else { continue }
      let precision = Double(point.truePositives) / Double(point.flagged)
      let recall = Double(point.truePositives) / Double(max(curves.positives, 1))
      rows +=
        "<tr><th scope=\"row\">riskiest \(HTML.percent(share, 0))</th><td>\(HTML.number(point.threshold, 3))</td><td>\(point.flagged)</td><td>\(HTML.percent(precision))</td><td>\(HTML.percent(recall))</td></tr>\n"
    }
    return
      "<table id=\"thresholds\"><thead><tr><th>flag</th><th>probability at least</th><th>customers flagged</th><th>churners among them (precision)</th><th>churners found (recall)</th></tr></thead><tbody>\n\(rows)</tbody></table>"
  }

  var riskBandCaption: String {
    let bands = model.reference.riskBandCuts.count + 1
    var customers = [Int](repeating: 0, count: bands), churners = [Int](repeating: 0, count: bands)
    for (p, y) in zip(probabilities, labels) {
      customers[model.reference.riskBand(p) - 1] += 1
      if y == 1 { churners[model.reference.riskBand(p) - 1] += 1 }
    }
    let rate = { (b: Int) in customers[b] > 0 ? HTML.percent(Double(churners[b]) / Double(customers[b])) : "–" }
    return
      "The model's \(bands) risk bands, cut at the training scores' deciles: here \(rate(bands - 1)) of the customers in the riskiest band churned, against \(rate(0)) in the safest."
  }

  func riskBandTable() -> String {
    let bands = model.reference.riskBandCuts.count + 1
    var customers = [Int](repeating: 0, count: bands), churners = [Int](repeating: 0, count: bands)
    for (p, y) in zip(probabilities, labels) {
      let band = model.reference.riskBand(p) - 1
      customers[band] += 1
      if y == 1 { churners[band] += 1 }
    }
    var rows = ""
    for band in (0..<bands).reversed() {
      let rate = customers[band] > 0 ? HTML.percent(Double(churners[band]) / Double(customers[band])) : "–"
      rows +=
        "<tr><th scope=\"row\">\(band + 1)</th><td>\(customers[band])</td><td>\(churners[band])</td><td>\(rate)</td></tr>\n"
    }
    return
      "<table id=\"bands\"><thead><tr><th>band (\(bands) = riskiest)</th><th>customers</th><th>churned</th><th>churn rate</th></tr></thead><tbody>\n\(rows)</tbody></table>"
  }
}
