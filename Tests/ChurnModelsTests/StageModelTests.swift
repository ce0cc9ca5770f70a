import ChurnData
import ChurnIO
import ChurnModels
import ChurnSimulation
import ChurnTestSupport
import Foundation
import LinearAlgebra
import Testing

struct StageModelTests {
  /// Where churn is not certain — a stage never seen to churn, or one that
  /// leads to it — the expected time to churn is left out (infinite), not a
  /// huge number from a near-singular inverse; the rest keep theirs.
  @Test func expectedTimeToChurnIsLeftOutWhereChurnIsNotCertain() throws {
    // a → b or churn; b stays in b forever; c → a or churn.
    let p = Matrix(rowMajor: [[0.5, 0.3, 0, 0.2], [0, 1, 0, 0], [0.4, 0, 0.5, 0.1], [0, 0, 0, 1]])
    let a = try AbsorbingChainAnalysis(p: p, stages: ["a", "b", "c", "churned"], horizons: [1])
    #expect(a.expectedPeriodsToChurn.allSatisfy { $0 == nil })  // a and c can reach b
    let q = Matrix(rowMajor: [[0.5, 0, 0, 0.5], [0, 1, 0, 0], [0.4, 0, 0.5, 0.1], [0, 0, 0, 1]])
    let b = try AbsorbingChainAnalysis(p: q, stages: ["a", "b", "c", "churned"], horizons: [1])
    #expect(b.expectedPeriodsToChurn[1] == nil)
    #expect(abs(b.expectedPeriodsToChurn[0]! - 2) < 1e-12)  // geometric, p = 0.5
    #expect(abs(b.expectedPeriodsToChurn[2]! - (1 + 0.4 * 2) / 0.5) < 1e-12)
    #expect(b.fundamentalMatrix[1] == [nil, nil, nil])
  }

  /// A two-stage chain with known answers: N = (I − Q)⁻¹ = [[0.4, 0.3], [0.1, 0.5]] / 0.17.
  @Test func absorbingAnalysisMatchesClosedForm() throws {
    let p = Matrix(rowMajor: [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0, 0, 1]])
    let a = try AbsorbingChainAnalysis(p: p, stages: ["a", "b", "churned"], horizons: [1, 2])
    let n = a.fundamentalMatrix
    #expect(
      maxRelativeDifference(n.flatMap { $0 }.map { $0! }, [0.4 / 0.17, 0.3 / 0.17, 0.1 / 0.17, 0.5 / 0.17]) < 1e-14)
    #expect(maxRelativeDifference(a.expectedPeriodsToChurn.map { $0! }, [70.0 / 17, 60.0 / 17]) < 1e-14)
    #expect(a.churnWithin[1] == [0.2, 0.3])
    // Two steps: churn now, or move and then churn.
    #expect(abs(a.churnWithin[2]![0] - (0.2 + 0.5 * 0.2 + 0.3 * 0.3)) < 1e-15)
    #expect(a.advocacyBeforeChurn == nil)
  }

  /// Spells from a hand-made log: moves dated halfway between observations,
  /// days at risk, censoring at the end of the data, churn by event.
  @Test func estimatesMovesAndTimeAtRiskFromSpells() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write(
      "e.csv",
      """
      customer_id,timestamp,event,stage
      A,2024-01-01T00:00:00Z,visit,awareness
      A,2024-01-03T00:00:00Z,visit,awareness
      A,2024-01-07T00:00:00Z,compare,consideration
      A,2024-01-11T00:00:00Z,cancel,consideration
      B,2024-01-01T00:00:00Z,visit,awareness
      B,2024-01-21T00:00:00Z,visit,awareness

      """)
    var reader = try EventLogReader(path: path, schema: EventSchema())
    var issues = IssueLog()
    var estimator = StageModelEstimator(churnEvent: "cancel")
    estimator.stages = ["awareness", "consideration", "churned"]
    estimator.observedUntil = try Cutoff(parsing: "2024-01-21T00:00:00Z")
    let model = try estimator.estimate(from: &reader, issues: &issues)
    // A: awareness 1 → 5 January (halfway between 3 and 7), consideration 5 → 11, churned.
    // B: awareness 1 → 21 January, censored at the end of the data.
    #expect(model.moves == [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    #expect(model.daysInStage == [4 + 20, 6, 0])
    #expect(abs(model.generator[0][1] - 1.0 / 24) < 1e-15)
    #expect(abs(model.generator[1][2] - 1.0 / 6) < 1e-15)
    // Period counts: A stays 3 days then moves; B stays 20 days (censored).
    #expect(model.periodCounts[0] == [3 + 20, 1, 0])
    let alpha = 0.5
    #expect(abs(model.countTransitionMatrix[0][1] - (1 + alpha) / (24 + 3 * alpha)) < 1e-15)
    #expect(model.countTransitionMatrix[2] == [0, 0, 1])
    #expect(model.transitionMatrix[2] == [0, 0, 1])
    #expect(model.maximumLikelihoodIterations > 0)
  }

  /// Open spells run to where the data ends: the end of the last day for a
  /// log of dates, the last event for one with times, or --observed-until.
  @Test func openSpellsRunToWhereTheDataEnds() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    func awarenessDays(_ log: String, until: String? = nil) throws -> Double {
      var reader = try EventLogReader(
        path: dir.write("e.csv", "customer_id,timestamp,event,stage\n" + log), schema: EventSchema())
      var issues = IssueLog()
      var estimator = StageModelEstimator()
      estimator.stages = ["awareness", "churned"]
      estimator.bootstrapReplicates = 0
      estimator.observedUntil = try until.map { try Cutoff(parsing: $0) }
      return try estimator.estimate(from: &reader, issues: &issues).daysInStage[0]
    }
    let dates = "A,2024-01-01,visit,awareness\nA,2024-01-11,visit,awareness\n"
    #expect(abs(try awarenessDays(dates) - 11) < 1e-9)
    #expect(abs(try awarenessDays(dates, until: "2024-01-20") - 20) < 1e-9)
    #expect(try awarenessDays("A,2024-01-01T06:00:00Z,visit,awareness\nA,2024-01-11T06:00:00Z,visit,awareness\n") == 10)
    #expect(throws: FeatureError.self) { try awarenessDays(dates, until: "2024-01-10") }
  }

  @Test func aLogWithoutStagesIsRefused() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var reader = try EventLogReader(
      path: dir.write("e.csv", "customer_id,timestamp,event\nA,2024-01-01,visit\n"), schema: EventSchema())
    var issues = IssueLog()
    #expect(throws: FeatureError.self) { try StageModelEstimator().estimate(from: &reader, issues: &issues) }
  }
}

