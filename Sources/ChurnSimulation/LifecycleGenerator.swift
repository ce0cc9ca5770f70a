import ByteStreams
import ChurnIO
import Foundation

/// Writes a synthetic lifecycle dataset whose generating process is known:
/// `events.csv`, `customers.csv` and `truth.json` (see `LifecycleTruth`).
///
/// The simulation runs day by day over all customers, so events come out
/// sorted by time and memory holds one day of events plus each customer's
/// state. Every customer has their own random stream split from the seed, so
/// the same seed gives byte-identical files.
///
/// ```swift
/// let report = try LifecycleGenerator(customers: 5_000, seed: 42).write(to: "training-data")
/// ```
public struct LifecycleGenerator: Sendable {
  public var truth = LifecycleTruth.standard
  public var customers: Int
  public var seed: UInt64
  /// First day of the simulation (days since 1970-01-01).
  public var startDay: Int
  /// Number of simulated days.
  public var days: Int
  /// Customers arrive uniformly over this fraction of the period.
  public var arrivalFraction = 0.6

  public init(
    customers: Int, seed: UInt64, startDay: Int = CivilDate.daysSinceEpoch(year: 2024, month: 1, day: 1),
    days: Int = 730
  ) {
    self.customers = customers
    self.seed = seed
    self.startDay = startDay
    self.days = days
  }

  /// What was written.
  public struct Report: Sendable, Codable {
    public var events = 0
    public var customers = 0
    public var churned = 0
  }

  /// Writes the three files into `directory` (created if needed); each file
  /// appears only when complete.
  public func write(to directory: String) throws -> Report {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let model = SimulationModel(truth: truth)
    var population = makePopulation(model)
    let events = try AtomicFileWriter(path: "\(directory)/events.csv")
    try events.write("customer_id,timestamp,event,channel,amount,sentiment,stage\n")
    var report = Report(customers: customers)
    var dayEvents: [SimulatedEvent] = []
    for day in 0..<days {
      dayEvents.removeAll(keepingCapacity: true)
      for k in population.indices where population[k].arrivalDay <= day && population[k].stage != model.churned {
        if population[k].simulate(day: day, model: model, into: &dayEvents) { report.churned += 1 }
      }
      dayEvents.sort { ($0.second, $0.customer, $0.sequence) < ($1.second, $1.customer, $1.sequence) }
      let prefix = datePrefix(startDay + day)
      var text = ""
      for e in dayEvents { e.appendCSV(to: &text, datePrefix: prefix, model: model) }
      try events.write(text)
      report.events += dayEvents.count
    }
    let customerFile = try AtomicFileWriter(path: "\(directory)/customers.csv")
    try customerFile.write("customer_id,signup_date,plan,region,acquisition_channel\n")
    for c in population {
      try customerFile.write(
        "\(customerID(c.index)),\(String(datePrefix(startDay + c.arrivalDay).dropLast())),\(truth.plans[c.plan]),\(model.regions[c.region]),\(model.acquisitionChannels[c.acquisition])\n"
      )
    }
    let truthFile = try AtomicFileWriter(path: "\(directory)/truth.json")
    try truthFile.write(try truthJSON())
    try events.commit()
    try customerFile.commit()
    try truthFile.commit()
    return report
  }

  /// The truth with the generator's settings, as stable, sorted JSON.
  func truthJSON() throws -> String {
    struct Document: Encodable {
      let generator: [String: String]
      let truth: LifecycleTruth
    }
    let doc = Document(
      generator: [
        "customers": "\(customers)", "seed": "\(seed)", "days": "\(days)",
        "start": formatDate(Int64(startDay) * 86_400_000_000), "churnkit_version": ChurnKitVersion.current,
      ],
      truth: truth)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
  }

  private func makePopulation(_ model: SimulationModel) -> [SimulatedCustomer] {
    (0..<customers).map { makeCustomer($0, model) }
  }

  /// Customer k as the simulation starts them (their own random stream).
  func makeCustomer(_ k: Int, _ model: SimulationModel) -> SimulatedCustomer {
    let root = SplitMix64(seed: seed)
    let arrivalWindow = max(1, Int(Double(days) * arrivalFraction))
    var rng = root.split(UInt64(k))
    let arrival = Int(rng.next() % UInt64(arrivalWindow))
    let plan = model.draw(truth.planShares, &rng)
    let region = Int(rng.next() % UInt64(model.regions.count))
    let acquisition = Int(rng.next() % UInt64(model.acquisitionChannels.count))
    let propensity = rng.nextNormal()
    // Drawn only when the truth has it, so the standard files stay as they were.
    let usage = model.usageSpread > 0 ? rng.nextNormal() : 0
    var customer = SimulatedCustomer(
      index: k, rng: rng, arrivalDay: arrival, plan: plan, region: region, acquisition: acquisition,
      propensity: propensity)
    customer.usage = usage
    return customer
  }

  /// "2024-03-01T" for a day number.
  private func datePrefix(_ day: Int) -> String {
    let (y, m, d) = CivilDate.date(daysSinceEpoch: day)
    return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)T"
  }
}

/// "C0000042".
func customerID(_ index: Int) -> String {
  let digits = String(index)
  return "C" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
}

extension SplitMix64 {
  /// A standard normal draw (Box–Muller, one of the pair).
  mutating func nextNormal() -> Double {
    let u1 = max(nextUniform(), 0x1p-60)
    let u2 = nextUniform()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }

  /// A Poisson draw by inversion (for the small daily rates used here).
  mutating func nextPoisson(_ mean: Double) -> Int {
    if mean <= 0 { return 0 }
    var k = 0
    var p = exp(-mean)
    var cumulative = p
    let u = nextUniform()
    while u > cumulative && k < 100 {
      k += 1
      p *= mean / Double(k)
      cumulative += p
    }
    return k
  }
}
