import ByteStreams
import ChurnIO
import Foundation

/// A clickstream with known incidents, for the touchpoint analyses:
/// customers on three platforms browse in sessions — a Markov chain over
/// pages, from `(start)` to `(end)` — and incidents change some pages'
/// next steps for a while, for one platform, as a CX team meets them (a
/// broken step that loops back, a failing payment with an error page and
/// support contacts, a platform that browses more and buys less). Writes
/// `events.csv` (the platform as the channel, an amount on each
/// purchase), `customers.csv` (with the
/// platform) and `truth.json` (the chain and every incident).
///
/// Each customer has their own random stream split from the seed, and the
/// days are simulated in order, so the same seed gives byte-identical files.
public struct ClickstreamGenerator: Sendable {
  public var customers: Int
  public var seed: UInt64
  /// First day (days since 1970-01-01) and number of days.
  public var startDay: Int
  public var days: Int
  public var incidents: [ClickstreamIncident]

  public static let platforms = ["ios", "android", "web"]
  public static let start = "(start)"
  public static let end = "(end)"

  /// Each page's next steps and their probabilities, without incidents.
  public static let pages: [String: [ClickstreamIncident.Step]] = [
    start: [.init("home", 0.6), .init("catalog", 0.4)],
    "home": [.init("catalog", 0.7), .init("product", 0.1), .init(end, 0.2)],
    "catalog": [.init("product", 0.5), .init("catalog", 0.15), .init("home", 0.1), .init(end, 0.25)],
    "product": [.init("cart", 0.3), .init("catalog", 0.5), .init(end, 0.2)],
    "cart": [.init("checkout", 0.65), .init("catalog", 0.2), .init(end, 0.15)],
    "checkout": [.init("purchase", 0.7), .init("cart", 0.1), .init(end, 0.2)],
    "purchase": [.init(end, 1)],
    "error_page": [.init("support_contact", 0.35), .init("checkout", 0.25), .init(end, 0.4)],
    "support_contact": [.init(end, 1)],
  ]

  public init(
    customers: Int, seed: UInt64, startDay: Int = CivilDate.daysSinceEpoch(year: 2024, month: 1, day: 1),
    days: Int = 150, incidents: [ClickstreamIncident] = ClickstreamIncident.standard
  ) {
    (self.customers, self.seed, self.startDay, self.days, self.incidents) = (
      customers, seed, startDay, days, incidents
    )
  }

  public struct Report: Sendable, Codable {
    public var events = 0
    public var sessions = 0
    public var customers = 0
  }

  /// Writes the three files into `directory`; each appears only when complete.
  public func write(to directory: String) throws -> Report {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let population = (0..<customers).map(makeCustomer)
    var streams = population.map(\.rng)
    let events = try AtomicFileWriter(path: "\(directory)/events.csv")
    try events.write("customer_id,timestamp,event,channel,amount\n")
    var report = Report(customers: customers)
    for day in 0..<days {
      var today: [(second: Int, customer: Int, sequence: Int, page: String, amount: String)] = []
      for c in population where c.arrivalDay <= day {
        for _ in 0..<streams[c.index].nextPoisson(c.sessionsPerDay) {
          let pages = session(of: c, day: day, rng: &streams[c.index])
          var second = Int(streams[c.index].nextUniform() * 82_800)  // starts before 23:00
          for (k, page) in pages.enumerated() {
            if k > 0 { second += 1 + Int(-25 * log(max(streams[c.index].nextUniform(), 1e-12))) }
            // A purchase's amount: log-normal around 40.
            let amount =
              page == "purchase" ? String(format: "%.2f", 40 * exp(0.5 * streams[c.index].nextNormal())) : ""
            today.append((min(second, 86_399), c.index, today.count, page, amount))
          }
          report.sessions += 1
        }
      }
      today.sort { ($0.second, $0.customer, $0.sequence) < ($1.second, $1.customer, $1.sequence) }
      let date = Self.date(startDay + day)
      var text = ""
      for e in today {
        let (h, m, s) = (e.second / 3600, e.second / 60 % 60, e.second % 60)
        text +=
          "\(customerID(e.customer)),\(date)T\(Self.twoDigits(h)):\(Self.twoDigits(m)):\(Self.twoDigits(s))Z,\(e.page),\(Self.platforms[population[e.customer].platform]),\(e.amount)\n"
      }
      try events.write(text)
      report.events += today.count
    }
    let customerFile = try AtomicFileWriter(path: "\(directory)/customers.csv")
    try customerFile.write("customer_id,platform,signup_date\n")
    for c in population {
      try customerFile.write(
        "\(customerID(c.index)),\(Self.platforms[c.platform]),\(Self.date(startDay + c.arrivalDay))\n")
    }
    let truthFile = try AtomicFileWriter(path: "\(directory)/truth.json")
    try truthFile.write(try truthJSON())
    try events.commit()
    try customerFile.commit()
    try truthFile.commit()
    return report
  }

  struct Customer {
    let index: Int
    let platform: Int
    let arrivalDay: Int
    let sessionsPerDay: Double
    var rng: SplitMix64
  }