/// Recovery of the generator's stage moves (truth.json) by the panel-data
/// maximum-likelihood chain.
struct StageModelRecoveryTests {
  /// The stage moves out of awareness, consideration, retention and advocacy
  /// — stages whose customers produce events most days — are recovered as
  /// conditional probabilities P(i → j | no churn) = P_ij / (1 − P_i,churned)
  /// within 20% of the truth. Why 20%: at 2,000 customers each of these moves
  /// is seen a few hundred to a few thousand times (sampling error 3–8%), and
  /// the estimator treats the days without events as uninformative, which
  /// biases the rates a little where activity differs between stages.
  /// Moves out of purchase and onboarding are not checked: customers in
  /// purchase produce no events after the first day, so their dwell time is
  /// not identified without modelling the events themselves (docs/journey.md).
  @Test func recoversTheTrueStageMoves() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try LifecycleGenerator(customers: 2000, seed: 31, days: 730).write(to: dir.path)
    var reader = try EventLogReader(path: "\(dir.path)/events.csv", schema: EventSchema())
    var issues = IssueLog()
    let model = try StageModelEstimator(churnEvent: "cancel").estimate(from: &reader, issues: &issues)
    let truth = LifecycleTruth.standard
    let churned = model.stages.count - 1
    for from in ["awareness", "consideration", "retention", "advocacy"] {
      let i = model.stages.firstIndex(of: from)!
      for (to, probability) in truth.stageMoves[from] ?? [:] {
        let j = model.stages.firstIndex(of: to)!
        let estimated = model.transitionMatrix[i][j] / (1 - model.transitionMatrix[i][churned])
        #expect(abs(estimated - probability) < 0.2 * probability, "\(from) → \(to): \(estimated) vs \(probability)")
      }
    }
  }
}

struct PanelChainEstimatorTests {
  /// The E-step's recurrences against enumerating every path of every gap.
  @Test func expectedTransitionsMatchPathEnumeration() {
    let p: [[Double]] = [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0, 0, 1]]
    let gaps: [PanelChainEstimator.Gap: Int] = [
      .init(from: 0, to: 1, days: 1): 3, .init(from: 0, to: 1, days: 4): 2, .init(from: 1, to: 0, days: 3): 5,
      .init(from: 0, to: 2, days: 2): 1, .init(from: 1, to: 1, days: 5): 4, .init(from: 0, to: 0, days: 4): 2,
    ]
    var expected = [[Double]](repeating: [0, 0, 0], count: 3)
    for (gap, count) in gaps {
      var weighted = [[Double]](repeating: [0, 0, 0], count: 3)
      var total = 0.0
      // Every sequence of g − 1 unseen states between the observed ends.
      let inner = gap.days - 1
      for code in 0..<Int(pow(3.0, Double(inner))) {
        var path = [gap.from]
        var c = code
        for _ in 0..<inner { path.append(c % 3); c /= 3 }
        path.append(gap.to)
        let weight = zip(path, path.dropFirst()).reduce(1.0) { $0 * p[$1.0][$1.1] }
        total += weight
        for (i, j) in zip(path, path.dropFirst()) { weighted[i][j] += weight }
      }
      for i in 0..<3 { for j in 0..<3 { expected[i][j] += Double(count) * weighted[i][j] / total } }
    }
    let ours = PanelChainEstimator(states: 3, absorbing: 2).expectedTransitions(gaps: gaps, p: p)
    #expect(maxRelativeDifference(ours.flatMap { $0 }, expected.flatMap { $0 }) < 1e-12)
  }
}

