import ByteStreams
import ChurnData
import ChurnDecisions
import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// A trained churn model as saved to disk: everything scoring needs (the
/// resolved feature spec, the coefficients and their scaling) and everything
/// a reader wants to know (inference, training data, metrics).
///
/// The file is JSON: `{"checksum": "crc32:…", "model": {…}}`, the checksum
/// taken over the canonical encoding of `model` (sorted keys), and written
/// atomically. A damaged file, or one from a newer format, is refused.
public struct ChurnModel: Codable, Sendable {
  /// The format this version writes and reads. 2: `features` may list
  /// features the fit dropped (`fit.dropped`), `featureSpec` may be absent
  /// (a feature-table model) and `reference.typicalValues` is kept — a
  /// format-1 reader would lay the coefficients over the wrong features.
  /// 3: the uplift learner's models sit under a key named after it
  /// (`"learner": "s", "s": {…}`, `FittedLearner`); format 2 is still read.
  public static let currentFormatVersion = 3

  /// Where the training rows came from.
  public struct Training: Codable, Sendable {
    public var events: String
    /// Rows and bytes of the events file, and a fingerprint of its contents.
    public var eventRows: Int
    public var eventsFingerprint: String
    public var cutoffs: [String]
    public var horizonDays: Int
    public var churnDefinition: String
    /// With churn by inactivity: the look-back, in days, that decides who is
    /// already churned at a cutoff (nil: the horizon).
    public var activeWithinDays: Int?
    public var rows: Int
    public var baseRate: Double
    public var holdout: String?
    public var metrics: BinaryMetrics
    public var holdoutMetrics: BinaryMetrics?
    /// When the penalty was chosen by cross-validation: the folds and the path.
    public var crossValidationFolds: Int?
    public var crossValidationPath: [CrossValidation.Point]?
    /// Columns of the training table that were not features (the label,
    /// the weight, excluded columns), besides `customer_id` and `cutoff`.
    public var otherColumns: [String]?

    public init(
      events: String, eventRows: Int, eventsFingerprint: String, cutoffs: [String], horizonDays: Int,
      churnDefinition: String, rows: Int, baseRate: Double, holdout: String?, metrics: BinaryMetrics,
      holdoutMetrics: BinaryMetrics?, crossValidationFolds: Int? = nil,
      crossValidationPath: [CrossValidation.Point]? = nil
    ) {
      self.events = events
      self.eventRows = eventRows
      self.eventsFingerprint = eventsFingerprint
      self.cutoffs = cutoffs
      self.horizonDays = horizonDays
      self.churnDefinition = churnDefinition
      self.rows = rows
      self.baseRate = baseRate
      self.holdout = holdout
      self.metrics = metrics
      self.holdoutMetrics = holdoutMetrics
      self.crossValidationFolds = crossValidationFolds
      self.crossValidationPath = crossValidationPath
    }
  }

  public var formatVersion = ChurnModel.currentFormatVersion
  public var churnkitVersion = ChurnKitVersion.current
  /// How the features are built from events; nil for a model trained on a
  /// feature table the user brought (it scores feature tables only).
  public var featureSpec: FeatureSpec?
  /// Every feature the spec builds, in order: the fit's own, and any it
  /// dropped (constant or aliased), which weigh nothing.
  public var features: [String]
  public var fit: LogisticRegressionFit
  public var training: Training
  /// What scoring compares against: the training rows' feature means (the
  /// baseline of reason codes), risk-band cut points (deciles of the
  /// training scores; band 10 is the riskiest) and reference distributions
  /// for drift.
  public var reference: Reference
  /// Next best action: what each intervention does to churn, learned with
  /// `train --actions` (nil: a churn model only).
  public var uplift: UpliftModel?