  /// Customer k: a platform (ios 40%, android 35%, web 25%), an arrival
  /// in the first 30% of the days, and a rate of sessions that varies
  /// between customers (log-normal around 0.15 a day).
  func makeCustomer(_ k: Int) -> Customer {
    var rng = SplitMix64(seed: seed ^ 0x636C_6963_6B73_7472).split(UInt64(k))
    let u = rng.nextUniform()
    let platform = u < 0.4 ? 0 : u < 0.75 ? 1 : 2
    let arrival = Int(rng.next() % UInt64(max(1, days * 3 / 10)))
    let rate = 0.15 * exp(0.5 * rng.nextNormal())
    return Customer(index: k, platform: platform, arrivalDay: arrival, sessionsPerDay: rate, rng: rng)
  }

  /// One session's pages, the incidents of the day and platform applied.
  func session(of c: Customer, day: Int, rng: inout SplitMix64) -> [String] {
    var pages: [String] = []
    var page = Self.start
    while pages.count < 40 {
      let steps = nextSteps(from: page, platform: Self.platforms[c.platform], day: startDay + day)
      var u = rng.nextUniform()
      var next = steps.last!.to
      for step in steps {
        if u < step.probability {
          next = step.to
          break
        }
        u -= step.probability
      }
      if next == Self.end { break }
      pages.append(next)
      page = next
    }
    return pages
  }

  /// The next steps from a page: an incident's for its platform and days
  /// (the last incident listed wins), else the usual ones.
  func nextSteps(from page: String, platform: String, day: Int) -> [ClickstreamIncident.Step] {
    for incident in incidents.reversed() where incident.applies(platform: platform, day: day, startDay: startDay) {
      if let steps = incident.steps[page] { return steps }
    }
    return Self.pages[page]!
  }

  func truthJSON() throws -> String {
    struct Document: Encodable {
      let generator: [String: String]
      let pages: [String: [ClickstreamIncident.Step]]
      let platformShares: [String: Double]
      let incidents: [ClickstreamIncident.Dated]
    }
    let doc = Document(
      generator: [
        "kind": "clickstream", "customers": "\(customers)", "seed": "\(seed)", "days": "\(days)",
        "start": Self.date(startDay), "churnkit_version": ChurnKitVersion.current,
      ],
      pages: Self.pages, platformShares: ["ios": 0.4, "android": 0.35, "web": 0.25],
      incidents: incidents.map { $0.dated(startDay: startDay, days: days) })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
  }

  static func date(_ day: Int) -> String {
    let (y, m, d) = CivilDate.date(daysSinceEpoch: day)
    return "\(y)-\(twoDigits(m))-\(twoDigits(d))"
  }

  static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// A change to some pages' next steps, for one platform (or all) over
/// some days of the simulation (or all of them).
public struct ClickstreamIncident: Sendable {
  public struct Step: Sendable, Codable, Equatable {
    public let to: String
    public let probability: Double
    public init(_ to: String, _ probability: Double) { (self.to, self.probability) = (to, probability) }
  }

  public let name: String
  /// nil: every platform.
  public let platform: String?
  /// Days from the start, both ends in; nil: the whole period.
  public let days: ClosedRange<Int>?
  public let steps: [String: [Step]]

  func applies(platform: String, day: Int, startDay: Int) -> Bool {
    (self.platform == nil || self.platform == platform) && (days?.contains(day - startDay) ?? true)
  }

  /// The incidents `generate --clickstream` plants by default (over 150
  /// days): the iOS checkout loops back to the cart for three weeks; the
  /// Android payment fails for two, with an error page and support
  /// contacts; the web browses more and buys less throughout.
  public static let standard: [ClickstreamIncident] = [
    .init(
      name: "checkout loops back to the cart", platform: "ios", days: 40...60,
      steps: ["checkout": [.init("purchase", 0.2), .init("cart", 0.6), .init(ClickstreamGenerator.end, 0.2)]]),
    .init(
      name: "payment fails: error page and support contacts", platform: "android", days: 80...93,
      steps: [
        "checkout": [
          .init("error_page", 0.45), .init("purchase", 0.3), .init("cart", 0.05), .init(ClickstreamGenerator.end, 0.2),
        ]
      ]),
    .init(
      name: "browses more, buys less", platform: "web", days: nil,
      steps: [
        "catalog": [
          .init("product", 0.65), .init("catalog", 0.15), .init("home", 0.05), .init(ClickstreamGenerator.end, 0.15),
        ],
        "product": [.init("cart", 0.15), .init("catalog", 0.65), .init(ClickstreamGenerator.end, 0.2)],
      ]),
  ]

  /// As truth.json records it: dates, not day numbers.
  struct Dated: Encodable {
    let name: String
    let platform: String?
    let firstDay: String
    let lastDay: String
    let wholePeriod: Bool
    let steps: [String: [Step]]
  }

  func dated(startDay: Int, days total: Int) -> Dated {
    let range = days ?? 0...(total - 1)
    return Dated(
      name: name, platform: platform, firstDay: ClickstreamGenerator.date(startDay + range.lowerBound),
      lastDay: ClickstreamGenerator.date(startDay + range.upperBound), wholePeriod: days == nil, steps: steps)
  }
}
