import ChurnIO

/// Where the events of each event type (or channel) of a log are counted in
/// a customer's state: a slot of its own, or the shared pool, slot 0.
///
/// This bounds the state whatever the log's vocabulary: at most `limit`
/// names found in the data get a slot, in order of first appearance (a
/// deterministic order, and frequent names appear early); names the spec
/// lists always get one; every other name shares the pool. A log with
/// 100,000 event types therefore costs `limit + 1` slots per customer, not
/// 100,000.
struct CategorySlots: Sendable {
  static let pool = 0

  /// Names with a slot whatever the limit (the spec's lists).
  private let named: Set<String>
  /// Names never counted on their own (the churn event: a customer who has
  /// it before the cutoff has no row).
  private let neverOwn: Set<String>
  /// Whether names the spec does not list get slots (false when the spec
  /// fixes the list: scoring with a model's spec).
  private let discovers: Bool
  private let limit: Int
  /// Per reader id, its slot.
  private(set) var slotOfID: [Int] = []
  /// Per slot, its name (the pool: nil).
  private(set) var nameOfSlot: [String?] = [nil]
  private var discovered = 0

  init(named: some Sequence<String>, neverOwn: Set<String> = [], discovers: Bool, limit: Int) {
    self.named = Set(named)
    self.neverOwn = neverOwn
    self.discovers = discovers
    self.limit = limit
  }

  /// Slots, the pool included.
  var count: Int { nameOfSlot.count }

  /// Gives slots to the names `vocabulary` has gained since the last call.
  mutating func extend(with vocabulary: Interner) {
    while slotOfID.count < vocabulary.count {
      slotOfID.append(slot(for: vocabulary.string(Int32(slotOfID.count))))
    }
  }

  private mutating func slot(for name: String) -> Int {
    if neverOwn.contains(name) { return CategorySlots.pool }
    if !named.contains(name) {
      guard discovers && discovered < limit else { return CategorySlots.pool }
      discovered += 1
    }
    nameOfSlot.append(name)
    return nameOfSlot.count - 1
  }

  /// The slot of `name`, when the log has it and it has a slot of its own.
  func slot(of name: String, in vocabulary: Interner) -> Int? {
    guard let id = vocabulary.lookup(name), Int(id) < slotOfID.count else { return nil }
    let slot = slotOfID[Int(id)]
    return slot == CategorySlots.pool ? nil : slot
  }

  /// The slots behind the columns of `names` and of the pool (when
  /// `hasPool`): the pool holds every slot not among `names` or `apart`.
  func columns(for names: [String], hasPool: Bool, apart: Set<String>, in vocabulary: Interner) -> CategoryColumns {
    let own = names.map { slot(of: $0, in: vocabulary) }
    guard hasPool else { return CategoryColumns(own: own, pooled: []) }
    let named = Set(names).union(apart)
    let pooled = nameOfSlot.indices.filter { nameOfSlot[$0].map { !named.contains($0) } ?? true }
    return CategoryColumns(own: own, pooled: pooled)
  }
}

/// How a family of categories (event types, channels) became features: the
/// names with columns of their own and the slots pooled under one name.
struct CategoryColumns: Sendable {
  /// Per name with its own columns, its slot (nil: absent from the log).
  var own: [Int?]
  /// The slots counted together under the pooled name (empty: no pool).
  var pooled: [Int]
}

/// The names of a resolved vocabulary: the frequent ones and, when others
/// exist, the pool's name.
struct ResolvedCategories {
  var names: [String]
  var pooledName: String?
  /// How many names went into the pool (for the run's summary).
  var pooledCount: Int

  /// Keeps the names used by at least `minCustomers` customers; the rarer
  /// ones, and the ones without a slot, go to a pool named `pooledName`
  /// (made unique among every name of the log, `reserved`, so that no
  /// column reads as one name's) when any exists. One group in all
  /// (a lone name, or only a pool) would repeat the overall features, so
  /// then there are none, unless `keepLone`.
  static func resolve(
    seen: [String], ownSlot: (String) -> Int?, customers: (Int) -> Int, minCustomers: Int, pooledName: String,
    reserved: [String], keepLone: Bool
  ) -> ResolvedCategories {
    var kept: [String] = []
    var pooledCount = 0
    for name in seen {
      if let slot = ownSlot(name), customers(slot) >= minCustomers { kept.append(name) } else { pooledCount += 1 }
    }
    var pool: String? = nil
    if pooledCount > 0 {
      var candidate = pooledName
      var n = 2
      while reserved.contains(candidate) {
        candidate = "\(pooledName)_\(n)"
        n += 1
      }
      pool = candidate
    }
    let groups = kept.count + (pool == nil ? 0 : 1)
    if groups == 1 && !keepLone { return ResolvedCategories(names: [], pooledName: nil, pooledCount: pooledCount) }
    return ResolvedCategories(names: kept.sorted(), pooledName: pool, pooledCount: pooledCount)
  }

  /// A sentence for the run's summary when names were pooled: how many,
  /// under which name, and the settings that decide it.
  func note(family: String, limit: Int, minCustomers: Int) -> String? {
    guard pooledCount > 0 else { return nil }
    let why = "fewer than \(minCustomers) customers each, or beyond the first \(limit) seen"
    let settings = "spec settings rare_category_min_customers, max_categories"
    guard let pooledName else {
      return "\(pooledCount) \(family) (\(why)) have no columns of their own (\(settings))"
    }
    return "\(pooledCount) \(family) (\(why)) are counted together as '\(pooledName)' (\(settings))"
  }
}