  /// Training-time references for scoring.
  public struct Reference: Codable, Sendable {
    public var featureMeans: [Double]
    /// Nine increasing probabilities: band k (1…10) holds scores above the
    /// (k−1)-th cut and at most the k-th.
    public var riskBandCuts: [Double]
    public var score: DistributionReference
    public var features: [DistributionReference]
    /// What reasons call "typical": the training median of each feature,
    /// for a "days since the last …" feature among the customers who had
    /// one (the never value when nobody had); nil in older models (the mean
    /// was shown).
    public var typicalValues: [Double]?

    /// - Parameter neverDays: the "never happened" value of the features
    ///   `FeaturePhrases.isNeverable` names (nil: no such value).
    public init(x: Matrix, scores: [Double], featureNames: [String]? = nil, neverDays: Double? = nil) {
      let n = max(x.rows, 1)
      featureMeans = (0..<x.columns).map { j in x.column(j).reduce(0, +) / Double(n) }
      riskBandCuts = Self.riskBandCuts(scores)
      score = DistributionReference(values: scores)
      features = (0..<x.columns).map { DistributionReference(values: x.column($0)) }
      if let names = featureNames {
        typicalValues = (0..<x.columns).map { j in
          let never = FeaturePhrases.isNeverable(names[j]) ? neverDays : nil
          let seen = x.column(j).filter { never == nil || $0 < never! }
          guard !seen.isEmpty else { return never ?? 0 }
          return Quantiles.linear(seen, at: [0.5])[0]
        }
      }
    }

    /// The same reference from parts computed elsewhere (a database):
    /// each feature's mean, distribution and typical value.
    init(
      featureMeans: [Double], scores: [Double], features: [DistributionReference], typicalValues: [Double]
    ) {
      self.featureMeans = featureMeans
      riskBandCuts = Self.riskBandCuts(scores)
      score = DistributionReference(values: scores)
      self.features = features
      self.typicalValues = typicalValues
    }

    /// Each cut lies halfway between two neighbouring training scores, so
    /// no training customer sits exactly on a band boundary (where the
    /// last bits of a warehouse's arithmetic could tip it either way).
    private static func riskBandCuts(_ scores: [Double]) -> [Double] {
      let sorted = scores.sorted()
      return (1..<10).map { d in
        guard sorted.count >= 2 else { return Double(d) / 10 }
        let k = max(1, min(sorted.count - 1, sorted.count * d / 10))
        return (sorted[k - 1] + sorted[k]) / 2
      }
    }

    /// The risk band (1…10) of a probability.
    public func riskBand(_ p: Double) -> Int {
      var band = 1
      for cut in riskBandCuts where p > cut { band += 1 }
      return band
    }
  }

  /// The intercept and one coefficient per feature of `features` (0 for a
  /// dropped one).
  public var predictor: LinearPredictor { fit.predictor(over: features) }

  /// Columns a feature table may have besides the features: the keys and
  /// label `churnkit features` writes, and the training table's others.
  public var nonFeatureColumns: [String] {
    ["customer_id", "cutoff", "label"] + (training.otherColumns ?? [])
  }

  public init(
    featureSpec: FeatureSpec?, features: [String]? = nil, fit: LogisticRegressionFit, training: Training,
    reference: Reference
  ) {
    self.featureSpec = featureSpec
    self.features = features ?? fit.featureNames
    self.fit = fit
    self.training = training
    self.reference = reference
  }

  /// The feature spec, for work that builds features from events.
  ///
  /// - Throws: `ModelUseError.trainedOnFeatureTable` for a model trained
  ///   on a feature table, saying what it can do instead.
  public func specForEvents(_ use: String) throws(ModelUseError) -> FeatureSpec {
    guard let featureSpec else { throw .trainedOnFeatureTable(events: training.events, use: use) }
    return featureSpec
  }

  /// What an uplift model learned beside this one needs of it.
  public func baseline(for use: String) throws -> ChurnBaseline {
    ChurnBaseline(
      spec: try specForEvents(use), features: features,
      churnDefinition: try ChurnDefinition(parsing: training.churnDefinition), horizonDays: training.horizonDays,
      firstCutoff: try training.cutoffs.first.map { try Cutoff(parsing: $0) }, predictor: predictor)
  }