struct KaplanMeierTests {
  /// By hand: 4 at risk on day 3 (one churns), 3 on day 5 (one churns, one
  /// is censored), 1 on day 8 (churns).
  @Test func survivalByHand() {
    let curve = KaplanMeierCurve(durations: [5, 3, 8, 5], churned: [false, true, true, true])
    #expect(curve.days == [3, 5, 8])
    #expect(curve.atRisk == [4, 3, 1])
    #expect(curve.churned == [1, 1, 1])
    #expect(curve.survival == [0.75, 0.5, 0])
    #expect(curve.survival(atDay: 4) == 0.75 && curve.survival(atDay: 2) == 1)
    // Greenwood on the log(−log) scale at day 3: var = 1/(4·3).
    let s = 0.75, v = 1.0 / 12, z = 1.959963984540054
    let lower = exp(-exp(log(-log(s)) - z * v.squareRoot() / log(s)))
    #expect(abs(curve.lower[0] - lower) < 1e-15 && curve.lower[0] < s && curve.upper[0] > s)
  }
}

/// The bootstrap intervals are as wide as the estimator really varies: a
/// correctly specified daily chain (two stages and churn, each day seen with
/// probability 0.4) is simulated 24 times; the spread of the 24 estimates of
/// each move probability is compared with the width of the bootstrap
/// interval on one more data set ((upper − lower) / 3.92 ≈ one standard
/// error). With 24 draws the Monte Carlo standard deviation itself is known
/// to about ±15%, hence the band 0.6–1.6.
struct StageModelBootstrapTests {
  static let truth: [[Double]] = [[0.90, 0.08, 0.02], [0.03, 0.95, 0.02], [0, 0, 1]]

  /// Customers walking the chain `truth` (stages a, b, churned) for `days`
  /// days, seen on 40% of days; ids are `prefix` + number.
  static func simulate(
    seed: UInt64, customers: Int, days: Int, truth: [[Double]] = truth, prefix: String = "C", header: Bool = true
  ) -> String {
    var rng = SplitMix64(seed: seed)
    func uniform() -> Double { Double(rng.next() >> 11) * 0x1p-53 }
    var csv = header ? "customer_id,timestamp,event,stage\n" : ""
    let names = ["a", "b"]
    for c in 0..<customers {
      var state = 0
      csv += "\(prefix)\(c),2024-01-01,visit,a\n"
      for day in 1..<days {
        let u = uniform()
        let row = truth[state]
        state = u < row[0] ? 0 : (u < row[0] + row[1] ? 1 : 2)
        let date = CivilDate.date(daysSinceEpoch: CivilDate.daysSinceEpoch(year: 2024, month: 1, day: 1) + day)
        let stamp = "\(date.year)-\(date.month < 10 ? "0" : "")\(date.month)-\(date.day < 10 ? "0" : "")\(date.day)"
        if state == 2 {
          csv += "\(prefix)\(c),\(stamp),cancel,\(names[0])\n"
          break
        }
        if uniform() < 0.4 { csv += "\(prefix)\(c),\(stamp),visit,\(names[state])\n" }
      }
    }
    return csv
  }

  static func fit(_ csv: String, bootstrap: Int) throws -> StageTransitionModel {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var reader = try EventLogReader(path: dir.write("e.csv", csv), schema: EventSchema())
    var issues = IssueLog()
    var estimator = StageModelEstimator(churnEvent: "cancel")
    estimator.stages = ["a", "b", "churned"]
    estimator.bootstrapReplicates = bootstrap
    estimator.seed = 5
    return try estimator.estimate(from: &reader, issues: &issues)
  }

  @Test func intervalWidthMatchesTheEstimatorsSpread() throws {
    let cells = [(0, 1), (0, 2), (1, 0), (1, 2)]
    var estimates = [[Double]](repeating: [], count: cells.count)
    for seed in 0..<24 {
      let model = try Self.fit(Self.simulate(seed: UInt64(100 + seed), customers: 300, days: 60), bootstrap: 0)
      for (n, (i, j)) in cells.enumerated() { estimates[n].append(model.transitionMatrix[i][j]) }
    }
    let model = try Self.fit(Self.simulate(seed: 7, customers: 300, days: 60), bootstrap: 200)
    let lower = try #require(model.transitionLower), upper = try #require(model.transitionUpper)
    for (n, (i, j)) in cells.enumerated() {
      let mean = estimates[n].reduce(0, +) / 24
      let sd = (estimates[n].map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 23).squareRoot()
      let bootstrapSE = (upper[i][j] - lower[i][j]) / 3.92
      #expect(bootstrapSE / sd > 0.6 && bootstrapSE / sd < 1.6, "\(i) → \(j): bootstrap \(bootstrapSE), spread \(sd)")
      // The estimator is unbiased here: the mean of the 24 fits is near the truth.
      #expect(abs(mean - Self.truth[i][j]) < 3 * sd / 24.0.squareRoot() + 1e-3, "\(i) → \(j): mean \(mean)")
      #expect(lower[i][j] <= model.transitionMatrix[i][j] && model.transitionMatrix[i][j] <= upper[i][j])
    }
  }
}
