import ByteStreams
import ChurnCLI
import Foundation

ProcessMemory.keepFreedMemory()

exit(ChurnCLI.run(Array(CommandLine.arguments.dropFirst()), console: .standard()))
