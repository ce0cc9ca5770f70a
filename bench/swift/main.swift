// churnkit-bench: times ChurnKit's own stages on a file, for bench/*.sh.
// Usage: churnkit-bench csv-scan FILE | ingest FILE | ingest-stream FILE
//        churnkit-bench fit DIR N P LAMBDA   (x.f64 column-major, y.f64)
// Prints one JSON line: {"mode":…,"seconds":…,"rows":…,"bytes":…}
import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

ProcessMemory.keepFreedMemory()
let arguments = CommandLine.arguments
if arguments.count == 6 && arguments[1] == "fit" {
  runFit(directory: arguments[2], n: Int(arguments[3])!, p: Int(arguments[4])!, l2: Double(arguments[5])!)
  exit(0)
}
guard arguments.count == 3 else {
  FileHandle.standardError.write(Data("usage: churnkit-bench csv-scan|ingest FILE\n".utf8))
  exit(64)
}
let mode = arguments[1]
let path = arguments[2]
let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
let start = Date()
var rows = 0
do {
  switch mode {
  case "csv-scan":
    // Parse records and touch every field range; no conversion.
    var csv = try CSVReader(path: path)
    _ = try csv.readHeader()
    var fields = 0
    while try csv.nextChunk() {
      let chunk = csv.chunk
      rows += chunk.recordCount
      for r in 0..<chunk.recordCount { fields += chunk.fieldCount(record: r) }
    }
    if fields < 0 { print(fields) }
  case "ingest":
    // Read into typed columns held in memory, as polars' read_csv does. Both
    // hold each column in chunks: polars' read_csv does not rechunk by
    // default (33 chunks per column on the 10M-row file), and the batches
    // kept here are ChurnKit's chunks.
    var reader = try EventLogReader(path: path, schema: EventSchema())
    var batch = EventBatch()
    var issues = IssueLog()
    var chunks: [EventBatch] = []
    while try reader.nextBatch(into: &batch, issues: &issues) { chunks.append(batch) }
    rows = chunks.reduce(0) { $0 + $1.count }
  case "ingest-stream":
    // Read into typed batches and drop them (the streaming use: features).
    var reader = try EventLogReader(path: path, schema: EventSchema())
    var batch = EventBatch()
    var issues = IssueLog()
    while try reader.nextBatch(into: &batch, issues: &issues) { rows += batch.count }
  default:
    FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
    exit(64)
  }
} catch {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(1)
}
let seconds = Date().timeIntervalSince(start)
print("{\"mode\":\"\(mode)\",\"seconds\":\(seconds),\"rows\":\(rows),\"bytes\":\(bytes)}")

/// Reads little-endian float64 values, streaming, into an array.
func readDoubles(_ path: String, count: Int) -> [Double] {
  var values = [Double](repeating: 0, count: count)
  let reader = try! ByteReader(path: path)
  var buffer = [UInt8](repeating: 0, count: 1 << 23)
  var filled = 0
  var k = 0
  while true {
    let n = try! reader.read(into: &buffer, from: filled)
    if n == 0 { break }
    filled += n
    let whole = filled / 8
    for w in 0..<whole {
      var bits: UInt64 = 0
      for b in 0..<8 { bits |= UInt64(buffer[w * 8 + b]) << (8 * UInt64(b)) }
      values[k] = Double(bitPattern: bits)
      k += 1
    }
    let rest = filled - whole * 8
    for b in 0..<rest { buffer[b] = buffer[whole * 8 + b] }
    filled = rest
  }
  precondition(k == count, "expected \(count) values, read \(k)")
  return values
}

/// Peak resident memory of this process, from /proc/self/status (VmHWM).
func peakMegabytes() -> Double {
  let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
  for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
    let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
    return kb / 1024
  }
  return 0
}

func runFit(directory: String, n: Int, p: Int, l2: Double) {
  let x = Matrix(rows: n, columns: p, columnMajor: readDoubles("\(directory)/x.f64", count: n * p))
  let y = readDoubles("\(directory)/y.f64", count: n)
  let start = Date()
  let fit = try! LogisticRegression(l2: l2, standardize: false).fit(x, y, featureNames: (0..<p).map { "x\($0)" })
  let seconds = Date().timeIntervalSince(start)
  let coefficients = fit.terms.map { "\($0.coefficient)" }.joined(separator: ",")
  print(
    "{\"solver\":\"churnkit\",\"seconds\":\(seconds),\"iterations\":\(fit.iterations),\"coefficients\":[\(coefficients)],\"peak_mb\":\(peakMegabytes())}"
  )
}
