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

  /// The model as a file: pretty JSON with sorted keys (the same bytes for
  /// the same fit).
  public func fileBytes() throws -> [UInt8] {
    for term in fit.terms where !term.coefficient.isFinite || !term.standardError.isFinite {
      throw ModelError.numericalFailure("coefficient of '\(term.name)' is not finite; the model is not saved")
    }
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = ChurnModel.nonFinite
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(self)) + [0x0A]
  }
}
