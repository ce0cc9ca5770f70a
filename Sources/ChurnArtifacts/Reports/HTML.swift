import ChurnIO

/// Escaping and number formatting for the self-contained HTML reports.
///
/// Every string that comes from data (stage, channel and event names) goes
/// through `HTML.escape` before it lands in the page, in element text or in
/// an attribute value alike.
enum HTML {
  /// Text safe inside an element or a quoted attribute, in HTML and in XML
  /// alike (PMML uses it too).
  ///
  /// ```swift
  /// HTML.escape("<script>")  // "&lt;script&gt;"
  /// ```
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for ch in text.unicodeScalars {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      // As references, so an attribute keeps them (a parser turns them into
      // spaces otherwise).
      case "\t": out += "&#9;"
      case "\n": out += "&#10;"
      case "\r": out += "&#13;"
      default:
        // XML 1.0 forbids the other C0 controls and U+FFFE/U+FFFF even as
        // character references (and HTML calls them parse errors): a
        // replacement character shows where one was.
        let v = ch.value
        let forbidden = (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0xFFFE || v == 0xFFFF
        out.unicodeScalars.append(forbidden ? "\u{FFFD}" : ch)
      }
    }
    return out
  }

  /// A self-contained page's start, up to and including `<body>`: its
  /// title and inline style (the reports load nothing from anywhere).
  static func pageStart(title: String, css: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(escape(title))</title>
    <style>\(css)</style>
    </head>
    <body>

    """
  }

  /// A page's end: its footer line, escaped.
  static func pageEnd(footer: String) -> String {
    "<footer>\(escape(footer))</footer>\n</body>\n</html>\n"
  }

  /// A number with `digits` decimals, as SVG coordinates and labels need it.
  static func number(_ value: Double, _ digits: Int = 1) -> String { NumberText.fixed(value, digits) }

  /// A share as a percentage, e.g. 0.1234 → "12.3%".
  static func percent(_ share: Double, _ digits: Int = 1) -> String { NumberText.percent(share, digits) }

  /// The Okabe–Ito palette: distinguishable with every common form of
  /// colour blindness, and in greyscale print by order.
  static let categorical = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

  /// Churn is always drawn in vermillion.
  static let churnColour = "#D55E00"

  /// A sequential blue scale for 0…1 (light to dark), readable in greyscale.
  static func sequential(_ t: Double) -> String {
    let x = min(max(t.isFinite ? t : 0, 0), 1)
    let light = (247.0, 251.0, 255.0), dark = (8.0, 48.0, 107.0)
    func channel(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * x).rounded()) }
    let (r, g, b) = (channel(light.0, dark.0), channel(light.1, dark.1), channel(light.2, dark.2))
    return "#" + [r, g, b].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
  }
}

/// What the report pages share: a section is a heading, a caption and a
/// body (charts or tables), the texts escaped.
protocol ReportPage {}

extension ReportPage {
  func section(_ heading: String, _ caption: String, _ body: String) -> String {
    "<section><h2>\(HTML.escape(heading))</h2>\n<p class=\"caption\">\(HTML.escape(caption))</p>\n\(body)\n</section>\n"
  }
}
