/// A small, fast, seedable random number generator (SplitMix64, Steele, Lea
/// and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
///
/// Every random draw in ChurnKit goes through an injected generator, so the
/// same seed gives byte-identical output on every machine.
///
/// ```swift
/// var rng = SplitMix64(seed: 42)
/// let u = Double.random(in: 0..<1, using: &rng)
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator whose sequence is fixed by `seed`.
  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in [0, 1) with 53 random bits; unlike
  /// `Double.random(in:using:)` its algorithm is fixed here, so generated data
  /// cannot change with the standard library.
  public mutating func nextUniform() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// An independent generator for a numbered sub-stream (a customer, a fold),
  /// so work can be split without changing results.
  public func split(_ stream: UInt64) -> SplitMix64 {
    var mixer = SplitMix64(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
    return SplitMix64(seed: mixer.next())
  }
}
