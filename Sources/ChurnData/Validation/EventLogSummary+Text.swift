import ChurnIO
import Foundation

extension EventLogSummary {
  /// The summary as aligned plain text for a terminal.
  public func renderText() -> String {
    var out: [String] = []
    func row(_ label: String, _ value: String) {
      out.append(label.padding(toLength: 24, withPad: " ", startingAt: 0) + value)
    }
    out.append("Event log \(file)")
    row("  rows", "\(rows) (\(validRows) valid, \(skippedRows) skipped)")
    row("  customers", "\(customers)")
    if let firstEvent, let lastEvent { row("  time range", "\(firstEvent) … \(lastEvent)") }
    row("  sorted by time", sortedByTime ? "yes" : "no")
    row("  out of order", "\(rowsOutOfTimeOrder) rows earlier than the customer's previous event")
    row("  duplicate rows", "\(duplicateRows)")
    if let amount { row("  amount", numeric(amount)) }
    if let sentiment { row("  sentiment", numeric(sentiment)) }
    out.append("")
    out.append("Columns")
    for column in columns {
      row("  \(column.name)", "\(column.role), \(column.empty) empty")
    }
    for (title, counts) in [("Event types", eventTypes), ("Channels", channels), ("Stages", stages)]
    where !counts.isEmpty {
      out.append("")
      out.append(title)
      let total = max(counts.reduce(0) { $0 + $1.count }, 1)
      for c in counts.prefix(30) {
        row("  \(c.name)", "\(c.count) (\(percent(c.count, total)))")
      }
      if counts.count > 30 { out.append("  … and \(counts.count - 30) more") }
    }
    if let table = customerTable {
      out.append("")
      out.append("Customers table \(table.file)")
      row("  rows", "\(table.rows) (\(table.customers) customers)")
      row("  attributes", table.attributes.joined(separator: ", "))
      row("  without attributes", "\(table.customersWithoutAttributes) customers with events")
      row("  without events", "\(table.customersWithoutEvents) customers")
    }
    out.append("")
    out.append("Problems: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
    for kind in issueKinds.prefix(10) { out.append("  \(kind.count) × \(kind.name)") }
    if !issues.isEmpty {
      out.append("First \(issues.count):")
      for issue in issues { out.append("  \(issue)") }
    }
    for problem in problems { out.append("Not usable: \(problem)") }
    return out.joined(separator: "\n") + "\n"
  }

  private func numeric(_ s: NumericSummary) -> String {
    guard s.count > 0 else { return "no values" }
    return "\(s.count) values, min \(format(s.min)), mean \(format(s.mean)), max \(format(s.max))"
  }

  private func format(_ v: Double) -> String {
    let rounded = (v * 1000).rounded() / 1000
    return "\(rounded)"
  }

  private func percent(_ part: Int, _ total: Int) -> String {
    let p = (Double(part) * 1000 / Double(total)).rounded() / 10
    return "\(p)%"
  }
}
