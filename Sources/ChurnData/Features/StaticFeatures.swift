import ChurnIO
import Foundation

/// Turns the customers table's attribute columns into features, with the
/// encodings (categories kept, imputation values) learned once and saved in
/// the spec.
struct StaticFeatures: Sendable {
  let encodings: [StaticEncoding]
  /// `values[e][row]` for encoding `e` of the table's customer at `row`.
  private let columns: [[String]]
  private let rowByID: [String: Int]

  /// Learns an encoding for each column (numeric if every non-empty value
  /// is a number, date if every one is an ISO-8601 date, else categorical).
  static func learn(table: CustomerTable, spec: FeatureSpec) throws(FeatureError) -> [StaticEncoding] {
    let names = spec.staticColumns ?? table.attributeNames
    var encodings: [StaticEncoding] = []
    for name in names {
      guard let a = table.attributeNames.firstIndex(of: name) else {
        throw .unknownName(
          kind: "customers-table column", name: name, suggestion: closestMatch(to: name, in: table.attributeNames))
      }
      let values = table.values[a].map { $0.trimmingCharacters(in: " ") }
      let present = values.filter { !$0.isEmpty }
      let hasMissing = present.count < values.count
      let numbers = present.compactMap { text -> Double? in
        let bytes = Array(text.utf8)
        return parseDecimal(bytes, 0..<bytes.count)
      }
      if !present.isEmpty && numbers.count == present.count {
        // Mean by summing in file order, as a reader of the CSV would.
        let mean = numbers.reduce(0, +) / Double(numbers.count)
        encodings.append(
          StaticEncoding(column: name, kind: .numeric, imputation: mean, hasMissingIndicator: hasMissing))
        continue
      }
      if !present.isEmpty && present.allSatisfy({ StaticFeatures.date($0) != nil }) {
        encodings.append(StaticEncoding(column: name, kind: .date, imputation: 0, hasMissingIndicator: hasMissing))
        continue
      }
      var counts: [String: Int] = [:]
      for v in values { counts[v, default: 0] += 1 }
      let kept = counts.filter { $0.value >= spec.rareCategoryMinCustomers && !$0.key.isEmpty }.keys.sorted()
      encodings.append(StaticEncoding(column: name, kind: .categorical, categories: kept))
    }
    return encodings
  }

  /// A date value in microseconds, if the text is an ISO-8601 date or date-time.
  static func date(_ text: String) -> Int64? {
    guard case .success(let t) = TimestampFormat.iso8601.parse(Array(text.utf8)[...]) else { return nil }
    return t
  }

  /// No static attributes.
  static var none: StaticFeatures { StaticFeatures() }

  private init() {
    encodings = []
    columns = []
    rowByID = [:]
  }

  init(encodings: [StaticEncoding], table: CustomerTable?) throws(FeatureError) {
    self.encodings = encodings
    guard let table else {
      columns = encodings.map { _ in [] }
      rowByID = [:]
      return
    }
    var columns: [[String]] = []
    for e in encodings {
      guard let a = table.attributeNames.firstIndex(of: e.column) else {
        throw .unknownName(
          kind: "customers-table column", name: e.column,
          suggestion: closestMatch(to: e.column, in: table.attributeNames))
      }
      columns.append(table.values[a])
    }
    self.columns = columns
    rowByID = table.indexByID
  }

  /// Counts, over these customers, values outside the known categories,
  /// missing values that were imputed, and customers absent from the table.
  func inputCounts(customerIDs: [String]) -> (unseen: Int, imputed: Int, withoutAttributes: Int) {
    var unseen = 0, imputed = 0, absent = 0
    guard !encodings.isEmpty else { return (0, 0, 0) }
    for id in customerIDs {
      guard let row = rowByID[id] else {
        absent += 1
        continue
      }
      for (e, encoding) in encodings.enumerated() {
        let raw = columns[e][row].trimmingCharacters(in: " ")
        switch encoding.kind {
        case .categorical:
          if !raw.isEmpty && !encoding.categories.contains(raw) { unseen += 1 }
        case .numeric:
          let bytes = Array(raw.utf8)
          if parseDecimal(bytes, 0..<bytes.count) == nil { imputed += 1 }
        case .date:
          if StaticFeatures.date(raw) == nil { imputed += 1 }
        }
      }
    }
    return (unseen, imputed, absent)
  }

  /// Writes the static features of one customer at `cutoff`.
  func write(customerID: String, cutoff: Int64, into out: inout FeatureWriter) {
    let row = rowByID[customerID]
    for (e, encoding) in encodings.enumerated() {
      let raw = row.map { columns[e][$0].trimmingCharacters(in: " ") } ?? ""
      let name = encoding.column
      switch encoding.kind {
      case .categorical:
        let known = encoding.categories.contains(raw)
        for category in encoding.categories {
          out.add("\(name)_\(category)", raw == category ? 1 : 0)
        }
        out.add("\(name)_other", known ? 0 : 1)
      case .numeric:
        let bytes = Array(raw.utf8)
        let value = parseDecimal(bytes, 0..<bytes.count)
        out.add(name, value ?? encoding.imputation)
        if encoding.hasMissingIndicator { out.add("\(name)_missing", value == nil ? 1 : 0) }
      case .date:
        let date = StaticFeatures.date(raw)
        out.add("\(name)_days", date.map { Double(cutoff - $0) / Double(microsPerDay) } ?? encoding.imputation)
        if encoding.hasMissingIndicator { out.add("\(name)_missing", date == nil ? 1 : 0) }
      }
    }
  }
}

/// Collects either feature names or feature values from the same sequence of
/// calls, so the two can never fall out of step.
struct FeatureWriter {
  enum Mode { case names, values }
  let mode: Mode
  /// Whether `addHeavy` writes log(1 + |x|)·sign(x) under `log1p_<name>`.
  let log1p: Bool
  var names: [String] = []
  var values: [Double] = []

  init(_ mode: Mode, log1p: Bool = false) {
    self.mode = mode
    self.log1p = log1p
  }

  @inline(__always)
  mutating func add(_ name: @autoclosure () -> String, _ value: @autoclosure () -> Double) {
    switch mode {
    case .names: names.append(name())
    case .values: values.append(value())
    }
  }

  /// A count or an amount: heavy-tailed, so transformed when the spec asks
  /// for `log1p` (amounts keep their sign: refunds stay negative).
  @inline(__always)
  mutating func addHeavy(_ name: @autoclosure () -> String, _ value: @autoclosure () -> Double) {
    guard log1p else { return add(name(), value()) }
    switch mode {
    case .names: names.append("log1p_" + name())
    case .values:
      let x = value()
      values.append(x < 0 ? -Foundation.log1p(-x) : Foundation.log1p(x))
    }
  }
}
