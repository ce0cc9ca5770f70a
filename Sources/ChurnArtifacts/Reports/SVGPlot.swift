/// A plot area in an SVG chart: data coordinates to pixels, axes with
/// ticks and titles, lines, points and bars. Everything it writes is
/// escaped; the reports' charts are built from it.
struct SVGPlot {
  let id: String
  let title: String
  let width = 460.0, height = 340.0
  let left = 68.0, right = 16.0, top = 14.0, bottom = 52.0
  var xRange: ClosedRange<Double> = 0...1
  var yRange: ClosedRange<Double> = 0...1
  private(set) var body = ""

  init(id: String, title: String, x: ClosedRange<Double> = 0...1, y: ClosedRange<Double> = 0...1) {
    self.id = id
    self.title = title
    xRange = x
    yRange = y
  }

  var plotWidth: Double { width - left - right }
  var plotHeight: Double { height - top - bottom }

  func x(_ v: Double) -> Double {
    left + plotWidth * (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound)
  }
  func y(_ v: Double) -> Double {
    top + plotHeight * (1 - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound))
  }

  /// Grid lines, tick labels and axis titles.
  /// `percent` labels both axes' ticks as percentages; `xPercent`, when
  /// given, decides for the x axis alone.
  mutating func axes(
    x xTitle: String, y yTitle: String, xTicks: [Double], yTicks: [Double], percent: Bool = false,
    xPercent: Bool? = nil
  ) {
    func label(_ v: Double, _ asPercent: Bool) -> String {
      asPercent ? HTML.percent(v, 0) : HTML.number(v, v.rounded() == v ? 0 : 1)
    }
    for t in yTicks {
      body += line(left, y(t), width - right, y(t), cls: "grid")
      body += text(left - 6, y(t) + 4, label(t, percent), anchor: "end", cls: "axis")
    }
    for t in xTicks {
      body += line(x(t), top, x(t), top + plotHeight, cls: "grid")
      body += text(x(t), top + plotHeight + 17, label(t, xPercent ?? percent), cls: "axis")
    }
    body += line(left, top + plotHeight, width - right, top + plotHeight, cls: "zero")
    body += line(left, top, left, top + plotHeight, cls: "zero")
    body += text(left + plotWidth / 2, height - 8, xTitle, cls: "axis")
    body +=
      "<text transform=\"translate(13 \(HTML.number(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(HTML.escape(yTitle))</text>\n"
  }

  /// A polyline through data points.
  mutating func polyline(_ points: [(Double, Double)], colour: String, width: Double = 2.5, dashed: Bool = false) {
    let coordinates = points.map { "\(HTML.number(x($0.0), 2)),\(HTML.number(y($0.1), 2))" }.joined(separator: " ")
    body +=
      "<polyline class=\"curve\" points=\"\(coordinates)\" stroke=\"\(colour)\" stroke-width=\"\(HTML.number(width))\"\(dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
  }

  /// A dot with a tooltip.
  mutating func point(_ px: Double, _ py: Double, radius: Double, colour: String, tooltip: String) {
    body +=
      "<circle cx=\"\(HTML.number(x(px), 2))\" cy=\"\(HTML.number(y(py), 2))\" r=\"\(HTML.number(radius, 2))\" fill=\"\(colour)\" fill-opacity=\"0.85\"><title>\(HTML.escape(tooltip))</title></circle>\n"
  }

  /// A horizontal segment with end ticks (an interval), in data units.
  mutating func interval(from a: Double, to b: Double, at level: Double, colour: String) {
    body += line(x(a), y(level), x(b), y(level), cls: "whisker", colour: colour)
  }

  mutating func rect(x0: Double, y0: Double, x1: Double, y1: Double, colour: String, opacity: Double, tooltip: String) {
    let (px, py) = (min(x(x0), x(x1)), min(y(y0), y(y1)))
    body +=
      "<rect x=\"\(HTML.number(px, 2))\" y=\"\(HTML.number(py, 2))\" width=\"\(HTML.number(abs(x(x1) - x(x0)), 2))\" height=\"\(HTML.number(abs(y(y1) - y(y0)), 2))\" fill=\"\(colour)\" fill-opacity=\"\(HTML.number(opacity, 2))\"><title>\(HTML.escape(tooltip))</title></rect>\n"
  }

  mutating func label(_ px: Double, _ py: Double, _ content: String, anchor: String = "start", cls: String = "small") {
    body += text(x(px), y(py), content, anchor: anchor, cls: cls)
  }

  /// A legend row at the top right, one entry per (name, colour).
  mutating func legend(_ entries: [(String, String)]) {
    for (k, (name, colour)) in entries.enumerated() {
      let yy = top + 14 + Double(k) * 18
      body += line(width - right - 150, yy - 4, width - right - 128, yy - 4, cls: "", colour: colour, width: 3)
      body += text(width - right - 122, yy, name, anchor: "start", cls: "small")
    }
  }

  var svg: String {
    "<svg id=\"\(id)\" class=\"plot\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"\(id)-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"\(id)-title\">\(HTML.escape(title))</title>\n\(body)</svg>"
  }

  private func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cls: String, colour: String? = nil, width: Double? = nil
  ) -> String {
    let stroke = colour.map { " stroke=\"\($0)\"" } ?? ""
    let strokeWidth = width.map { " stroke-width=\"\(HTML.number($0))\"" } ?? ""
    return
      "<line x1=\"\(HTML.number(x1, 2))\" y1=\"\(HTML.number(y1, 2))\" x2=\"\(HTML.number(x2, 2))\" y2=\"\(HTML.number(y2, 2))\"\(cls.isEmpty ? "" : " class=\"\(cls)\"")\(stroke)\(strokeWidth)/>\n"
  }

  private func text(
    _ x: Double, _ y: Double, _ content: String, anchor: String = "middle", cls: String = ""
  )
    -> String
  {
    "<text x=\"\(HTML.number(x))\" y=\"\(HTML.number(y))\" text-anchor=\"\(anchor)\"\(cls.isEmpty ? "" : " class=\"\(cls)\"")>\(HTML.escape(content))</text>\n"
  }
}
