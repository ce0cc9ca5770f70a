import ChurnIO

/// Which customers are held out for evaluation: a seeded hash of the
/// customer id, so all of a customer's rows (at several cutoffs) fall on the
/// same side and the split is the same on every run and machine.
public enum CustomerHoldout {
  /// Whether the customer `id` is in the holdout.
  public static func contains(_ id: String, fraction: Double, seed: UInt64) -> Bool {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    var rng = SplitMix64(seed: h ^ seed)
    return rng.nextUniform() < fraction
  }
}
