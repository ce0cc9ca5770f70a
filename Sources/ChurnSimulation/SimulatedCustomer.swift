import ChurnData
import ChurnIO
import ChurnModels

#if canImport(Glibc)
  import Glibc
#endif

/// The truth in index form, for fast daily simulation.
struct SimulationModel: Sendable {
  let truth: LifecycleTruth
  let churned: Int
  let stageIntercept: [Double]
  let planEffect: [Double]
  /// moves[stage] = [(to, probability)]
  let moves: [[(Int, Double)]]
  /// activity[stage] = [(event id, rate)]
  let activity: [[(Int, Double)]]
  let eventNames: [String]
  let channelNames = ["web", "app", "email", "phone", "store"]
  /// channelShares[event id] = shares over channelNames
  let channelShares: [[Double]]
  let actionEligible: [[Int]]  // per stage: action indexes
  let actionEffect: [[Double]]  // [action][plan]
  let actionModifiers: [LifecycleTruth.EffectModifiers?]
  /// σ of the latent usage (0: none drawn).
  let usageSpread: Double
  let loginEvent: Int
  let actionEvent: [Int]
  let actionChannel: [Int]
  let regions = ["north", "south", "east", "west"]
  let acquisitionChannels = ["search", "social", "referral", "email", "direct"]
  let purchase: Int
  let purchaseEvent: Int
  let ticketEvent: Int
  let surveyEvent: Int
  let cancelEvent: Int
  let meanAmount = [20.0, 45.0, 90.0]

  init(truth: LifecycleTruth) {
    self.truth = truth
    let stages = truth.stages
    churned = stages.count - 1
    stageIntercept = stages.map { truth.churnHazard.stageIntercept[$0] ?? 0 }
    planEffect = truth.plans.map { truth.churnHazard.planEffect[$0] ?? 0 }
    moves = stages.map { from in
      (truth.stageMoves[from] ?? [:]).sorted { $0.key < $1.key }.map { (stages.firstIndex(of: $0.key)!, $0.value) }
    }
    var names = ["visit", "compare", "purchase", "login", "support_ticket", "survey", "referral", "cancel"]
    names += truth.actions.map(\.id)
    eventNames = names
    activity = stages.map { stage in
      (truth.activityRates[stage] ?? [:]).sorted { $0.key < $1.key }.map { (names.firstIndex(of: $0.key)!, $0.value) }
    }
    let channels = ["web", "app", "email", "phone", "store"]
    channelShares = names.map { event in
      let shares = truth.eventChannels[event] ?? [:]
      return channels.map { shares[$0] ?? 0 }
    }
    actionEligible = stages.map { stage in
      truth.actions.indices.filter { truth.actions[$0].eligibleStages.contains(stage) }
    }
    actionEffect = truth.actions.map { a in truth.plans.map { a.effectOnChurnLogOdds[$0] ?? 0 } }
    actionModifiers = truth.actions.map(\.effectModifiers)
    usageSpread = truth.usageSpread ?? 0
    loginEvent = names.firstIndex(of: "login")!
    actionEvent = truth.actions.map { names.firstIndex(of: $0.id)! }
    actionChannel = truth.actions.map { channels.firstIndex(of: $0.channel) ?? 0 }
    purchase = stages.firstIndex(of: "purchase")!
    purchaseEvent = names.firstIndex(of: "purchase")!
    ticketEvent = names.firstIndex(of: "support_ticket")!
    surveyEvent = names.firstIndex(of: "survey")!
    cancelEvent = names.firstIndex(of: "cancel")!
  }

  /// An index drawn with the given probabilities.
  func draw(_ shares: [Double], _ rng: inout SplitMix64) -> Int {
    let u = rng.nextUniform() * shares.reduce(0, +)
    var cumulative = 0.0
    for (k, s) in shares.enumerated() {
      cumulative += s
      if u < cumulative { return k }
    }
    return shares.count - 1
  }
}

/// One generated event before formatting.
struct SimulatedEvent {
  var second: Int32
  var customer: Int32
  var sequence: Int32
  var event: Int16
  var channel: Int16
  var stage: Int16
  var amountCents: Int32 = -1
  var sentimentHundredths: Int16 = Int16.min

  func appendCSV(to text: inout String, datePrefix: String, model: SimulationModel) {
    let s = Int(second)
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    text += customerID(Int(customer))
    text += ","
    text += datePrefix
    text += "\(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60))Z,"
    text += model.eventNames[Int(event)]
    text += ","
    text += model.channelNames[Int(channel)]
    text += ","
    if amountCents >= 0 { text += "\(amountCents / 100).\(two(Int(amountCents % 100)))" }
    text += ","
    if sentimentHundredths != Int16.min {
      let v = Int(sentimentHundredths)
      text += "\(v < 0 ? "-" : "")\(abs(v) / 100).\(two(abs(v) % 100))"
    }
    text += ","
    text += model.truth.stages[Int(stage)]
    text += "\n"
  }
}

/// A customer's state during the simulation.
struct SimulatedCustomer {
  let index: Int
  var rng: SplitMix64
  let arrivalDay: Int
  let plan: Int
  let region: Int
  let acquisition: Int
  /// Hidden propensity to complain (standard normal); its negative is the
  /// latent satisfaction some actions' effects depend on.
  let propensity: Double
  /// Latent usage (standard normal; 0 when the truth has no usage spread).
  var usage = 0.0
  var stage = 0
  var enteredStageDay = 0
  var ticketDays: [Int] = []
  var sentiments: [(day: Int, value: Double)] = []
  var treatments: [(day: Int, action: Int)] = []
  var sequence: Int32 = 0

