import ChurnData
import ChurnSimulation
import ChurnTestSupport
import Foundation
import Testing

struct LifecycleGeneratorTests {
  func generate(
    seed: UInt64, customers: Int = 300, days: Int = 240
  ) throws -> (TemporaryDirectory, LifecycleGenerator.Report) {
    let dir = try TemporaryDirectory()
    let report = try LifecycleGenerator(customers: customers, seed: seed, days: days).write(to: dir.path)
    return (dir, report)
  }

  @Test func sameSeedGivesByteIdenticalFiles() throws {
    let (a, _) = try generate(seed: 7)
    let (b, _) = try generate(seed: 7)
    let (c, _) = try generate(seed: 8)
    defer { [a, b, c].forEach { $0.remove() } }
    for name in ["events.csv", "customers.csv", "truth.json"] {
      #expect(try a.read(name) == b.read(name), "\(name)")
    }
    #expect(try a.read("events.csv") != c.read("events.csv"))
  }

  @Test func outputValidatesCleanly() throws {
    let (dir, report) = try generate(seed: 1)
    defer { dir.remove() }
    let s = try EventLogValidator().validate(
      eventsPath: "\(dir.path)/events.csv", customersPath: "\(dir.path)/customers.csv")
    #expect(s.errors == 0 && s.warnings == 0)
    #expect(s.validRows == report.events)
    #expect(s.customers == 300)
    #expect(s.sortedByTime && s.duplicateRows == 0)
    #expect(s.customerTable?.customersWithoutAttributes == 0)
    #expect(Set(s.stages.map(\.name)).isSubset(of: LifecycleTruth.standard.stages))
    // Cancellations are exactly the churns of paying customers: never more than all churns.
    let cancels = s.eventTypes.first { $0.name == "cancel" }?.count ?? 0
    #expect(cancels > 0 && cancels <= report.churned)
  }

  @Test func truthRoundTripsAndRowsAreDistributions() throws {
    let (dir, _) = try generate(seed: 2, customers: 10, days: 10)
    defer { dir.remove() }
    struct Document: Decodable { let truth: LifecycleTruth }
    let decoder = JSONDecoder()
    let doc = try decoder.decode(Document.self, from: Data(try dir.read("truth.json").utf8))
    #expect(doc.truth == LifecycleTruth.standard)
    for row in doc.truth.referenceTransitionMatrix {
      #expect(row.allSatisfy { $0 >= 0 })
      #expect(row.reduce(0, +).isApproximatelyEqual(to: 1, relativeTolerance: 1e-12))
    }
    #expect(doc.truth.referenceTransitionMatrix.last == [0, 0, 0, 0, 0, 0, 1])
  }

  /// Plan shares in customers.csv match the truth within sampling error
  /// (4 standard errors of a binomial proportion at n = 2,000).
  @Test func planSharesFollowTheTruth() throws {
    let (dir, _) = try generate(seed: 3, customers: 2000, days: 1)
    defer { dir.remove() }
    let rows = try dir.read("customers.csv").split(separator: "\n").dropFirst()
    let truth = LifecycleTruth.standard
    for (plan, share) in zip(truth.plans, truth.planShares) {
      let observed = Double(rows.filter { $0.split(separator: ",")[2] == plan }.count) / 2000
      #expect(abs(observed - share) < 4 * (share * (1 - share) / 2000).squareRoot(), "\(plan)")
    }
  }
}
