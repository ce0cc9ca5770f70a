import ByteStreams
import ChurnCLI
import Foundation

ProcessMemory.keepFreedMemory()
ChurnCLI.removeTemporaryFilesOnSignals()

exit(ChurnCLI.run(Array(CommandLine.arguments.dropFirst()), console: .standard()))
