import ChurnDecisions
import ChurnIO

/// The rows of `export --format sql-decide` as run in a warehouse and
/// saved (a CSV file, or a `sqlite:`/`postgres://` table): each customer's
/// stage, churn probability, value and, per action of the model's catalog,
/// churn without and with it, uplift and net value (empty where the action
/// may not be given). `recommend --decisions` assigns them under the
/// catalog's capacities and a budget, as it does decisions it makes itself.
public struct DecisionTable: Sendable {
  public let customers: [ActionPlanner.Customer]
  public let decisions: [UpliftModel.Decision]
  /// The `cutoff` column's values, in order of appearance.
  public let cutoffs: [String]

  public init(path: String, uplift: UpliftModel) throws(IngestError) {
    var reader = try CSVReader(path: path)
    let header = try reader.readHeader()
    func column(_ name: String) throws(IngestError) -> Int {
      guard let j = header.firstIndex(of: name) else {
        throw .missingColumn(path: path, role: "sql-decide", expected: name, available: header)
      }
      return j
    }
    let ids = uplift.catalog.actions.map(\.id)
    let (idColumn, stageColumn, probabilityColumn) = (
      try column("customer_id"), try column("stage"), try column("churn_probability")
    )
    let (valueColumn, valueSEColumn) = (try column("customer_value"), try column("customer_value_se"))
    var perAction: [[Int]] = []
    for id in ids {
      perAction.append([
        try column("churn_without_\(id)"), try column("churn_with_\(id)"), try column("uplift_\(id)"),
        try column("net_value_\(id)"),
      ])
    }
    let cutoffColumn = header.firstIndex(of: "cutoff")
    let reachColumn = header.firstIndex(of: "reachable")  // absent in tables exported before it
    var cutoffs: [String] = []
    var customers: [ActionPlanner.Customer] = []
    var decisions: [UpliftModel.Decision] = []
    while try reader.nextChunk() {
      let chunk = reader.chunk
      for r in 0..<chunk.recordCount {
        func number(_ j: Int, required: Bool) throws(IngestError) -> Double? {
          let text = j < chunk.fieldCount(record: r) ? chunk.string(record: r, field: j) : ""
          if text.isEmpty {
            guard !required else {
              throw .badField(path: path, line: chunk.line(record: r), column: j + 1, problem: "\(header[j]) is empty")
            }
            return nil
          }
          guard let x = Double(text), x.isFinite else {
            throw .badField(
              path: path, line: chunk.line(record: r), column: j + 1,
              problem: "\(header[j]) '\(printable(text))' is not a number")
          }
          return x
        }
        let value = try number(valueColumn, required: true)!
        let valueSE = try number(valueSEColumn, required: false)
        let reach = try reachColumn.flatMap { j throws(IngestError) in try number(j, required: false) } ?? 1
        var options: [UpliftModel.Option] = []
        for (a, c) in perAction.enumerated() {
          let net = try number(c[3], required: false)
          let uplift = try number(c[2], required: false) ?? 0
          options.append(
            UpliftModel.Option(
              action: a, ineligibleBecause: net == nil ? "not eligible (the decisions table has no net value)" : nil,
              churnWithout: try number(c[0], required: true)!, churnWith: try number(c[1], required: true)!,
              uplift: uplift, netValue: net ?? 0, netValueStandardError: valueSE.map { reach * abs(uplift) * $0 }))
        }
        let stage = chunk.string(record: r, field: stageColumn)
        customers.append(
          ActionPlanner.Customer(
            id: chunk.string(record: r, field: idColumn), stage: stage.isEmpty ? nil : stage,
            churnProbability: try number(probabilityColumn, required: true)!))
        decisions.append(
          UpliftModel.Decision(value: value, valueStandardError: valueSE, reach: reach, options: options))
        if let c = cutoffColumn, case let cutoff = chunk.string(record: r, field: c), !cutoffs.contains(cutoff) {
          cutoffs.append(cutoff)
        }
      }
    }
    (self.customers, self.decisions, self.cutoffs) = (customers, decisions, cutoffs)
  }
}
