/// How well predicted uplift ranks who responds to a treatment: the Qini and
/// uplift curves over customers sorted by predicted uplift (best first), and
/// their areas normalised between random targeting (0) and the best possible
/// ranking (1) — the definitions scikit-uplift uses (Radcliffe 2007), so the
/// numbers compare one to one.
///
/// At each distinct predicted value, with n customers so far, of which n_t
/// treated (y_t responders) and n_c controls (y_c responders):
/// Qini = y_t − y_c · n_t / n_c, uplift = (y_t / n_t − y_c / n_c) · n (a
/// ratio with an empty denominator counts 0); both start at (0, 0).
///
/// ```swift
/// let curve = UpliftCurve(outcomes: retained, scores: predictedUplift, treated: wasTreated)
/// curve.qiniCoefficient
/// ```
public struct UpliftCurve: Sendable, Codable, Equatable {
  /// Customers targeted at each point (0 first).
  public let targeted: [Double]
  public let qini: [Double]
  public let uplift: [Double]
  /// Normalised areas: (model − random) / (perfect − random).
  public let qiniCoefficient: Double
  public let upliftAUC: Double

  /// `outcomes` are 1 for the desired response (a retained customer).
  public init(outcomes: [Double], scores: [Double], treated: [Bool]) {
    let model = Self.curves(outcomes: outcomes, scores: scores, treated: treated)
    targeted = model.x
    qini = model.qini
    uplift = model.uplift
    // Perfect rankings: treated responders and control non-responders first.
    let perfectQini = Self.curves(
      outcomes: outcomes,
      scores: zip(outcomes, treated).map { y, t in t ? y : -y }, treated: treated)
    let controlResponders = zip(outcomes, treated).filter { $0 == 1 && !$1 }.count
    let treatedNonResponders = zip(outcomes, treated).filter { $0 == 0 && $1 }.count
    let perfectUplift = Self.curves(
      outcomes: outcomes,
      scores: zip(outcomes, treated).map { y, t in
        let match = (y == 1) == t ? 2.0 : 0.0
        return match + (controlResponders > treatedNonResponders ? y : (t ? 1 : 0))
      }, treated: treated)
    func normalised(_ x: [Double], _ y: [Double], _ px: [Double], _ py: [Double]) -> Double {
      let baseline = Self.area([0, px.last ?? 0], [0, py.last ?? 0])
      return (Self.area(x, y) - baseline) / (Self.area(px, py) - baseline)
    }
    qiniCoefficient = normalised(model.x, model.qini, perfectQini.x, perfectQini.qini)
    upliftAUC = normalised(model.x, model.uplift, perfectUplift.x, perfectUplift.uplift)
  }

  static func curves(
    outcomes: [Double], scores: [Double], treated: [Bool]
  ) -> (x: [Double], qini: [Double], uplift: [Double]) {
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var x: [Double] = [0], qini: [Double] = [0], uplift: [Double] = [0]
    var nt = 0.0, yt = 0.0, nc = 0.0, yc = 0.0
    for (k, i) in order.enumerated() {
      if treated[i] {
        nt += 1
        yt += outcomes[i]
      } else {
        nc += 1
        yc += outcomes[i]
      }
      // A point at the end of each run of equal scores.
      guard k == order.count - 1 || scores[order[k + 1]] != scores[i] else { continue }
      let n = nt + nc
      x.append(n)
      qini.append(yt - (nc > 0 ? yc * nt / nc : 0))
      uplift.append(((nt > 0 ? yt / nt : 0) - (nc > 0 ? yc / nc : 0)) * n)
    }
    return (x, qini, uplift)
  }

  /// Trapezoidal area under a curve.
  static func area(_ x: [Double], _ y: [Double]) -> Double {
    var total = 0.0
    for k in x.indices.dropFirst() { total += (x[k] - x[k - 1]) * (y[k] + y[k - 1]) / 2 }
    return total
  }
}
