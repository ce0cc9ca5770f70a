import LinearAlgebra

/// How customers move between lifecycle stages, estimated from the stage of
/// each event: the discrete-time transition matrix per period (Dirichlet
/// smoothed counts), the continuous-time generator (maximum likelihood from
/// moves and time in stage), and what the absorbing chain implies.
///
/// Stage spells come from each customer's events in time order: a spell
/// lasts from the first event seen in a stage until the move to the next
/// one, dated halfway between the last event in the old stage and the first
/// in the new (the move happened somewhere in between). A churn event, or
/// no event for `inactivityDays`, moves the customer to `churned`, which
/// absorbs. The last spell of a customer who has not churned is censored at
/// the end of the data. For daily periods the matrix is then refined by
/// `PanelChainEstimator` (maximum likelihood over the unseen days).
public struct StageTransitionModel: Sendable, Codable {
  public let stages: [String]
  public let periodDays: Int
  public let dirichletAlpha: Double
  /// Observed moves between different stages.
  public let moves: [[Int]]
  /// Days spent in each stage (time at risk).
  public let daysInStage: [Double]
  /// Period steps counted per stage pair, stays on the diagonal.
  public let periodCounts: [[Double]]
  /// P from the spell counts with Dirichlet smoothing.
  public let countTransitionMatrix: [[Double]]
  /// P: probability of being in stage j one period after stage i — for a
  /// one-day period the panel-data maximum-likelihood estimate (which also
  /// accounts for the unseen days between events), else `countTransitionMatrix`.
  /// The absorbing analysis uses it.
  public let transitionMatrix: [[Double]]
  /// EM iterations of the panel-data estimate (0 when not used).
  public let maximumLikelihoodIterations: Int
  /// The panel log-likelihood of the observed gaps at `transitionMatrix`
  /// (nil when the panel estimate is not used).
  public let logLikelihood: Double?
  /// Bootstrap replicates behind the intervals (0: no intervals).
  public let bootstrapReplicates: Int
  /// 95% bootstrap interval of each transition probability (percentiles
  /// over customer resamples); nil without a bootstrap.
  public let transitionLower: [[Double]]?
  public let transitionUpper: [[Double]]?
  /// The bootstrap's matrices, when the estimator keeps them
  /// (`keepsReplicates`; nil otherwise, and then not in the JSON).
  public var transitionReplicates: [[[Double]]]? = nil
  /// Q per day: moves from i to j over days in i; rows sum to 0.
  public let generator: [[Double]]
  public let customers: Int
  public let absorption: AbsorbingChainAnalysis
  /// Per stage: customers reached, dwell, channels and sentiment.
  public let profiles: [StageProfile]
  /// Kaplan–Meier retention from each customer's first event: all customers
  /// first, then one curve per quarter of the first event ("2024-Q3").
  public let retention: [CohortRetention]
  /// With `StageModelEstimator.actionEvents`: churn and advance rates after
  /// each action against the stage's baseline (nil otherwise).
  public let actionEffects: [ActionStageEffect]?
  /// Where churn comes from: stages by removal effect, touchpoints by last
  /// touch before churn, and the ranked list the report shows.
  public let painPoints: PainPointAnalysis

  /// The continuous-time transition matrix over `days`: e^{Q·days}.
  public func continuousTimeTransition(days: Double) throws(LinearAlgebraError) -> [[Double]] {
    try Matrix(rowMajor: generator).scaled(by: days).exponential().rowList
  }
}

/// What an absorbing chain with `churned` as its absorbing state implies.
public struct AbsorbingChainAnalysis: Sendable, Codable {
  /// The transient stages, in order (all but `churned`).
  public let transientStages: [String]
  /// N = (I − P_TT)⁻¹: expected periods in stage j starting from stage i;
  /// nil in the rows of stages whose churn is not certain (below).
  public let fundamentalMatrix: [[Double?]]
  /// N · 1: expected periods until churn from each transient stage; nil
  /// (JSON null) when churn is not certain from it — the data show a path
  /// from it to a stage no churn was ever seen to follow — so the expected
  /// time is infinite, not a number to print.
  public let expectedPeriodsToChurn: [Double?]
  /// Probability of churning within h periods from each transient stage, per h.
  public let churnWithin: [Int: [Double]]
  /// Probability of reaching `advocacy` before churning, when there is such a stage.
  public let advocacyBeforeChurn: [Double]?

