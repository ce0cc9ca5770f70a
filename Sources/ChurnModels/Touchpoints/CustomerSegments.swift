import ChurnIO

/// The customers' segments, from a column of the customers table.
public struct CustomerSegments: Sendable {
  public let column: String
  public let names: [String]
  /// By customer number; −1: the customer has no segment.
  let ofCustomer: [Int32]

  /// The segment number of a customer (−1: none).
  public func segment(of customer: Int32) -> Int { Int(ofCustomer[Int(customer)]) }

  /// `segment(id)` gives a customer's value (nil or "": none).
  public init(column: String, customerIDs: [String], segment: (String) -> String?) {
    self.column = column
    var index: [String: Int32] = [:]
    var names: [String] = []
    ofCustomer = customerIDs.map { id in
      guard let value = segment(id), !value.isEmpty else { return -1 }
      if let k = index[value] { return k }
      index[value] = Int32(names.count)
      names.append(value)
      return Int32(names.count - 1)
    }
    self.names = names
  }
}

/// Each customer's amounts by day, summed over a window on demand.
public struct CustomerRevenue: Sendable {
  /// Per customer number: (day, amount), by day.
  private let byCustomer: [[(day: Int64, amount: Double)]]

  /// nil when the log has no amounts.
  public init?(_ log: SessionLog) {
    guard let amounts = log.amounts else { return nil }
    var byCustomer = [[(day: Int64, amount: Double)]](repeating: [], count: log.customerIDs.count)
    for i in amounts.indices where !amounts[i].isNaN {
      byCustomer[Int(log.customers[i])].append((Funnel.day(log.times[i]), amounts[i]))
    }
    self.byCustomer = byCustomer.map { $0.sorted { $0.day < $1.day } }
  }

  func total(of customer: Int32, from first: Int64, through last: Int64) -> Double {
    byCustomer[Int(customer)].reduce(0) { $0 + ($1.day >= first && $1.day <= last ? $1.amount : 0) }
  }
}
