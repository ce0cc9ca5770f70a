import ChurnKit

enum GenerateCommand: Command {
  static let spec = CommandSpec(name: "generate", abstract: "Generate synthetic lifecycle data with known truth.")
  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 { 0 }
}