  /// Computes the analysis of `p` (row-stochastic, `churned` last). Which
  /// moves exist, for whether churn is certain, comes from `observedMoves`
  /// (a move seen in the data) when given, else from p > 0: smoothing and
  /// EM leave tiny positive probabilities on moves nobody made, and a chain
  /// that never churns must not get a finite (if astronomical) time to churn.
  public init(
    p: Matrix, stages: [String], horizons: [Int], observedMoves: [[Bool]]? = nil
  ) throws(LinearAlgebraError) {
    let k = stages.count - 1  // transient stages
    transientStages = Array(stages.prefix(k))
    // N over the stages from which churn is certain (they reach only such
    // stages, so their block is closed); the others have no finite time.
    let certain = AbsorbingChainAnalysis.certainChurn(
      transient: k, moves: { i, j in observedMoves.map { $0[i][j] } ?? (p[i, j] > 0) })
    var iMinusPT = Matrix.identity(certain.count)
    for (r, i) in certain.enumerated() { for (c, j) in certain.enumerated() { iMinusPT[r, c] -= p[i, j] } }
    let n = try iMinusPT.inverse()
    let row = Dictionary(uniqueKeysWithValues: certain.enumerated().map { ($1, $0) })
    fundamentalMatrix = (0..<k).map { i in
      (0..<k).map { j in row[i].map { r in row[j].map { n[r, $0] } ?? 0 } }
    }
    expectedPeriodsToChurn = (0..<k).map { i in row[i].map { r in (0..<certain.count).reduce(0) { $0 + n[r, $1] } } }
    var within: [Int: [Double]] = [:]
    for h in horizons {
      let ph = AbsorbingChainAnalysis.power(p, h)
      within[h] = (0..<k).map { ph[$0, k] }
    }
    churnWithin = within
    // Advocacy before churn: make advocacy absorbing too, B = N′ R′.
    if let a = stages.firstIndex(of: "advocacy"), a < k {
      let others = (0..<k).filter { $0 != a }
      var m = Matrix.identity(others.count)
      for (r, i) in others.enumerated() { for (c, j) in others.enumerated() { m[r, c] -= p[i, j] } }
      let reach = try m.solve(others.map { p[$0, a] })
      var result = [Double](repeating: 0, count: k)
      for (r, i) in others.enumerated() { result[i] = reach[r] }
      result[a] = 1
      advocacyBeforeChurn = result
    } else {
      advocacyBeforeChurn = nil
    }
  }

  /// The transient stages (of the first `k`) from which churn, state k, is
  /// reached with probability 1: every stage they can reach (by `moves`)
  /// can reach churn.
  static func certainChurn(transient k: Int, moves: (Int, Int) -> Bool) -> [Int] {
    var reaches = [Bool](repeating: false, count: k)  // can reach churn
    var changed = true
    while changed {
      changed = false
      for i in 0..<k where !reaches[i] && (moves(i, k) || (0..<k).contains { reaches[$0] && moves(i, $0) }) {
        reaches[i] = true
        changed = true
      }
    }
    return (0..<k).filter { start in
      var seen: Set<Int> = [start]
      var frontier = [start]
      while let i = frontier.popLast() {
        guard reaches[i] else { return false }
        for j in 0..<k where j != i && moves(i, j) && !seen.contains(j) {
          seen.insert(j)
          frontier.append(j)
        }
      }
      return true
    }
  }

  /// P^h by repeated squaring.
  static func power(_ p: Matrix, _ h: Int) -> Matrix {
    var result = Matrix.identity(p.rows)
    var base = p
    var e = h
    while e > 0 {
      if e & 1 == 1 { result = result.multiplied(by: base) }
      base = base.multiplied(by: base)
      e >>= 1
    }
    return result
  }
}
