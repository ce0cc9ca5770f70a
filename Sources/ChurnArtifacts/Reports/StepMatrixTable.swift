import ChurnModels

/// The step matrix on the touchpoint page: a table shaded by share (a
/// heatmap people can also read and copy), one row per event type.
extension TouchpointReport {
  func stepMatrixSection(_ m: StepMatrix) -> String {
    let from =
      m.centre.map {
        "counted from the first \($0) of each \(m.unit == "sessions" ? "session" : "customer") that reaches it (step 0; \(m.paths) \(m.unit))"
      }
      ?? "counted from the start of each of \(m.paths) \(m.unit)"
    let caption =
      "At each step, the share of \(m.unit) whose event there is each event type, \(from); \(StepMatrix.ended) once a path is over\(m.centre == nil ? "" : ", \(StepMatrix.notStarted) before it began"). Each column adds up to 100%."
    var html =
      "<table id=\"step-matrix\" class=\"heat\"><thead><tr><th scope=\"col\">event</th>"
      + m.steps.map { "<th scope=\"col\">\($0)</th>" }.joined() + "</tr></thead><tbody>\n"
    for row in m.rows {
      html += "<tr><th scope=\"row\">\(HTML.escape(row.event))</th>"
      for share in row.shares {
        let ink = share > 0.5 ? "#fff" : "#000"
        html +=
          "<td style=\"background:\(HTML.sequential(share));color:\(ink)\">\(share == 0 ? "" : share < 0.005 ? "&lt;1%" : HTML.percent(share, 0))</td>"
      }
      html += "</tr>\n"
    }
    return section("Step by step", caption, html + "</tbody></table>")
  }
}
