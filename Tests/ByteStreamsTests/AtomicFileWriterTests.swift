import ByteStreams
import ChurnTestSupport
import Foundation
import Testing

/// The atomic writer renames a finished file into place, but writes
/// straight into a device: renaming over `/dev/null` would replace it.
struct AtomicFileWriterTests {
  @Test func aRegularFileAppearsWholeOnCommit() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/out.csv"
    let out = try AtomicFileWriter(path: path)
    try out.write("a,b\n")
    #expect(!FileManager.default.fileExists(atPath: path))
    try out.commit()
    #expect(try dir.read("out.csv") == "a,b\n")
  }

  @Test func aLinkToADeviceIsWrittenThroughNotReplaced() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let link = dir.path + "/sink"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/null")
    let out = try AtomicFileWriter(path: link)
    try out.write(Array(repeating: 0x41, count: 1 << 17))
    try out.commit()
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "/dev/null")
    let type = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
    #expect(type == .typeCharacterSpecial)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["sink"])  // no temporary file left
  }

  @Test func aDirectoryIsRefused() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    #expect(throws: ByteStreamError.self) { try AtomicFileWriter(path: dir.path) }
  }
}
