#if canImport(Glibc)
  import Glibc
#endif

/// The logistic function 1 / (1 + e^−x), computed without overflow.
public func logistic(_ x: Double) -> Double {
  if x >= 0 { return 1 / (1 + exp(-x)) }
  let e = exp(x)
  return e / (1 + e)
}
