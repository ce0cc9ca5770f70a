import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// A saved time-to-churn model: the proportional-hazards fit, the feature
/// spec it was fitted on (resolved, so that new data gets the same
/// columns), and where and how it was trained. Written by `churnkit
/// survival`.
public struct SurvivalModel: Codable, Sendable {
  public static let kind = "churnkit survival model"
  public static let currentFormatVersion = 1

  public var kind = SurvivalModel.kind
  public var formatVersion = SurvivalModel.currentFormatVersion
  public var churnkitVersion = ChurnKitVersion.current
  /// Nil for a model fitted on a table the user brought.
  public var featureSpec: FeatureSpec?
  public var fit: FittedCox
  public var training: Training
  /// Kaplan–Meier and Nelson–Aalen of every fitted customer ("all"), then
  /// of each group of `groupedBy`.
  public var curves: [NamedCurve] = []
  /// The covariate the groups are its values of, and the log-rank test
  /// between them.
  public var groupedBy: String?
  public var logRank: LogRankTest?

  public struct NamedCurve: Codable, Sendable {
    public let group: String
    public let curve: SurvivalCurve
  }

  public struct Training: Codable, Sendable {
    /// The events file, or the table (`--features`).
    public var source: String
    public var cutoff: String?
    public var horizonDays: Int?
    public var churnDefinition: String?
    /// Until when the data was taken to be complete.
    public var observedUntil: String?
    public var rows: Int
    public var churns: Int
    /// Customers at the cutoff without a follow-up (already churned by the
    /// silence rule with a longer look-back), not fitted.
    public var skippedRows: Int
    public var holdout: String?
    public var holdoutRows: Int?
    public var holdoutChurns: Int?
    /// Harrell's C of the partial hazard on the held-out customers.
    public var holdoutConcordance: Double?
    /// The integrated Brier score on the held-out customers over days 1 to
    /// `brierDays`, and the same of the training customers' Kaplan–Meier
    /// curve (no features): the reference a useful model beats.
    public var holdoutIntegratedBrierScore: Double?
    public var holdoutBrierReference: Double?
    public var brierDays: Int?

    public init(
      source: String, cutoff: String? = nil, horizonDays: Int? = nil, churnDefinition: String? = nil,
      observedUntil: String? = nil, rows: Int, churns: Int, skippedRows: Int
    ) {
      self.source = source
      self.cutoff = cutoff
      self.horizonDays = horizonDays
      self.churnDefinition = churnDefinition
      self.observedUntil = observedUntil
      self.rows = rows
      self.churns = churns
      self.skippedRows = skippedRows
    }
  }

  public init(featureSpec: FeatureSpec?, fit: FittedCox, training: Training) {
    self.featureSpec = featureSpec
    self.fit = fit
    self.training = training
  }

  private struct File: Codable {
    var checksum: String
    var survivalModel: SurvivalModel
  }

  /// The model as a file: pretty JSON with sorted keys and a crc32 of the
  /// model (the same bytes for the same fit).
  ///
  /// - Throws: `ModelError.numericalFailure` for a coefficient or standard
  ///   error that is not finite (such a model is never saved).
  public func fileBytes() throws -> [UInt8] {
    for term in fit.terms where !term.coefficient.isFinite || !term.standardError.isFinite {
      throw ModelError.numericalFailure("coefficient of '\(term.name)' is not finite; the model is not saved")
    }
    return try ModelJSON.file(File(checksum: try ModelJSON.checksum(self), survivalModel: self))
  }

  /// Reads and verifies a survival model file: its kind and version, the
  /// JSON, the checksum, then every array of the fit against the others.
  public static func load(path: String) throws(ModelFileError) -> SurvivalModel {
    guard let data = contentsOfFile(path) else { throw .unreadable(path: path) }
    return try load(data: data, path: path)
  }

  /// `load(path:)` on bytes, without requiring the checksum to match: for
  /// the model-file fuzzer, which must reach the check behind it.
  @_spi(Fuzzing) public static func loadIgnoringChecksum(data: Data, path: String) throws -> SurvivalModel {
    try load(data: data, path: path, requiringChecksum: false)
  }

  static func load(data: Data, path: String, requiringChecksum: Bool = true) throws(ModelFileError) -> SurvivalModel {
    struct Probe: Decodable {
      struct Inner: Decodable {
        var kind: String?
        var formatVersion: Int?
      }
      var survivalModel: Inner?
    }
    let probe: Probe
    do { probe = try JSONDecoder().decode(Probe.self, from: data) } catch {
      throw .notAModel(path: path, detail: JSONProblem.describe(error, in: data))
    }
    guard probe.survivalModel?.kind == SurvivalModel.kind, let version = probe.survivalModel?.formatVersion else {
      throw .notAModel(
        path: path, detail: "it has no survivalModel.kind '\(SurvivalModel.kind)' (churnkit survival --out writes them)"
      )
    }
    if version > currentFormatVersion {
      throw .newerFormat(path: path, version: version, supported: currentFormatVersion)
    }
    let file: File
    do {
      let decoder = JSONDecoder()
      decoder.nonConformingFloatDecodingStrategy = ChurnModel.nonFiniteDecoding
      file = try decoder.decode(File.self, from: data)
    } catch {
      throw .damaged(path: path, detail: JSONProblem.describe(error, in: data))
    }
    if requiringChecksum, (try? ModelJSON.checksum(file.survivalModel)) != file.checksum {
      throw .checksumMismatch(path: path)
    }
    try file.survivalModel.fit.check(path: path)
    return file.survivalModel
  }
}

extension FittedCox {
  /// Every array against the others and every number finite: what
  /// prediction relies on.
  func check(path: String) throws(ModelFileError) {
    func fail(_ field: String, _ problem: String) -> ModelFileError {
      .invalid(path: path, field: "survivalModel.fit.\(field)", problem: problem)
    }
    guard !terms.isEmpty else { throw fail("terms", "is empty") }
    for (j, t) in terms.enumerated() where !t.coefficient.isFinite {
      throw fail("terms[\(j)].coefficient", "is not finite")
    }
    guard means.count == terms.count, means.allSatisfy(\.isFinite) else {
      throw fail("means", "has \(means.count) finite entries, terms has \(terms.count)")
    }
    guard baselineDays.count == baselineCumulativeHazard.count else {
      throw fail(
        "baselineCumulativeHazard",
        "has \(baselineCumulativeHazard.count) entries, baselineDays has \(baselineDays.count)")
    }
    guard longestFollowUp.isFinite, longestFollowUp >= 0 else { throw fail("longestFollowUp", "is not a number ≥ 0") }
    var previous = (day: -Double.infinity, hazard: 0.0)
    for (k, (day, hazard)) in zip(baselineDays, baselineCumulativeHazard).enumerated() {
      guard day.isFinite, day > previous.day, day <= longestFollowUp else {
        throw fail("baselineDays[\(k)]", "must increase within 0…longestFollowUp")
      }
      guard hazard.isFinite, hazard >= previous.hazard else {
        throw fail("baselineCumulativeHazard[\(k)]", "must be finite and never decrease")
      }
      previous = (day, hazard)
    }
  }
}
