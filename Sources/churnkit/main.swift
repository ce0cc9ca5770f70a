import ChurnCLI
import Foundation

exit(ChurnCLI.run(Array(CommandLine.arguments.dropFirst()), console: .standard()))
