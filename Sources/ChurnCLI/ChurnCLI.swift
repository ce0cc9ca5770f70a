import ByteStreams
import ChurnIO
import LinearAlgebra

/// The `churnkit` command line as a library: parses arguments, calls
/// ChurnKit, and turns every outcome into text and an exit code.
///
/// Exit codes: 0 success (or help), 1 failure (unusable data, I/O), 64 usage
/// error (EX_USAGE).
///
/// ```swift
/// let status = ChurnCLI.run(["validate", "events.csv"], console: .standard())
/// ```
public enum ChurnCLI {
  /// The version printed by `--version` and stored in artifacts.
  public static let version = ChurnKitVersion.current

  static let commands: [any Command.Type] = [
    ValidateCommand.self, FeaturesCommand.self, TrainCommand.self, EvaluateCommand.self, ScoreCommand.self,
    ReportCommand.self, ExportCommand.self, JourneyCommand.self, TouchpointsCommand.self, RecommendCommand.self,
    SurvivalCommand.self, ClvCommand.self, GenerateCommand.self,
  ]

  /// Runs one invocation; `arguments` excludes the program name.
  /// For the executable: on SIGINT, SIGTERM or SIGHUP, the temporary files
  /// of outputs not yet committed (and temporary copies) are removed before
  /// the process ends as the signal says.
  public static func removeTemporaryFilesOnSignals() {
    onTerminationSignals { AtomicFileWriter.removeTemporaryFiles() }
  }

  public static func run(_ arguments: [String], console: Console) -> Int32 {
    guard let first = arguments.first else {
      console.err(rootHelp())
      return ExitStatus.usage
    }
    switch first {
    case "--help", "-h", "help":
      if arguments.count > 1, let command = commands.first(where: { $0.spec.name == arguments[1] }) {
        console.out(HelpRenderer.help(command.spec))
      } else {
        console.out(rootHelp())
      }
      return ExitStatus.success
    case "--version":
      console.out(versionText())
      return ExitStatus.success
    default:
      break
    }
    guard let command = commands.first(where: { $0.spec.name == first }) else {
      let error =
        first.hasPrefix("-")
        ? CLIError.unknownOption(
          first, suggestion: closestMatch(to: String(first.drop { $0 == "-" }), in: ["help", "version"]))
        : CLIError.unknownCommand(first, suggestion: closestMatch(to: first, in: commands.map { $0.spec.name }))
      console.err("Error: \(error)\n  See 'churnkit --help' for the commands.\n")
      return ExitStatus.usage
    }
    let spec = command.spec
    let parsed: ParsedArguments
    do {
      parsed = try ParsedArguments(Array(arguments.dropFirst()), spec: spec)
    } catch {
      console.err(
        "Error: \(error)\nUsage: \(HelpRenderer.usage(spec))\n  See 'churnkit \(spec.name) --help' for more information.\n"
      )
      return ExitStatus.usage
    }
    if parsed.flag("help") {
      console.out(HelpRenderer.help(spec))
      return ExitStatus.success
    }
    do {
      return try command.run(parsed, console: console)
    } catch let error as CLIError {
      console.err(
        "Error: \(error)\nUsage: \(HelpRenderer.usage(spec))\n  See 'churnkit \(spec.name) --help' for more information.\n"
      )
      return ExitStatus.usage
    } catch {
      console.err("Error: \(error)\n")
      return ExitStatus.failure
    }
  }

  static func rootHelp() -> String {
    var out = """
      OVERVIEW: Predict customer churn and recommend the next best action.

      USAGE: churnkit <command> [options]

      COMMANDS:

      """
    for c in commands { out += HelpRenderer.entry(c.spec.name, c.spec.abstract) }
    out += "\nOPTIONS:\n"
    out += HelpRenderer.entry("--version", "Show the version and the BLAS/LAPACK in use.")
    out += HelpRenderer.entry("-h, --help", "Show help information.")
    out += "\n  See 'churnkit <command> --help' for the options of a command.\n"
    return out
  }

  static func versionText() -> String {
    let blas = BLASLibrary.loaded()
    var out = "churnkit \(version)\n"
    out += "BLAS:   \(blas.name)"
    if let config = blas.configuration { out += " (\(config))" }
    out += "\n"
    if let path = blas.blasPath { out += "        \(path)\n" }
    if let path = blas.lapackPath { out += "LAPACK: \(path)\n" }
    return out
  }
}

/// The process exit statuses churnkit uses.
enum ExitStatus {
  static let success: Int32 = 0
  static let failure: Int32 = 1
  static let usage: Int32 = 64
}

/// One subcommand: its spec and what it does.
protocol Command: Sendable {
  static var spec: CommandSpec { get }
  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32
}