  private struct File: Codable {
    var checksum: String
    var model: ChurnModel
  }

  /// Undefined metrics (an AUC with one class) are written as "nan".
  static let nonFinite = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
    positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
  static let nonFiniteDecoding = JSONDecoder.NonConformingFloatDecodingStrategy.convertFromString(
    positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

  /// Writes the model to `path` (atomically).
  public func write(to path: String) throws {
    let bytes = try fileBytes()
    let out = try AtomicFileWriter(path: path)
    try out.write(bytes)
    try out.commit()
  }

  /// The bytes `write(to:)` writes: the model with its checksum.
  ///
  /// - Throws: `ModelError.numericalFailure` for a coefficient or standard
  ///   error that is not finite (such a model is never saved).
  public func fileBytes() throws -> [UInt8] {
    for term in fit.terms where !term.coefficient.isFinite || !term.standardError.isFinite {
      throw ModelError.numericalFailure("coefficient of '\(term.name)' is not finite; the model is not saved")
    }
    return try ModelJSON.file(File(checksum: try ModelJSON.checksum(self), model: self))
  }

  /// Reads and verifies a model file: the format version, the JSON, the
  /// checksum, then the model as a whole (`ModelFileCheck`).
  public static func load(path: String) throws -> ChurnModel {
    guard let data = contentsOfFile(path) else { throw ModelFileError.unreadable(path: path) }
    return try load(data: data, path: path)
  }

  /// `load(path:)` on bytes, without requiring the checksum to match: for
  /// the model-file fuzzer (`fuzz/`), which must reach the whole-file check
  /// behind the checksum as a tool that reseals its edits would.
  @_spi(Fuzzing) public static func loadIgnoringChecksum(data: Data, path: String) throws -> ChurnModel {
    try load(data: data, path: path, requiringChecksum: false)
  }

  static func load(data: Data, path: String, requiringChecksum: Bool = true) throws(ModelFileError) -> ChurnModel {
    // The version first, so a newer format gets the right message.
    struct Probe: Decodable {
      struct Inner: Decodable { var formatVersion: Int? }
      var model: Inner?
    }
    let probe: Probe
    do { probe = try JSONDecoder().decode(Probe.self, from: data) } catch {
      throw .notAModel(path: path, detail: JSONProblem.describe(error, in: data))
    }
    guard let version = probe.model?.formatVersion else {
      throw .notAModel(
        path: path,
        detail: "it has no model.formatVersion (churnkit train writes model files; is this another JSON file?)")
    }
    if version > currentFormatVersion {
      throw .newerFormat(path: path, version: version, supported: currentFormatVersion)
    }
    let file: File
    do {
      let decoder = JSONDecoder()
      decoder.nonConformingFloatDecodingStrategy = nonFiniteDecoding
      file = try decoder.decode(File.self, from: data)
    } catch {
      throw .damaged(path: path, detail: JSONProblem.describe(error, in: data))
    }
    if requiringChecksum {
      guard (try? ModelJSON.checksum(file.model)) == file.checksum else { throw .checksumMismatch(path: path) }
    }
    var model = file.model
    try ModelFileCheck(path: path).check(model)
    do { try model.uplift?.bind(features: model.features) } catch {
      throw .invalid(path: path, field: "uplift", problem: "\(error)")
    }
    return model
  }

  /// The file's bytes with the checksum recomputed: what a tool that edits
  /// a model file would write (for tests of `ModelFileCheck`).
  package static func resealed(_ data: Data) throws -> Data {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = nonFiniteDecoding
    var file = try decoder.decode(File.self, from: data)
    file.checksum = try ModelJSON.checksum(file.model)
    return try ModelJSON.encoder(pretty: true).encode(file)
  }
}