  init(index: Int, rng: SplitMix64, arrivalDay: Int, plan: Int, region: Int, acquisition: Int, propensity: Double) {
    self.index = index
    self.rng = rng
    self.arrivalDay = arrivalDay
    self.plan = plan
    self.region = region
    self.acquisition = acquisition
    self.propensity = propensity
    self.enteredStageDay = arrivalDay
  }

  /// Simulates one day; returns true when the customer churns.
  mutating func simulate(day: Int, model: SimulationModel, into events: inout [SimulatedEvent]) -> Bool {
    var lastSecond: Int32 = 0
    func emit(
      _ event: Int, channel: Int? = nil, amountCents: Int32 = -1, sentiment: Double? = nil, second: Int32? = nil
    ) {
      let ch = channel ?? model.draw(model.channelShares[event], &rng)
      let s = second ?? Int32(rng.next() % 86_400)
      lastSecond = max(lastSecond, s)
      var e = SimulatedEvent(
        second: s, customer: Int32(index), sequence: sequence, event: Int16(event), channel: Int16(ch),
        stage: Int16(stage), amountCents: amountCents)
      if let sentiment { e.sentimentHundredths = Int16((min(1, max(-1, sentiment)) * 100).rounded()) }
      sequence += 1
      events.append(e)
    }
    if day == arrivalDay { emit(0) }  // first visit
    // Activity of the current stage.
    if stage == model.purchase && day == enteredStageDay { emit(model.purchaseEvent, amountCents: amount(model)) }
    for (event, rate) in model.activity[stage] {
      var scaled = event == model.ticketEvent ? rate * exp(0.7 * propensity - 0.245) : rate
      if model.usageSpread > 0 && (event == model.loginEvent || event == model.purchaseEvent) {
        scaled *= exp(model.usageSpread * usage - model.usageSpread * model.usageSpread / 2)
      }
      for _ in 0..<rng.nextPoisson(scaled) {
        if event == model.ticketEvent {
          let v = -0.3 - 0.2 * propensity + 0.3 * rng.nextNormal()
          ticketDays.append(day)
          sentiments.append((day, min(1, max(-1, v))))
          emit(event, sentiment: v)
        } else if event == model.surveyEvent {
          let v = 0.4 - 0.35 * propensity + 0.3 * rng.nextNormal()
          sentiments.append((day, min(1, max(-1, v))))
          emit(event, sentiment: v)
        } else if event == model.purchaseEvent {
          emit(event, amountCents: amount(model))
        } else {
          emit(event)
        }
      }
    }
    // Randomised interventions.
    let eligible = model.actionEligible[stage]
    if !eligible.isEmpty && rng.nextUniform() < model.truth.treatmentRate {
      let a = eligible[Int(rng.next() % UInt64(eligible.count))]
      treatments.append((day, a))
      emit(model.actionEvent[a], channel: model.actionChannel[a])
    }
    // Churn, from the covariates as they stand at the end of the day.
    ticketDays.removeAll { $0 <= day - 30 }
    sentiments.removeAll { $0.day <= day - 30 }
    let meanSentiment = sentiments.isEmpty ? 0 : sentiments.reduce(0) { $0 + $1.value } / Double(sentiments.count)
    var logit = model.stageIntercept[stage] + model.planEffect[plan]
    logit += model.truth.churnHazard.supportTickets30dCoefficient * Double(ticketDays.count)
    logit += model.truth.churnHazard.meanSentiment30dCoefficient * meanSentiment
    for t in treatments where day - t.day < model.truth.actions[t.action].effectDays {
      logit += actionEffect(t.action, day: day, model: model)
    }
    if rng.nextUniform() < logistic(logit) {
      if stage >= model.purchase {
        // The cancellation is the customer's last event of the day.
        let room = UInt64(86_399 - Int(lastSecond))
        let second = room == 0 ? lastSecond : lastSecond + 1 + Int32(rng.next() % room)
        emit(model.cancelEvent, second: second)
      }
      stage = model.churned
      return true
    }
    // Stage moves.
    let u = rng.nextUniform()
    var cumulative = 0.0
    for (to, p) in model.moves[stage] {
      cumulative += p
      if u < cumulative {
        stage = to
        enteredStageDay = day + 1
        break
      }
    }
    return false
  }

  /// Action `a`'s change in the day's churn log-odds for this customer.
  func actionEffect(_ a: Int, day: Int, model: SimulationModel) -> Double {
    let base = model.actionEffect[a][plan]
    guard let modifiers = model.actionModifiers[a] else { return base }
    return base
      + modifiers.effect(
        satisfaction: -propensity, tenureYears: Double(day - arrivalDay) / 365, usage: usage)
  }

  /// A purchase amount in cents: log-normal around the plan's mean.
  private mutating func amount(_ model: SimulationModel) -> Int32 {
    let v = model.meanAmount[plan] * exp(0.5 * rng.nextNormal() - 0.125)
    return Int32((v * 100).rounded())
  }
}
