import ChurnTestSupport
import Foundation
import Testing

/// Runs the built `churnkit` binary as a user would: real process, real
/// standard input and output.
struct EndToEndTests {
  /// .build/debug/churnkit next to the test bundle.
  static let binary: String = {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return packageRoot.appendingPathComponent(".build/debug/churnkit").path
  }()

  func execute(_ arguments: [String], stdin: String? = nil) throws -> (out: String, err: String, status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: EndToEndTests.binary)
    process.arguments = arguments
    let outPipe = Pipe()
    let errPipe = Pipe()
    let inPipe = Pipe()
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = inPipe
    try process.run()
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inPipe.fileHandleForWriting.close()
    let out = outPipe.fileHandleForReading.readDataToEndOfFile()
    let err = errPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self), process.terminationStatus)
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
  func validatesStandardInput() throws {
    let result = try execute(["validate", "-", "--json"], stdin: "customer_id,timestamp,event\nA,2024-01-01,visit\n")
    #expect(result.status == 0)
    #expect(result.out.contains("\"file\" : \"-\""))
    #expect(result.out.contains("\"validRows\" : 1"))
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
  func validatesGzipFromStandardInput() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", "customer_id,timestamp,event\nA,2024-01-01,visit\nB,1709296200,visit\n")
    try runProgram("/bin/gzip", [path])
    let result = try execute(["validate", path + ".gz"])
    #expect(result.status == 0)
    #expect(result.out.contains("2 (2 valid, 0 skipped)"))
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
  func generateThenValidateExitCodes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let gen = try execute(["generate", "--customers", "50", "--days", "60", "--seed", "5", "--out", dir.path, "--json"])
    #expect(gen.status == 0)
    #expect(gen.out.hasPrefix("{\n  \"churned\" : "))
    let val = try execute([
      "validate", "\(dir.path)/events.csv", "--customers", "\(dir.path)/customers.csv", "--strict",
    ])
    #expect(val.status == 0)
    #expect(val.err.isEmpty)
    let bad = try execute(["validate", "--nope"])
    #expect(bad.status == 64)
  }

  /// Debian's reference BLAS, selected for one process the way a user would
  /// compare implementations.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3")))
  func versionReportsTheReferenceBLASWhenSelected() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: EndToEndTests.binary)
    process.arguments = ["--version"]
    process.environment = ["LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu/blas:/usr/lib/x86_64-linux-gnu/lapack"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(out.contains("BLAS:   reference BLAS\n        /usr/lib/x86_64-linux-gnu/blas/libblas.so.3"))
    #expect(out.contains("LAPACK: /usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3"))
  }
}
