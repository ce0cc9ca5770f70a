// churnkit-bench: times ChurnKit's own stages on a file, for bench/*.sh.
// Usage: churnkit-bench csv-scan FILE | ingest FILE | ingest-stream FILE
// Prints one JSON line: {"mode":…,"seconds":…,"rows":…,"bytes":…}
import ChurnKit
import Foundation

let arguments = CommandLine.arguments
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
    // Read into typed columns held in memory, as polars' read_csv does.
    var reader = try EventLogReader(path: path, schema: EventSchema())
    var batch = EventBatch()
    var issues = IssueLog()
    var all = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      all.customer.append(contentsOf: batch.customer)
      all.time.append(contentsOf: batch.time)
      all.event.append(contentsOf: batch.event)
      all.channel.append(contentsOf: batch.channel)
      all.amount.append(contentsOf: batch.amount)
      all.sentiment.append(contentsOf: batch.sentiment)
      all.stage.append(contentsOf: batch.stage)
    }
    rows = all.count
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
