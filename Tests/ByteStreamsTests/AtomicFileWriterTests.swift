import ByteStreams
import ChurnTestSupport
import Foundation
import Testing

/// The atomic writer renames a finished file into place, but writes
/// straight into a device: renaming over `/dev/null` would replace it.
struct AtomicFileWriterTests {
  /// A run killed with SIGKILL leaves its temporary file; the next writer
  /// of the same output removes those whose writer is gone or that nobody
  /// has written to for ten minutes, and nothing else.
  @Test func aKilledRunsLeftoversAreRemovedByTheNextRun() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let dead = finished.processIdentifier
    let live = ProcessInfo.processInfo.processIdentifier
    let hourAgo = Date(timeIntervalSinceNow: -3600)
    for name in [
      ".out.csv.tmp-old", ".out.csv.tmp-fresh", ".other.csv.tmp-old", "out.csv.tmp-old",
      ".out.csv.tmp-\(dead)-x", ".out.csv.tmp-\(live)-y",
    ] {
      _ = try dir.write(name, "partial")
      if name.hasSuffix("old") {
        try FileManager.default.setAttributes([.modificationDate: hourAgo], ofItemAtPath: dir.path + "/" + name)
      }
    }
    let writer = try AtomicFileWriter(path: dir.path + "/out.csv")
    try writer.write("new\n")
    try writer.commit()
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        == [
          ".other.csv.tmp-old", ".out.csv.tmp-\(live)-y", ".out.csv.tmp-fresh", "out.csv", "out.csv.tmp-old",
        ].sorted())
  }

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

  /// A replaced file keeps its permissions (a 0600 file stays private).
  @Test func aReplacedFileKeepsItsMode() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("private.csv", "old\n")
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    let out = try AtomicFileWriter(path: path)
    try out.write("new\n")
    try out.commit()
    #expect(try dir.read("private.csv") == "new\n")
    #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
  }

  /// The temporary file is a new file of a random name, made beside the
  /// target: a link planted at the old predictable name (and any other
  /// file) is left alone, and two writers to one path do not collide.
  @Test func theTemporaryFileIsNewAndUnguessable() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let victim = try dir.write("victim.txt", "keep\n")
    let planted = dir.path + "/.out.csv.tmp-\(ProcessInfo.processInfo.processIdentifier)"
    try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: victim)
    let a = try AtomicFileWriter(path: dir.path + "/out.csv")
    let b = try AtomicFileWriter(path: dir.path + "/out.csv")
    try a.write("a\n")
    try b.write("b\n")
    try a.commit()
    try b.commit()
    #expect(try dir.read("out.csv") == "b\n")
    #expect(try dir.read("victim.txt") == "keep\n")
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".out.csv.tmp-") }
    #expect(left == [".out.csv.tmp-\(ProcessInfo.processInfo.processIdentifier)"])  // only the planted link
  }
}
