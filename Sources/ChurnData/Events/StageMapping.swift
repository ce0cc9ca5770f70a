import ChurnIO
import Foundation

/// How event types reveal lifecycle stages in a log without a stage column.
///
/// Each mapped event type marks the stage its customer has reached; with
/// `progression == .milestones` (the default) a customer's stage is the
/// furthest one reached so far in the stage list's order, so a login by an
/// advocate leaves them in advocacy. `repeatStages` maps the second and
/// later events of a type elsewhere (a repeat purchase means retention).
/// Events of unmapped types count as seen in the customer's current stage.
///
/// ```json
/// {"stages": {"visit": "awareness", "compare": "consideration", "purchase": "purchase"},
///  "repeat": {"purchase": "retention"}, "progression": "milestones"}
/// ```
public struct StageMapping: Codable, Sendable, Equatable {
  /// Stage reached by an event of each type.
  public var stages: [String: String]
  /// Stage reached by the second and later events of a type.
  public var repeatStages: [String: String]
  public var progression: Progression

  public enum Progression: String, Codable, Sendable {
    /// The furthest stage reached so far (stages never go back).
    case milestones
    /// The stage of the latest mapped event.
    case latest
  }

  public init(stages: [String: String], repeatStages: [String: String] = [:], progression: Progression = .milestones) {
    self.stages = stages
    self.repeatStages = repeatStages
    self.progression = progression
  }

  /// The mapping that matches `churnkit generate`'s event types.
  public static let `default` = StageMapping(
    stages: [
      "visit": "awareness", "compare": "consideration", "purchase": "purchase",
      "onboarding_help": "onboarding", "login": "onboarding", "referral": "advocacy",
    ],
    repeatStages: ["purchase": "retention"])

  enum CodingKeys: String, CodingKey {
    case stages, repeatStages = "repeat", progression
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let known = Set(["stages", "repeat", "progression"])
    let any = try decoder.container(keyedBy: AnyKey.self)
    if let unknown = any.allKeys.first(where: { !known.contains($0.stringValue) }) {
      throw DecodingError.dataCorruptedError(
        forKey: CodingKeys.stages, in: c,
        debugDescription: "unknown key '\(unknown.stringValue)' (expected stages, repeat, progression)")
    }
    stages = try c.decode([String: String].self, forKey: .stages)
    repeatStages = try c.decodeIfPresent([String: String].self, forKey: .repeatStages) ?? [:]
    progression = try c.decodeIfPresent(Progression.self, forKey: .progression) ?? .milestones
  }

  /// Reads a mapping file; `default` names the built-in mapping.
  public static func load(path: String) throws(IngestError) -> StageMapping {
    if path == "default" { return .default }
    guard let data = contentsOfFile(path) else {
      throw .unreadable("cannot read stage mapping \(path)")
    }
    do {
      return try JSONDecoder().decode(StageMapping.self, from: data)
    } catch let error as DecodingError {
      throw .invalidSchema("\(path): \(JSONProblem.describe(error, in: data))")
    } catch {
      throw .invalidSchema("\(path): \(error)")
    }
  }

  /// Checks that every target is one of `stageList`, naming the first that is not.
  public func validate(against stageList: [String]) throws(IngestError) {
    for (event, stage) in (stages.map { ($0, $1) } + repeatStages.map { ($0, $1) }).sorted(by: { $0.0 < $1.0 })
    where !stageList.contains(stage) {
      throw .invalidSchema(
        "stage mapping: event '\(event)' maps to '\(stage)', which is not a stage (stages: \(stageList.joined(separator: ", ")))"
      )
    }
  }
}
