/// How many customers used one event type or channel by the latest cutoff.
package struct CategoryUse: Sendable {
  package let name: String
  package let customers: Int

  package init(name: String, customers: Int) {
    self.name = name
    self.customers = customers
  }
}

extension FeatureSpec {
  /// The spec with the vocabularies it leaves open fixed as
  /// `FeatureExtractor` fixes them, from how many customers used each
  /// event type and channel by the latest cutoff (`used`), and every name
  /// the log holds (`all`, for the pool's name): what a log read through
  /// SQL resolves to. A table has no order of appearance, so a vocabulary
  /// beyond `max_categories` names (where the extractor keeps the first
  /// found) is refused: list its names in the spec.
  package func resolvingVocabularies(
    types used: [CategoryUse], allTypes: [String], channels usedChannels: [CategoryUse], allChannels: [String],
    churnDefinition: ChurnDefinition
  ) throws(FeatureError) -> (spec: FeatureSpec, notes: [String]) {
    var resolved = self
    var notes: [String] = []
    let limit = maxCategories ?? FeatureSpec.defaultMaxCategories
    if eventTypes == nil {
      var excluded = Set(interventions)
      if case .event(let name) = churnDefinition { excluded.insert(name) }
      let seen = used.filter { !excluded.contains($0.name) }
      try Self.checkLimit(seen.count, limit: limit, family: "event types", key: "event_types")
      let categories = ResolvedCategories.resolve(
        seen: seen.map(\.name), ownSlot: { name in seen.firstIndex { $0.name == name } },
        customers: { seen[$0].customers }, minCustomers: rareCategoryMinCustomers,
        pooledName: pooledEventTypes ?? "other", reserved: allTypes, keepLone: !interventions.isEmpty)
      resolved.eventTypes = categories.names
      resolved.pooledEventTypes = categories.pooledName
      notes += [categories.note(family: "event types", limit: limit, minCustomers: rareCategoryMinCustomers)]
        .compactMap { $0 }
    }
    if channels == nil {
      try Self.checkLimit(usedChannels.count, limit: limit, family: "channels", key: "channels")
      let categories = ResolvedCategories.resolve(
        seen: usedChannels.map(\.name), ownSlot: { name in usedChannels.firstIndex { $0.name == name } },
        customers: { usedChannels[$0].customers }, minCustomers: rareCategoryMinCustomers,
        pooledName: pooledChannels ?? "other", reserved: allChannels, keepLone: false)
      resolved.channels = categories.names
      resolved.pooledChannels = categories.pooledName
      notes += [categories.note(family: "channels", limit: limit, minCustomers: rareCategoryMinCustomers)]
        .compactMap { $0 }
    }
    return (resolved, notes)
  }

  private static func checkLimit(_ count: Int, limit: Int, family: String, key: String) throws(FeatureError) {
    guard count > limit else { return }
    throw .invalidSpec(
      "the table holds \(count) \(family), more than max_categories (\(limit)): list the ones to keep as \"\(key)\" in the spec (the others are pooled), or raise max_categories"
    )
  }
}
